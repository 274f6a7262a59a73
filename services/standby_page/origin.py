"""Where a request comes from: the host it asked for, its scheme and origin, and the client address the
rate limits count (a forwarded address only when the platform team says the proxy sets it)."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

from services.standby_page.view import host_of


def host(request: Request) -> str:
    return host_of(request.headers.get("host")) or ""


def scheme(request: Request) -> str:
    forwarded = request.headers.get("x-forwarded-proto")
    return forwarded if forwarded in ("http", "https") else request.url.scheme


def same_origin(request: Request) -> bool:
    """No Origin header, or one naming this host; an opaque origin ("null") is refused."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return host_of(urlsplit(origin).netloc) == host(request)


def client_address(request: Request, *, trust_forwarded_for: bool) -> str:
    if trust_forwarded_for:
        forwarded = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
        if forwarded:
            return forwarded[:64]
    return request.client.host if request.client else "unknown"
