"""A small OCI distribution registry on 127.0.0.1 that serves one repository's tag list.

It speaks the parts of the protocol our registry adapter relies on: `GET /v2/<repo>/tags/list?n=&last=`
with `Link: <...>; rel="next"` pagination, and (optionally) GHCR's anonymous token flow: a 401 with
`WWW-Authenticate: Bearer realm=...,service=...,scope=...`, then `GET <realm>?service=&scope=` → token.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

REPOSITORY = "felddy/foundryvtt"
TOKEN = "anonymous-pull-token"


@dataclasses.dataclass
class FakeRegistry:
    tags: list[str]
    page_size: int = 1000  # the server's cap on `n`
    require_token: bool = False
    fail_status: int | None = None
    requests: list[str] = dataclasses.field(default_factory=list)
    token_queries: list[dict[str, list[str]]] = dataclasses.field(default_factory=list)
    url: str = ""


def _handler(registry: FakeRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            registry.requests.append(self.path)
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            if parts.path == "/token":
                registry.token_queries.append(query)
                self._send(200, {"token": TOKEN})
            elif parts.path != f"/v2/{REPOSITORY}/tags/list":
                self._send(404, {"errors": [{"code": "NAME_UNKNOWN"}]})
            elif registry.fail_status is not None:
                self._send(registry.fail_status, {"errors": [{"code": "UNKNOWN"}]})
            elif registry.require_token and self.headers.get("Authorization") != f"Bearer {TOKEN}":
                challenge = (
                    f'Bearer realm="{registry.url}/token",service="fake-registry",'
                    f'scope="repository:{REPOSITORY}:pull"'
                )
                self._send(401, {"errors": [{"code": "UNAUTHORIZED"}]}, {"WWW-Authenticate": challenge})
            else:
                self._tags_page(query)

        def _tags_page(self, query: dict[str, list[str]]) -> None:
            size = min(int(query.get("n", ["100"])[0]), registry.page_size)
            start = registry.tags.index(query["last"][0]) + 1 if "last" in query else 0
            page = registry.tags[start : start + size]
            headers = {}
            if start + size < len(registry.tags):
                headers["Link"] = f'</v2/{REPOSITORY}/tags/list?n={size}&last={page[-1]}>; rel="next"'
            self._send(200, {"name": REPOSITORY, "tags": page}, headers)

        def _send(self, status: int, body: object, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def serving(registry: FakeRegistry) -> Iterator[FakeRegistry]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(registry))
    registry.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield registry
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
