"""List image tags from an OCI distribution registry (GHCR, Docker Hub, any `/v2/` registry).

Used to refresh the release catalog: felddy/foundryvtt publishes one `X.Y.Z` tag per image build.
Anonymous pulls still need a token on GHCR and Docker Hub: the registry answers 401 with
`WWW-Authenticate: Bearer realm=...,service=...,scope=...` and we fetch an anonymous token from the
realm. Every failure is a TransientError naming the status and URL (never a token).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from foundry_lib.errors import TransientError

DEFAULT_REGISTRY = "https://ghcr.io"
DEFAULT_REPOSITORY = "felddy/foundryvtt"
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def list_tags(
    base_url: str,
    repository: str,
    *,
    session: requests.Session | None = None,
    max_pages: int = 50,
    page_size: int = 1000,
    timeout: float = 15.0,
) -> list[str]:
    """All tags of `repository`, following `Link: <...>; rel="next"` pages up to `max_pages`."""
    own_session = session is None
    http = session or requests.Session()
    url: str | None = f"{base_url.rstrip('/')}/v2/{repository}/tags/list?n={page_size}"
    headers: dict[str, str] = {"Accept": "application/json"}
    tags: list[str] = []
    pages = 0
    try:
        while url is not None:
            if pages == max_pages:
                raise TransientError(
                    f"registry {base_url} listed more than {max_pages} pages of tags for {repository}; "
                    "raise max_pages or the page size"
                )
            pages += 1
            response = _get(http, url, headers, timeout)
            if response.status_code == 401 and "Authorization" not in headers:
                token = _anonymous_token(http, response, repository, timeout)
                headers = {**headers, "Authorization": f"Bearer {token}"}
                response = _get(http, url, headers, timeout)
            tags.extend(_page_tags(response, url))
            url = _next_page(response, url)
        return tags
    finally:
        if own_session:
            http.close()


def _next_page(response: requests.Response, url: str) -> str | None:
    """The `rel="next"` link, resolved against this page; only on the same origin (the token goes along)."""
    link = response.links.get("next", {}).get("url")
    if not link:
        return None
    target = urljoin(url, link)
    if urlsplit(target)[:2] != urlsplit(url)[:2]:
        raise TransientError(f"registry answer to GET {url} links its next page to another origin: {target}")
    return target


def _get(http: requests.Session, url: str, headers: dict[str, str], timeout: float) -> requests.Response:
    try:
        return http.get(url, headers=headers, timeout=timeout)
    except requests.RequestException as exc:
        raise TransientError(f"registry request GET {url} failed: {type(exc).__name__}: {exc}") from exc


def _page_tags(response: requests.Response, url: str) -> list[str]:
    if response.status_code != 200:
        raise TransientError(f"registry answered {response.status_code} to GET {url}")
    body = _json(response, url)
    tags = body.get("tags") if isinstance(body, dict) else None
    if tags is None and isinstance(body, dict) and "tags" in body:
        return []  # some registries answer `"tags": null` for a repository without tags
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise TransientError(f"registry answer to GET {url} has no list of tags")
    return tags


def _anonymous_token(
    http: requests.Session, challenge: requests.Response, repository: str, timeout: float
) -> str:
    """Follow a Bearer challenge anonymously; a Basic challenge means credentials we do not have."""
    header = challenge.headers.get("WWW-Authenticate", "")
    scheme, _, rest = header.partition(" ")
    params = dict(_CHALLENGE_PARAM.findall(rest))
    if scheme.lower() != "bearer" or "realm" not in params:
        raise TransientError(
            f"registry answered 401 to GET {challenge.url} without a Bearer token challenge; "
            "anonymous access is not possible"
        )
    query = {"scope": params.get("scope", f"repository:{repository}:pull")}
    if "service" in params:
        query["service"] = params["service"]
    realm = params["realm"]
    try:
        response = http.get(realm, params=query, timeout=timeout)
    except requests.RequestException as exc:
        raise TransientError(
            f"registry token request GET {realm} failed: {type(exc).__name__}: {exc}"
        ) from exc
    if response.status_code != 200:
        raise TransientError(f"registry token service answered {response.status_code} to GET {realm}")
    body = _json(response, realm)
    token = (body.get("token") or body.get("access_token")) if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TransientError(f"registry token service at {realm} answered without a token")
    return token


def _json(response: requests.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise TransientError(f"registry answer to GET {url} is not JSON") from exc
