"""`create_app(store, settings)`: the standby page as a Starlette app, and the one place its
dependencies are built and injected.

Routes: `GET /` the page (or a plain "nothing here" for a host no instance claims), `GET /status.json`
what the page's script polls, `POST /request` the only thing that changes anything (creates a
FoundryActivationRequest), `GET /healthz`, and the page's own CSS and script. Every response carries a
strict Content-Security-Policy, no CORS header, and no-store caching (`responses`); the endpoints are in
`handlers`.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.routing import Route

from services.standby_page.guard import Csrf, RateLimit, StartTimes
from services.standby_page.handlers import Handlers
from services.standby_page.responses import Pages
from services.standby_page.settings import Settings
from services.standby_page.store import Store

HERE = Path(__file__).parent


def create_app(store: Store, settings: Settings) -> Starlette:
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
    )
    handlers = Handlers(
        store,
        settings,
        csrf=Csrf(settings.secret),
        per_client=RateLimit(settings.client_burst, settings.client_per_minute),
        per_instance=RateLimit(settings.instance_burst, settings.instance_per_minute),
        starts=StartTimes(),
        pages=Pages(templates),
        static={
            "page.css": ((HERE / "static" / "page.css").read_bytes(), "text/css; charset=utf-8"),
            "page.js": ((HERE / "static" / "page.js").read_bytes(), "text/javascript; charset=utf-8"),
        },
    )
    return Starlette(
        routes=[
            Route("/", handlers.index, methods=["GET"]),
            Route("/status.json", handlers.status, methods=["GET"]),
            Route("/request", handlers.request, methods=["POST"]),
            Route("/healthz", handlers.healthz, methods=["GET"]),
            Route("/static/{name}", handlers.asset, methods=["GET"]),
        ],
        exception_handlers={404: handlers.not_found, 405: handlers.not_allowed, 500: handlers.broken},
    )
