"""`foundry-platform standby-page --state DIR`: the page over `make demo`'s cluster, and a request made
on it applied through the simulated pipelines (what a newcomer clicks through locally)."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from conftest import REPO
from standby_world import served

from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST
from foundry_platform.simulator.cli import build_parser, simulate
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from foundry_platform.standby_cli import _simulator
from services.standby_page.app import create_app
from services.standby_page.serve import build_parser as standby_parser
from services.standby_page.serve import serve
from services.standby_page.settings import Settings
from services.standby_page.store import SimulatorStore

GAMMA = "gamma.dungeons.example.com"  # examples/: campaign-gamma's hostname override, on standby


def demo(root: Path) -> None:
    args = build_parser(argparse.ArgumentParser()).parse_args(
        [
            "--state",
            str(root),
            "--now",
            "2026-11-28T20:00:00Z",
            "--set",
            "FOUNDRY_NFS_SERVER=nas.example.internal",
            str(REPO / "examples"),
        ]
    )
    assert simulate(args) == 0


def test_a_request_made_on_the_demo_page_runs_through_the_simulated_pipelines(tmp_path: Path) -> None:
    demo(tmp_path)
    store = SimulatorStore(*_simulator(tmp_path))
    with served(create_app(store, Settings(secret="demo-secret-0123456789"))) as port:
        http = requests.Session()
        base, headers = f"http://127.0.0.1:{port}", {"Host": GAMMA}
        page = http.get(base + "/", headers=headers).text
        assert 'data-state="standby"' in page and 'id="live">campaign-alpha<' in page
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        assert token
        answer = http.post(
            base + "/request",
            data={"csrf": token[1], "displayName": "Sam"},
            headers=headers,
            allow_redirects=False,
        )
        assert answer.status_code == 303
        status = http.get(base + "/status.json", headers=headers).json()
    assert status["request"]["phase"] == "Pending" and status["canRequest"] is False
    saved = MemoryKube(ClusterState(tmp_path)).list(FOUNDRY_ACTIVATION_REQUEST, "tabletop")
    [made] = [r for r in saved if r["spec"]["instanceRef"]["name"] == "campaign-gamma"]
    assert made["spec"]["requestedBy"] == {"source": "standby-page", "displayName": "Sam"}
    assert made["status"]["phase"] == "Pending"  # the activation pipeline ran on it
    assert "kratix.io/work-cleanup" in made["metadata"]["finalizers"]


def test_a_state_folder_without_a_cluster_is_a_clear_error(tmp_path: Path) -> None:
    args = standby_parser(argparse.ArgumentParser()).parse_args(["--state", str(tmp_path / "nothing")])
    assert serve(args, lambda _: None, _simulator) == 2  # type: ignore[arg-type,return-value]


def test_the_command_serves_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    demo(tmp_path)
    command = [sys.executable, "-c", "import sys; from foundry_platform.cli import main; main(sys.argv[1:])"]
    args = ["standby-page", "--state", str(tmp_path), "--host", "127.0.0.1", "--port", "0"]
    server = subprocess.Popen(
        command + args, env={**os.environ, "PYTHONPATH": str(REPO)}, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        lines: list[str] = []
        while not any("Uvicorn running" in line for line in lines):
            assert time.monotonic() < deadline and server.poll() is None, lines
            lines.append(server.stderr.readline() if server.stderr else "")
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0
    assert "stopped" in rest and "Traceback" not in rest
