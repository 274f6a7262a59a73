"""One monitor cycle over 1000 instances whose Foundry answers in ~50 ms, run as the real process.

`foundry-platform monitor --once` runs as its own process (kubeconfig, HTTP, JSON) against
`api_server` on 127.0.0.1 holding 1000 FoundryInstances in 10 namespaces, and a fake Foundry on
127.0.0.1 that answers every `/api/status` after 50 ms (the players differ per instance). Measured:
the cycle's wall time as the monitor logs it (list, poll every instance, write), the process's wall
time, its peak RSS (`wait4`), and the status writes. The second run finds nothing changed (within an
interval) and must write nothing. Goal (issue 12): a cycle < 5 s and < 150 MB.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from benchmarks.api_server import Store, serve, serving, write_kubeconfig

REPO = Path(__file__).resolve().parents[1]
INSTANCES, NAMESPACES, DELAY = 1000, 10, 0.05
_BOOT = time.monotonic()  # the fake servers "started" when the benchmark did: uptime grows as for real


@dataclass(frozen=True)
class Figures:
    cycle_s: float
    process_s: float
    peak_rss_mb: float
    writes: int


class _Foundry(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(DELAY)
        name = self.path.split("/")[2] if self.path.count("/") > 2 else ""
        users = int(name.rsplit("-", 1)[-1]) % 4 if name else 0
        body = json.dumps(
            {
                "active": True,
                "version": "13.351",
                "world": "w",
                "system": "dnd5e",
                "users": users,
                "uptime": 600 + time.monotonic() - _BOOT,
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


@contextmanager
def _fake_foundry() -> Iterator[str]:
    with serving(_Server(("127.0.0.1", 0), _Foundry)) as url:
        yield url


def _store() -> Store:
    store = Store()
    for i in range(INSTANCES):
        namespace, name = f"tenant-{i % NAMESPACES}", f"campaign-{i:05d}"
        store.put(
            "foundryinstances",
            {
                "apiVersion": "foundry.platform/v1alpha1",
                "kind": "FoundryInstance",
                "metadata": {"name": name, "namespace": namespace},
                "spec": {"licenseRef": {"name": "guild"}},
                "status": {"replicas": 1, "hostname": f"{name}.example.test"},
            },
        )
    return store


def _run(store: Store, api: str, foundry: str, tmp: Path, concurrency: int) -> Figures:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(REPO),
        "HOME": str(tmp),
        "KUBECONFIG": str(write_kubeconfig(tmp / "kubeconfig", api)),
    }
    command = [
        sys.executable,
        "-c",
        "from foundry_platform.cli import main; main()",
        "monitor",
        "--once",
        "--concurrency",
        str(concurrency),
        "--endpoint-template",
        foundry + "/{namespace}/{name}",
    ]
    log = tmp / "monitor.log"
    writes = len(store.writes)
    started = time.monotonic()
    with log.open("w") as stderr:
        pid = os.posix_spawn(
            command[0], command, env, file_actions=[(os.POSIX_SPAWN_DUP2, stderr.fileno(), 2)]
        )
        _, code, usage = os.wait4(pid, 0)
    elapsed = time.monotonic() - started
    text = log.read_text()
    found = re.search(r"in ([0-9.]+) s", text)
    if os.waitstatus_to_exitcode(code) != 0 or found is None:
        raise SystemExit(f"monitor --once failed:\n{text}")
    if "WARNING" in text or "ERROR" in text:
        raise SystemExit(f"monitor --once met errors:\n{text}")
    return Figures(float(found.group(1)), elapsed, usage.ru_maxrss / 1024, len(store.writes) - writes)


def table() -> str:
    store = _store()
    rows = [
        "| monitor --once | instances | concurrency | cycle s | process s | peak RSS MB | status writes |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as folder, serve(store) as api, _fake_foundry() as foundry:
        for label, concurrency in (("first cycle", 64), ("second, nothing changed", 64), ("again", 32)):
            got = _run(store, api, foundry, Path(folder), concurrency)
            rows.append(
                f"| {label} | {INSTANCES} | {concurrency} | {got.cycle_s:.2f} | {got.process_s:.2f} "
                f"| {got.peak_rss_mb:.0f} | {got.writes} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    print(table())
