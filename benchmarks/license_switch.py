"""One switch of the active instance among N instances, run as Kratix runs it.

The real `foundry-license-configure` console script runs as its own process (KRATIX_ROOT, kubeconfig)
against `api_server` on 127.0.0.1, from a settled license (its last run's status and every instance's
`isActive` in place). Counted: the API writes to instances (status `isActive`) and the wakes (the
manual-reconciliation label, which restarts an instance's workflow). Timed: the process's CPU time
(user + system: on a shared machine wall time measures the neighbours), best of RUNS, next to the
bare import floor (`python -c "import kratix_sdk, pydantic, yaml, jinja2"`) measured the same way.
"""

from __future__ import annotations

import copy
import resource
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from benchmarks.api_server import Store, pipeline_env, serve
from foundry_lib.outcome import MANUAL_RECONCILIATION

REPO = Path(__file__).resolve().parents[1]
CHECKED_AT = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # pipelines read the real clock
SCRIPT = Path(sys.executable).parent / "foundry-license-configure"
FLOOR = "import kratix_sdk, pydantic, yaml, jinja2"
RUNS = 7
NS, LICENSE = "tabletop", "guild"


@dataclass(frozen=True)
class Figures:
    status_writes: int
    wakes: int
    other_writes: int
    process_ms: float


def _license(active: str, scale_to_zero: bool) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": {"name": LICENSE, "namespace": NS, "generation": 1},
        "spec": {
            "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
            "baseDomain": "dungeons.example.com",
            "activeInstanceName": active,
            "standby": {"scaleToZero": scale_to_zero},
        },
    }


def _instance(i: int) -> dict[str, Any]:
    name = f"campaign-{i:05d}"
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {
            "name": name,
            "namespace": NS,
            "creationTimestamp": f"2026-11-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z",
        },
        "spec": {"licenseRef": {"name": LICENSE}},
        # The monitor has just confirmed nobody is on: the switchover guard lets the switch happen now.
        "status": {
            "hostname": f"{name}.dungeons.example.com",
            "connectedPlayers": 0,
            "foundry": {"reachable": True, "checkedAt": CHECKED_AT},
        },
    }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(
    command: list[str], env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run a process to its end; return it and the CPU seconds it used."""
    before = _cpu_seconds()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    return done, _cpu_seconds() - before


def _run(store: Store, lic: dict[str, Any], tmp: Path) -> tuple[float, dict[str, Any]]:
    """One process run; returns its CPU time and the status.yaml it wrote (Kratix applies it)."""
    root = tmp / "kratix"
    for folder in ("input", "output", "metadata"):
        (root / folder).mkdir(parents=True, exist_ok=True)
        for old in (root / folder).iterdir():
            old.unlink()
    (root / "input" / "object.yaml").write_text(yaml.safe_dump(lic))
    with serve(store) as url:
        env = pipeline_env(tmp, url, root)
        done, elapsed = _timed([str(SCRIPT)], env)
    if done.returncode != 0:
        raise SystemExit(f"license configure failed: {done.stderr}")
    status: dict[str, Any] = yaml.safe_load((root / "metadata" / "status.yaml").read_text())
    return elapsed, status


def switch(n: int, *, scale_to_zero: bool, runs: int = RUNS, rerun: bool = False) -> Figures:
    """Settle a license with `campaign-00000` active, then switch to `campaign-00001` (or, with
    `rerun`, run again with nothing changed); count the second run's writes, time it `runs` times."""
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        store = Store()
        for i in range(n):
            store.put("foundryinstances", _instance(i))
        lic = _license("campaign-00000", scale_to_zero)
        _, status = _run(store, lic, tmp)  # the settling run: isActive everywhere, status recorded
        lic["status"] = status
        if not rerun:
            lic["spec"]["activeInstanceName"] = "campaign-00001"
            lic["metadata"]["generation"] = 2
        settled = copy.deepcopy(store.objects)
        samples = []
        for _ in range(runs):
            store.objects, store.writes = copy.deepcopy(settled), []
            elapsed, _ = _run(store, lic, tmp)
            samples.append(elapsed)
        writes = store.writes
    wakes = sum(MANUAL_RECONCILIATION in str(w.body) for w in writes)
    status_writes = sum(w.subresource == "status" for w in writes)
    return Figures(status_writes, wakes, len(writes) - wakes - status_writes, min(samples) * 1000)


def floor_ms(runs: int = RUNS) -> float:
    samples = [_timed([sys.executable, "-c", FLOOR])[1] for _ in range(runs)]
    return min(samples) * 1000


CASES = (
    ("switch A→B", 100, False, False),
    ("switch A→B, scaleToZero", 100, True, False),
    ("switch A→B", 1000, False, False),
    ("switch A→B, scaleToZero", 1000, True, False),
    ("rerun, nothing changed", 1000, False, True),
)


def table() -> str:
    floor = floor_ms()
    lines = [
        f"Bare import floor (`{FLOOR}`): {floor:.0f} ms (best of {RUNS} processes).",
        "",
        "| license run | instances | isActive writes | wakes | other writes | process ms | over floor ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, n, scale, rerun in CASES:
        f = switch(n, scale_to_zero=scale, rerun=rerun)
        lines.append(
            f"| {label} | {n} | {f.status_writes} | {f.wakes} | {f.other_writes} | {f.process_ms:.0f} | "
            f"{f.process_ms - floor:+.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    print("license configure as a process against a local API (writes counted on the second run)")
    print(table())


if __name__ == "__main__":
    main()
