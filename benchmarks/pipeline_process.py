"""One instance configure pipeline run as its own process, and the bare import cost of its libraries.

This is what a Kratix pipeline pod pays per run beyond scheduling: interpreter start, imports,
reading the request, rendering, writing. The API is an in-memory one here (no network).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5
IMPORTS = "import kratix_sdk, pydantic, yaml, jinja2"
PIPELINE = """
import tempfile, yaml
from datetime import UTC, datetime
from pathlib import Path
from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from pipelines import instance_configure
from pipelines.runtime import run_workflow
root = Path(tempfile.mkdtemp())
state = ClusterState(root / "cluster")
state.put(FOUNDRY_LICENSE, {"apiVersion": "foundry.platform/v1alpha1", "kind": "FoundryLicense",
    "metadata": {"name": "guild", "namespace": "tabletop"},
    "spec": {"licenseSecretRef": {"name": "s", "key": "k"}, "baseDomain": "vtt.example.com"}})
obj = {"apiVersion": "foundry.platform/v1alpha1", "kind": "FoundryInstance",
    "metadata": {"name": "alpha", "namespace": "tabletop"}, "spec": {"licenseRef": {"name": "guild"}}}
state.put(FOUNDRY_INSTANCE, dict(obj))
(root / "k" / "input").mkdir(parents=True)
(root / "k" / "input" / "object.yaml").write_text(yaml.safe_dump(obj))
raise SystemExit(run_workflow(instance_configure.decide, io=KratixIO(root / "k", {}), kube=MemoryKube(state),
    kind=FOUNDRY_INSTANCE, now=datetime.now(UTC)))
"""


def _time(code: str) -> list[float]:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        samples.append(time.perf_counter() - started)
    return samples


def main() -> None:
    print(f"process wall time, median (min-max) of {RUNS} runs")
    for label, code in (("imports only", IMPORTS), ("instance configure", PIPELINE)):
        samples = _time(code)
        print(
            f"  {label:<20} {statistics.median(samples) * 1000:7.0f} ms "
            f"({min(samples) * 1000:.0f}-{max(samples) * 1000:.0f})"
        )


if __name__ == "__main__":
    main()
