"""Every response the standby page sends: a strict Content-Security-Policy, no CORS header, no-store
caching, and the HTML pages for "nothing here" and short messages (refusals, errors)."""

from __future__ import annotations

from jinja2 import Environment
from starlette.responses import RedirectResponse, Response

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
HTML = "text/html; charset=utf-8"


def secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def back() -> Response:
    """After a POST: back to the page (303, so a reload does not send the form again)."""
    return secure(RedirectResponse("/", status_code=303))


class Pages:
    """The page's HTML responses, rendered from its templates."""

    def __init__(self, templates: Environment) -> None:
        self.templates = templates

    def html(self, template: str, code: int = 200, **context: object) -> Response:
        return secure(
            Response(self.templates.get_template(template).render(**context), code, media_type=HTML)
        )

    def unknown(self) -> Response:
        """A host no instance claims (or any unknown path): a plain page that names nothing."""
        return self.html("unknown.html", 404, refresh=None)

    def message(self, title: str, text: str, code: int) -> Response:
        return self.html("message.html", code, title=title, text=text, refresh=None)
