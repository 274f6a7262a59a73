"""License configure with 10, 100 and 1000 instances: wall time and output size (gzip).

Kratix stores a workflow's output in etcd (Work objects), so the license's route file must stay well
under 1 MiB gzip even for a very large license. The run is the real pipeline (`run_workflow`) against
the in-memory API, writing to a temporary /kratix folder, best of three.
"""

from __future__ import annotations

import gzip
import io
import tempfile
import time
from contextlib import redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

import yaml

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from pipelines import license_configure
from pipelines.runtime import run_workflow

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
SIZES = (10, 100, 1000)


def _license() -> dict[str, object]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": {"name": "guild", "namespace": "tabletop", "generation": 1},
        "spec": {
            "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
            "baseDomain": "dungeons.example.com",
            "activeInstanceName": "campaign-00000",
        },
        "status": {},  # a first run: every instance is new to the license
    }


def _instance(i: int) -> dict[str, object]:
    name = f"campaign-{i:05d}"
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {
            "name": name,
            "namespace": "tabletop",
            "creationTimestamp": f"2026-11-01T00:{i // 60 % 60:02d}:00Z",
        },
        "spec": {"licenseRef": {"name": "guild"}},
        "status": {"hostname": f"{name}.dungeons.example.com", "isActive": i == 0},
    }


def _gzip_size(folder: Path) -> tuple[int, int]:
    raw = b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())
    return len(raw), len(gzip.compress(raw))


def run(n: int) -> tuple[float, int, int]:
    best = float("inf")
    sizes = (0, 0)
    for _ in range(3):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            state = ClusterState(root / "cluster")
            lic = _license()
            state.put(FOUNDRY_LICENSE, lic)
            for i in range(n):
                state.put(FOUNDRY_INSTANCE, _instance(i))
            (root / "kratix" / "input").mkdir(parents=True)
            (root / "kratix" / "input" / "object.yaml").write_text(yaml.safe_dump(lic))
            started = time.perf_counter()
            with redirect_stdout(io.StringIO()):
                code = run_workflow(
                    license_configure.decide,
                    io=KratixIO(root / "kratix", {}),
                    kube=MemoryKube(state),
                    kind=FOUNDRY_LICENSE,
                    now=NOW,
                )
            best = min(best, time.perf_counter() - started)
            if code != 0:
                raise SystemExit(f"license configure failed for {n} instances")
            sizes = _gzip_size(root / "kratix" / "output")
    return best, *sizes


def main() -> None:
    print("license configure (real pipeline, in-memory API; best of 3)")
    print(f"{'instances':>10} {'wall ms':>10} {'ms/inst':>8} {'output KiB':>11} {'gzip KiB':>9}")
    for n in SIZES:
        seconds, raw, packed = run(n)
        ms = seconds * 1000
        print(f"{n:>10} {ms:>10.1f} {ms / n:>8.3f} {raw / 1024:>11.1f} {packed / 1024:>9.1f}")


if __name__ == "__main__":
    main()
