"""The standby page under load: requests per second and p99 latency of `/` and `/status.json`, one
uvicorn worker in its own process, 1000 instances (100 licenses of 10) in the cluster it serves.

The server reads the cluster through `KubeStore` over the simulator's KubeAPI (a snapshot refreshed in
the background, as in a real cluster); the client is this process, one keep-alive connection per
thread, so the figures are the page's, not the client's.
"""

from __future__ import annotations

import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.license_switch import REPO

LICENSES, PER_LICENSE = 100, 10
REQUESTS = 2000
CLIENTS = 4
TARGET = "i5.t42.games.example.com"  # an instance on standby, with an open request


def _serve(port_file: Path) -> None:
    """The server process: seed 1000 instances, serve one worker, write the port it got."""
    import uvicorn

    from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE
    from foundry_platform.simulator.memory_kube import MemoryKube
    from foundry_platform.simulator.state import ClusterState
    from services.standby_page.app import create_app
    from services.standby_page.settings import Settings
    from services.standby_page.store import KubeStore

    kube = MemoryKube(ClusterState(Path(tempfile.mkdtemp())))
    for t in range(LICENSES):
        ns = f"t{t}"
        names = [f"i{i}" for i in range(PER_LICENSE)]
        lic = {
            "metadata": {"name": "lic", "namespace": ns},
            "spec": {"licenseSecretRef": {"name": "k", "key": "k"}, "baseDomain": "games.example.com"},
        }
        kube.create(FOUNDRY_LICENSE, ns, lic)
        routes = [
            {
                "name": n,
                "state": "active" if n == "i0" else "standby",
                "hostname": f"{n}.{ns}.games.example.com",
            }
            for n in names
        ]
        kube.merge_patch_status(FOUNDRY_LICENSE, ns, "lic", {"activeInstance": "i0", "instances": routes})
        for n in names:
            kube.create(
                FOUNDRY_INSTANCE,
                ns,
                {"metadata": {"name": n, "namespace": ns}, "spec": {"licenseRef": {"name": "lic"}}},
            )
            status = {"isActive": n == "i0", "connectedPlayers": 2, "foundryVersion": {"resolved": "13.351"}}
            kube.merge_patch_status(FOUNDRY_INSTANCE, ns, n, status)
        request = {"metadata": {"name": "ask", "namespace": ns}, "spec": {"instanceRef": {"name": "i5"}}}
        kube.create(FOUNDRY_ACTIVATION_REQUEST, ns, request)
    store = KubeStore(kube, interval=2.0)
    store.start()
    config = uvicorn.Config(
        create_app(store, Settings()), host="127.0.0.1", port=0, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    threading.Thread(target=_announce, args=(server, port_file), daemon=True).start()
    server.run()


def _announce(server: object, port_file: Path) -> None:
    while not getattr(server, "started", False):
        time.sleep(0.01)
    sockets = server.servers[0].sockets  # type: ignore[attr-defined]
    port_file.write_text(str(sockets[0].getsockname()[1]))


def _load(port: int, path: str, count: int, out: list[float]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for _ in range(count):
        started = time.perf_counter()
        conn.request("GET", path, headers={"Host": TARGET})
        answer = conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise SystemExit(f"standby page answered {answer.status} for {path}")
        out.append(time.perf_counter() - started)
    conn.close()


def measure(port: int, path: str) -> tuple[float, float, float]:
    """(requests per second, p50 ms, p99 ms) of `path` with CLIENTS concurrent connections."""
    _load(port, path, 200, [])  # warm up
    samples: list[list[float]] = [[] for _ in range(CLIENTS)]
    threads = [
        threading.Thread(target=_load, args=(port, path, REQUESTS // CLIENTS, samples[i]))
        for i in range(CLIENTS)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    flat = sorted(s for per in samples for s in per)
    p99 = flat[int(len(flat) * 0.99) - 1]
    return len(flat) / elapsed, statistics.median(flat) * 1000, p99 * 1000


def table() -> str:
    with tempfile.TemporaryDirectory() as folder:
        port_file = Path(folder) / "port"
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        server = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.standby_page", "--serve", str(port_file)], env=env, cwd=REPO
        )
        try:
            deadline = time.monotonic() + 60
            while not port_file.exists() or not port_file.read_text():
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the standby page server did not start")
                time.sleep(0.05)
            port = int(port_file.read_text())
            rows = [(path, *measure(port, path)) for path in ("/", "/status.json")]
        finally:
            server.terminate()
            server.wait(timeout=30)
    lines = [
        "| path | instances | clients | requests/s | p50 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for path, rate, p50, p99 in rows:
        lines.append(
            f"| `{path}` | {LICENSES * PER_LICENSE} | {CLIENTS} | {rate:.0f} | {p50:.1f} | {p99:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    print(f"standby page, one worker, {LICENSES * PER_LICENSE} instances")
    print(table())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        _serve(Path(sys.argv[2]))
    else:
        main()
