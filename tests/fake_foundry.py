"""A fake Foundry on 127.0.0.1 that answers `GET /api/status` with the real shapes, and the ways a
server (or something in its place) misbehaves: slow, 5xx, HTML, malformed JSON, redirect.

One server answers for many instances: the path `/<namespace>/<name>/api/status` selects the
instance (endpoint template `http://127.0.0.1:<port>/{namespace}/{name}`); `/api/status` alone is
the instance `""`. Replies can be changed while it serves; every request is counted.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STATUS = "/api/status"


@dataclass(frozen=True)
class Reply:
    code: int = 200
    content_type: str = "application/json"
    body: bytes = b""
    delay: float = 0.0
    headers: tuple[tuple[str, str], ...] = ()
    trickle: float = 0.0  # seconds between single bytes of the body


def _json(data: dict[str, Any], delay: float = 0.0) -> Reply:
    return Reply(body=json.dumps(data).encode(), delay=delay)


def world(
    users: int,
    *,
    world_id: str = "campaign-alpha",
    version: str = "13.351",
    uptime: float = 3600.0,
    delay: float = 0.0,
) -> Reply:
    """A server with a world running: Foundry's exact keys."""
    return _json(
        {
            "active": True,
            "version": version,
            "world": world_id,
            "system": "dnd5e",
            "systemVersion": "4.3.1",
            "users": users,
            "uptime": uptime,
        },
        delay,
    )


def no_world(*, version: str = "13.351") -> Reply:
    """A server on its setup screen: only `active` and `version`."""
    return _json({"active": False, "version": version})


def html() -> Reply:
    return Reply(content_type="text/html; charset=utf-8", body=b"<html><body>Standby</body></html>")


def server_error(code: int = 502) -> Reply:
    return Reply(code=code, content_type="text/plain", body=b"Bad Gateway")


def malformed() -> Reply:
    return Reply(body=b'{"active": true, "version": ')


def redirect(location: str = "/auth") -> Reply:
    return Reply(code=302, content_type="text/html", body=b"", headers=(("Location", location),))


def slow(seconds: float, reply: Reply | None = None) -> Reply:
    base = reply or world(1)
    return Reply(base.code, base.content_type, base.body, seconds, base.headers)


def trickling(seconds_per_byte: float) -> Reply:
    """A real answer sent one byte at a time: each read is quick, the whole answer is not."""
    base = world(1)
    return Reply(base.code, base.content_type, base.body, 0.0, base.headers, seconds_per_byte)


@dataclass
class FakeFoundry:
    """The server's state: replies by instance key (`namespace/name`), a default, request counts."""

    url: str = ""
    replies: dict[str, Reply] = field(default_factory=dict)
    default: Reply = field(default_factory=lambda: no_world())
    requests: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, namespace: str, name: str, reply: Reply) -> None:
        with self.lock:
            self.replies[f"{namespace}/{name}"] = reply

    def reply_for(self, key: str) -> Reply:
        with self.lock:
            self.requests[key] += 1
            return self.replies.get(key, self.default)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeFoundry
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if not path.endswith(STATUS):
            self._send(Reply(code=404, content_type="text/plain", body=b"not found"))
            return
        key = path[: -len(STATUS)].strip("/")
        reply = self.fake.reply_for(key)
        if reply.delay:
            time.sleep(reply.delay)
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.code)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            if not reply.trickle:
                self.wfile.write(reply.body)
                return
            for byte in reply.body:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(reply.trickle)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # many instances polled at once


@contextmanager
def serve(fake: FakeFoundry | None = None) -> Iterator[FakeFoundry]:
    """Run the fake on a free port of 127.0.0.1 until the block ends."""
    fake = fake or FakeFoundry()
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = _Server(("127.0.0.1", 0), handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
