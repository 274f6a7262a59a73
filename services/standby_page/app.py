"""`create_app(store, settings)`: the standby page as a Starlette app.

Routes: `GET /` the page (or a plain "nothing here" for a host no instance claims), `GET /status.json`
what the page's script polls, `POST /request` the only thing that changes anything (creates a
FoundryActivationRequest), `GET /healthz`, and the page's own CSS and script. Every response carries a
strict Content-Security-Policy, no CORS header, and no-store caching. Logs say one line per decision.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from foundry_lib.errors import FoundryError
from foundry_lib.kube import KubeObject
from foundry_lib.manifests.routes import INSTANCE_HEADER
from foundry_lib.models.activation import FoundryActivationRequestSpec
from services.standby_page.guard import SESSION_COOKIE, Csrf, RateLimit, StartTimes, new_session_id
from services.standby_page.store import Store
from services.standby_page.view import Page, host_of, page_of

log = logging.getLogger("standby-page")
HERE = Path(__file__).parent
NAME_MAX, REASON_MAX = 100, 500
FORM_TYPE = "application/x-www-form-urlencoded"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
STATE_TEXT = {
    "standby": "On standby: another campaign is live.",
    "switching": "Approved: waiting to switch over.",
    "starting": "Starting up...",
    "ready": "Live: taking you there.",
    "failed": "The server did not start in time. Ask your game master.",
    "unavailable": "Not available: this campaign cannot be started right now.",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _suffix() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True)
class Settings:
    """What the platform team can tune; clocks and the name suffix are injectable for tests."""

    secret: str = field(default_factory=lambda: secrets.token_urlsafe(32), repr=False)
    start_timeout_seconds: float = 600.0
    client_burst: int = 5
    client_per_minute: float = 10.0
    instance_burst: int = 3
    instance_per_minute: float = 6.0
    max_body: int = 4096
    trust_forwarded_for: bool = False
    clock: Callable[[], datetime] = field(default_factory=lambda: _utcnow)
    monotonic: Callable[[], float] = field(default_factory=lambda: time.monotonic)
    suffix: Callable[[], str] = field(default_factory=lambda: _suffix)


def create_app(store: Store, settings: Settings) -> Starlette:
    return _StandbyPage(store, settings).app


class _StandbyPage:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.csrf = Csrf(settings.secret)
        self.per_client = RateLimit(settings.client_burst, settings.client_per_minute)
        self.per_instance = RateLimit(settings.instance_burst, settings.instance_per_minute)
        self.starts = StartTimes()
        self.templates = Environment(
            loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True)
        )
        self.static = {
            "page.css": ((HERE / "static" / "page.css").read_bytes(), "text/css; charset=utf-8"),
            "page.js": ((HERE / "static" / "page.js").read_bytes(), "text/javascript; charset=utf-8"),
        }
        self.app = Starlette(
            routes=[
                Route("/", self.index, methods=["GET"]),
                Route("/status.json", self.status, methods=["GET"]),
                Route("/request", self.request, methods=["POST"]),
                Route("/healthz", self.healthz, methods=["GET"]),
                Route("/static/{name}", self.asset, methods=["GET"]),
            ],
            exception_handlers={404: self.not_found, 405: self.not_allowed, 500: self.broken},
        )

    # -- routes ---------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        found = self._find(request)
        if found is None:
            return self._unknown()
        key, page = found
        session = request.cookies.get(SESSION_COOKIE) or new_session_id()
        waiting = ("switching", "starting", "ready")
        refresh = 10 if page.state in waiting or page.request_phase == "Pending" else None
        html = self.templates.get_template("page.html").render(
            page=page,
            state_text=STATE_TEXT[page.state],
            typical=self._typical(page),
            csrf=self.csrf.token(session, key[1] + "@" + self._host(request)),
            name_max=NAME_MAX,
            reason_max=REASON_MAX,
            refresh=refresh,
        )
        response = self._secure(Response(html, media_type="text/html; charset=utf-8"))
        if request.cookies.get(SESSION_COOKIE) != session:
            secure = self._scheme(request) == "https"
            response.set_cookie(SESSION_COOKIE, session, httponly=True, samesite="strict", secure=secure)
        return response

    async def status(self, request: Request) -> Response:
        found = self._find(request)
        if found is None:
            return self._secure(JSONResponse({"state": "unknown"}, status_code=404))
        _, page = found
        body = {**page.as_json(), "stateText": STATE_TEXT[page.state], "typical": self._typical(page)}
        return self._secure(JSONResponse(body))

    async def request(self, request: Request) -> Response:
        found = self._find(request)
        if found is None:
            return self._unknown()
        key, page = found
        client = self._client(request)
        if not self._same_origin(request):
            log.info("refused POST instance=%s client=%s: cross-origin", key[1], client)
            return self._message("Refused", "This form can only be sent from its own page.", 403)
        form = await self._form(request)
        if form is None:
            log.info("refused POST instance=%s client=%s: body too large or malformed", key[1], client)
            return self._message("Refused", "The form was too large or malformed.", 413)
        session = request.cookies.get(SESSION_COOKIE)
        if not self.csrf.valid(form.get("csrf"), session, key[1] + "@" + self._host(request)):
            log.info("refused POST instance=%s client=%s: missing or invalid CSRF token", key[1], client)
            return self._message("Refused", "This form has expired. Reload the page and try again.", 403)
        now = self.settings.monotonic()
        if not self.per_client.allow(client, now) or not self.per_instance.allow("/".join(key), now):
            log.info("rate-limited POST instance=%s client=%s", key[1], client)
            return self._message("Slow down", "Too many requests. Try again in a minute.", 429)
        # Looked up again after the last await: from here to the (synchronous) create nothing else runs
        # on the event loop, so two concurrent POSTs cannot both find no open request.
        again = self._find(request)
        if again is None:
            return self._unknown()
        key, page = again
        if not page.can_request:
            log.info("no new request instance=%s: state %s, open %s", key[1], page.state, page.request_phase)
            return self._back()
        body = self._request_body(key, form)
        if body is None:
            return self._message("Refused", "Name or reason is too long.", 400)
        try:
            created = self.store.create_request(key[0], body)
        except FoundryError as err:
            log.warning("create failed instance=%s namespace=%s: %s", key[1], key[0], err)
            return self._message("Try again later", "The request could not be recorded right now.", 503)
        log.info(
            "created FoundryActivationRequest %s/%s for instance=%s client=%s",
            key[0],
            created["metadata"]["name"],
            key[1],
            client,
        )
        return self._back()

    async def healthz(self, request: Request) -> Response:
        ok = self.store.ready()
        return self._secure(
            Response("ok\n" if ok else "starting\n", 200 if ok else 503, media_type="text/plain")
        )

    async def asset(self, request: Request) -> Response:
        found = self.static.get(str(request.path_params["name"]))
        if found is None:
            return self._unknown()
        return self._secure(Response(found[0], media_type=found[1]))

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self._unknown()

    async def not_allowed(self, request: Request, exc: Exception) -> Response:
        return self._message("Not allowed", "That method is not allowed here.", 405)

    async def broken(self, request: Request, exc: Exception) -> Response:
        log.error("error serving %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return self._message("Sorry", "Something went wrong. Try again later.", 500)

    # -- helpers --------------------------------------------------------------------------------
    def _find(self, request: Request) -> tuple[tuple[str, str], Page] | None:
        host = host_of(request.headers.get("host"))
        cluster = self.store.cluster()
        key = cluster.find(host) if host else None
        if key is None:
            log.info("no instance at host %.80r: plain page", request.headers.get("host", ""))
            return None
        confirm = request.headers.get(INSTANCE_HEADER)
        if confirm is not None and confirm != f"{key[0]}/{key[1]}":  # the route sets <namespace>/<name>
            log.warning(
                "host %s is instance %s but the route says %.63r: showing nothing", host, key[1], confirm
            )
            return None
        now = self.settings.clock()
        since = self.starts.since.get(key) or now
        page = page_of(
            cluster,
            key,
            starting_since=since,
            now=now,
            start_timeout_seconds=self.settings.start_timeout_seconds,
        )
        self.starts.observe(key, page.state in ("starting", "failed"), page.state == "ready", now)
        return key, page

    def _typical(self, page: Page) -> str | None:
        seconds = self.starts.typical_seconds()
        if page.state != "starting" or seconds is None:
            return None
        minutes = max(1, round(seconds / 60))
        return f"A start usually takes about {minutes} minute{'s' if minutes != 1 else ''}."

    def _request_body(self, key: tuple[str, str], form: dict[str, str]) -> KubeObject | None:
        """The FoundryActivationRequest to create for this instance, in its namespace; None when the
        form's fields do not fit the model. The name is the instance's plus a random suffix."""
        namespace, instance = key
        name = _CONTROL.sub("", form.get("displayName", "")).strip()
        reason = _CONTROL.sub("", form.get("reason", "")).strip()
        requested_by: dict[str, Any] = {"source": "standby-page"}
        if name:
            requested_by["displayName"] = name
        spec = {"instanceRef": {"name": instance}, "requestedBy": requested_by, "reason": reason}
        try:
            FoundryActivationRequestSpec.model_validate(spec)
        except ValidationError:
            return None
        return {
            "metadata": {"name": f"{instance[:50]}-{self.settings.suffix()}", "namespace": namespace},
            "spec": spec,
        }

    async def _form(self, request: Request) -> dict[str, str] | None:
        """The urlencoded form, read at most `max_body` bytes; None when larger or not a form. No body
        at all is an empty form (then the CSRF check refuses it, with the clearer message)."""
        if request.headers.get("content-length", "0") == "0" and "transfer-encoding" not in request.headers:
            return {}
        if (
            request.headers.get("content-type", "").split(";")[0].strip()
            != "application/x-www-form-urlencoded"
        ):
            return None
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > self.settings.max_body:
            return None
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.settings.max_body:
                return None
        try:
            parsed = parse_qs(body.decode("utf-8"), max_num_fields=10, strict_parsing=False)
        except (UnicodeDecodeError, ValueError):
            return None
        return {k: v[0] for k, v in parsed.items() if k in ("csrf", "displayName", "reason")}

    def _host(self, request: Request) -> str:
        return host_of(request.headers.get("host")) or ""

    def _scheme(self, request: Request) -> str:
        forwarded = request.headers.get("x-forwarded-proto")
        return forwarded if forwarded in ("http", "https") else request.url.scheme

    def _same_origin(self, request: Request) -> bool:
        origin = request.headers.get("origin")
        if origin is None or origin == "null":
            return origin is None
        return host_of(urlsplit(origin).netloc) == self._host(request)

    def _client(self, request: Request) -> str:
        if self.settings.trust_forwarded_for:
            forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
            if forwarded:
                return forwarded[:64]
        return request.client.host if request.client else "unknown"

    def _back(self) -> Response:
        return self._secure(RedirectResponse("/", status_code=303))

    def _unknown(self) -> Response:
        html = self.templates.get_template("unknown.html").render(refresh=None)
        return self._secure(Response(html, 404, media_type="text/html; charset=utf-8"))

    def _message(self, title: str, text: str, code: int) -> Response:
        html = self.templates.get_template("message.html").render(title=title, text=text, refresh=None)
        return self._secure(Response(html, code, media_type="text/html; charset=utf-8"))

    @staticmethod
    def _secure(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response
