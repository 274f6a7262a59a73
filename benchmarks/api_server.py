"""A minimal Kubernetes API on 127.0.0.1 for benchmarks: namespaced get, list, create, merge patch.

The pipelines run as their real console scripts (kubeconfig, HTTP, JSON) against it, so a figure
includes everything a pod pays except scheduling. Every write is recorded; nothing checks schemas
(the tests' emulator, kmock, does that; this one must stay cheap and in the standard library).
"""

from __future__ import annotations

import copy
import json
import os
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

Key = tuple[str, str, str]  # plural, namespace, name


@dataclass(frozen=True)
class Write:
    method: str
    plural: str
    name: str
    subresource: str
    body: Mapping[str, Any]


@dataclass
class Store:
    objects: dict[Key, dict[str, Any]] = field(default_factory=dict)
    writes: list[Write] = field(default_factory=list)

    def put(self, plural: str, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        self.objects[plural, meta["namespace"], meta["name"]] = copy.deepcopy(obj)


def _merge(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def _parse(path: str) -> tuple[str, str, str, str]:
    """/api/v1/namespaces/NS/PLURAL[/NAME[/SUB]] or /apis/G/V/namespaces/... → plural, ns, name, sub."""
    parts = path.split("?")[0].strip("/").split("/")
    if "namespaces" not in parts:  # a list across every namespace: /apis/G/V/PLURAL
        return parts[-1], "", "", ""
    rest = parts[parts.index("namespaces") + 1 :]
    rest += [""] * (4 - len(rest))
    namespace, plural, name, sub = rest[:4]
    return plural, namespace, name, sub


class _Handler(BaseHTTPRequestHandler):
    store: Store
    lock: threading.Lock

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: Mapping[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        loaded: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
        return loaded

    def do_GET(self) -> None:
        plural, namespace, name, _ = _parse(self.path)
        with self.lock:
            if not name:
                items = [
                    o
                    for (p, ns, _), o in self.store.objects.items()
                    if p == plural and namespace in (ns, "")  # "": every namespace
                ]
                self._send(200, {"kind": "List", "apiVersion": "v1", "items": items})
                return
            found = self.store.objects.get((plural, namespace, name))
        if found is None:
            self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
        else:
            self._send(200, found)

    def do_POST(self) -> None:
        plural, namespace, _, _ = _parse(self.path)
        body = self._body()
        name = body["metadata"]["name"]
        with self.lock:
            self.store.writes.append(Write("POST", plural, name, "", body))
            if (plural, namespace, name) in self.store.objects:
                self._send(409, {"kind": "Status", "code": 409, "reason": "AlreadyExists"})
                return
            body["metadata"].setdefault("namespace", namespace)
            self.store.objects[plural, namespace, name] = body
        self._send(201, body)

    def do_PATCH(self) -> None:
        plural, namespace, name, sub = _parse(self.path)
        body = self._body()
        with self.lock:
            self.store.writes.append(Write("PATCH", plural, name, sub, body))
            found = self.store.objects.get((plural, namespace, name))
            if found is None:
                self._send(404, {"kind": "Status", "code": 404, "reason": "NotFound"})
                return
            _merge(found, body)
            self._send(200, found)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # a service's worker threads connect at once (the monitor)


@contextmanager
def serve(store: Store) -> Iterator[str]:
    """Serve `store` on 127.0.0.1 (a free port) for the block; yield the server URL."""
    handler = type("Handler", (_Handler,), {"store": store, "lock": threading.Lock()})
    with serving(_Server(("127.0.0.1", 0), handler)) as url:
        yield url


def pipeline_env(tmp: Path, url: str, kratix_root: Path) -> dict[str, str]:
    """The environment Kratix gives a configure pipeline, pointed at the API served at `url`."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
        "HOME": str(tmp),
        "KUBECONFIG": str(write_kubeconfig(tmp / "kubeconfig", url)),
        "KRATIX_ROOT": str(kratix_root),
        "KRATIX_WORKFLOW_ACTION": "configure",
    }


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[str]:
    """Run an HTTP server on a thread for the block; yield its URL."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def write_kubeconfig(path: Path, server: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "bench",
        "clusters": [{"name": "bench", "cluster": {"server": server}}],
        "users": [{"name": "bench", "user": {"token": "bench"}}],
        "contexts": [{"name": "bench", "context": {"cluster": "bench", "user": "bench"}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path
