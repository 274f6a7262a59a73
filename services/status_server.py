"""/healthz and /metrics on a small threaded HTTP server (standard library; nothing else is served),
shared by the services that have no web app of their own (monitor, Discord bot)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST


class _Handler(BaseHTTPRequestHandler):
    healthy: Callable[[], bool]
    metrics: Callable[[], bytes]

    def log_message(self, format: str, *args: Any) -> None:
        pass  # probes every few seconds would drown the decisions in the log

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/healthz":
            ok = type(self).healthy()
            self._send(
                200 if ok else 503, "text/plain; charset=utf-8", b"ok\n" if ok else b"no recent cycle\n"
            )
        elif path == "/metrics":
            self._send(200, CONTENT_TYPE_LATEST, type(self).metrics())
        else:
            self._send(404, "text/plain; charset=utf-8", b"not found: /healthz and /metrics only\n")

    def _send(self, code: int, content_type: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class StatusServer:
    """Serves until `close()`; `port` is the bound port (0 asks for a free one)."""

    def __init__(
        self, host: str, port: int, *, healthy: Callable[[], bool], metrics: Callable[[], bytes]
    ) -> None:
        handler = type(
            "Handler", (_Handler,), {"healthy": staticmethod(healthy), "metrics": staticmethod(metrics)}
        )
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="status-http", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
