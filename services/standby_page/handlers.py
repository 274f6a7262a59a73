"""The standby page's endpoints: the page, its status JSON, the activation request form's POST, the
health check, its static assets and the error pages. Logs say one line per decision.

Each handler finds the instance by Host (and the route's confirming header), then decides from the pure
`view`; the guards (CSRF, rate limits, start timing) and the store are what `create_app` gave them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from foundry_lib.errors import FoundryError
from foundry_lib.manifests.routes import INSTANCE_HEADER
from services.standby_page import origin
from services.standby_page.form import NAME_MAX, REASON_MAX, activation_request, read_form
from services.standby_page.guard import SESSION_COOKIE, Csrf, RateLimit, StartTimes, new_session_id
from services.standby_page.responses import Pages, back, secure
from services.standby_page.settings import Settings
from services.standby_page.store import Store
from services.standby_page.view import Page, host_of, page_of

log = logging.getLogger("standby-page")
STATE_TEXT = {
    "standby": "On standby: another campaign is live.",
    "switching": "Approved: waiting to switch over.",
    "starting": "Starting up...",
    "ready": "Live: taking you there.",
    "failed": "The server did not start in time. Ask your game master.",
    "unavailable": "Not available: this campaign cannot be started right now.",
}


class Handlers:
    """The endpoints, holding what the app factory built for them (no state of their own)."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        csrf: Csrf,
        per_client: RateLimit,
        per_instance: RateLimit,
        starts: StartTimes,
        pages: Pages,
        static: Mapping[str, tuple[bytes, str]],
    ) -> None:
        self.store = store
        self.settings = settings
        self.csrf = csrf
        self.per_client = per_client
        self.per_instance = per_instance
        self.starts = starts
        self.pages = pages
        self.static = static

    # -- routes ---------------------------------------------------------------------------------
    async def index(self, request: Request) -> Response:
        found = self._find(request)
        if found is None:
            return self.pages.unknown()
        key, page = found
        session = request.cookies.get(SESSION_COOKIE) or new_session_id()
        waiting = ("switching", "starting", "ready")
        refresh = 10 if page.state in waiting or page.request_phase == "Pending" else None
        response = self.pages.html(
            "page.html",
            page=page,
            state_text=STATE_TEXT[page.state],
            typical=self._typical(page),
            csrf=self.csrf.token(session, key[1] + "@" + origin.host(request)),
            name_max=NAME_MAX,
            reason_max=REASON_MAX,
            refresh=refresh,
        )
        if request.cookies.get(SESSION_COOKIE) != session:
            secure_cookie = origin.scheme(request) == "https"
            response.set_cookie(
                SESSION_COOKIE, session, httponly=True, samesite="strict", secure=secure_cookie
            )
        return response

    async def status(self, request: Request) -> Response:
        found = self._find(request)
        if found is None:
            return secure(JSONResponse({"state": "unknown"}, status_code=404))
        _, page = found
        body = {**page.as_json(), "stateText": STATE_TEXT[page.state], "typical": self._typical(page)}
        return secure(JSONResponse(body))

    async def request(self, request: Request) -> Response:
        found = self._find(request)
        if found is None:
            return self.pages.unknown()
        key, page = found
        client = origin.client_address(request, trust_forwarded_for=self.settings.trust_forwarded_for)
        if not origin.same_origin(request):
            log.info("refused POST instance=%s client=%s: cross-origin", key[1], client)
            return self.pages.message("Refused", "This form can only be sent from its own page.", 403)
        form = await read_form(request, self.settings.max_body)
        if form is None:
            log.info("refused POST instance=%s client=%s: body too large or malformed", key[1], client)
            return self.pages.message("Refused", "The form was too large or malformed.", 413)
        session = request.cookies.get(SESSION_COOKIE)
        if not self.csrf.valid(form.get("csrf"), session, key[1] + "@" + origin.host(request)):
            log.info("refused POST instance=%s client=%s: missing or invalid CSRF token", key[1], client)
            return self.pages.message("Refused", "This form has expired. Reload the page and try again.", 403)
        now = self.settings.monotonic()
        if not self.per_client.allow(client, now) or not self.per_instance.allow("/".join(key), now):
            log.info("rate-limited POST instance=%s client=%s", key[1], client)
            return self.pages.message("Slow down", "Too many requests. Try again in a minute.", 429)
        # Looked up again after the last await: from here to the (synchronous) create nothing else runs
        # on the event loop, so two concurrent POSTs cannot both find no open request.
        again = self._find(request)
        if again is None:
            return self.pages.unknown()
        key, page = again
        if not page.can_request:
            log.info("no new request instance=%s: state %s, open %s", key[1], page.state, page.request_phase)
            return back()
        body = activation_request(key, form, self.settings.suffix)
        if body is None:
            return self.pages.message("Refused", "Name or reason is too long.", 400)
        try:
            created = self.store.create_request(key[0], body)
        except FoundryError as err:
            log.warning("create failed instance=%s namespace=%s: %s", key[1], key[0], err)
            return self.pages.message("Try again later", "The request could not be recorded right now.", 503)
        log.info(
            "created FoundryActivationRequest %s/%s for instance=%s client=%s",
            key[0],
            created["metadata"]["name"],
            key[1],
            client,
        )
        return back()

    async def healthz(self, request: Request) -> Response:
        ok = self.store.ready()
        return secure(Response("ok\n" if ok else "starting\n", 200 if ok else 503, media_type="text/plain"))

    async def asset(self, request: Request) -> Response:
        found = self.static.get(str(request.path_params["name"]))
        if found is None:
            return self.pages.unknown()
        return secure(Response(found[0], media_type=found[1]))

    async def not_found(self, request: Request, exc: Exception) -> Response:
        return self.pages.unknown()

    async def not_allowed(self, request: Request, exc: Exception) -> Response:
        return self.pages.message("Not allowed", "That method is not allowed here.", 405)

    async def broken(self, request: Request, exc: Exception) -> Response:
        log.error("error serving %s %s: %s", request.method, request.url.path, type(exc).__name__)
        return self.pages.message("Sorry", "Something went wrong. Try again later.", 500)

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
