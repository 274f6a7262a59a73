"""One instance configure run as Kratix runs it: the `foundry-instance-configure` console script as its
own process (KRATIX_ROOT, kubeconfig) against `api_server` on 127.0.0.1, next to the bare import floor.

This is what a Kratix pipeline pod pays per run beyond scheduling: interpreter start, imports,
reading the request, the API calls, rendering, writing. CPU time, best of RUNS (see license_switch).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

from benchmarks.api_server import Store, pipeline_env, serve
from benchmarks.license_switch import REPO, RUNS, _timed, floor_ms

SCRIPT = Path(sys.executable).parent / "foundry-instance-configure"
NS = "tabletop"
LICENSE: dict[str, Any] = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryLicense",
    "metadata": {"name": "guild", "namespace": NS},
    "spec": {"licenseSecretRef": {"name": "s", "key": "k"}, "baseDomain": "vtt.example.com"},
}
INSTANCE: dict[str, Any] = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryInstance",
    "metadata": {"name": "alpha", "namespace": NS, "creationTimestamp": "2026-11-01T00:00:00Z"},
    "spec": {"licenseRef": {"name": "guild"}},
}


def instance_ms(runs: int = RUNS) -> float:
    samples = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        root = tmp / "kratix"
        for sub in ("input", "output", "metadata"):
            (root / sub).mkdir(parents=True)
        (root / "input" / "object.yaml").write_text(yaml.safe_dump(INSTANCE))
        store = Store()
        store.put("foundrylicenses", LICENSE)
        store.put("foundryinstances", INSTANCE)
        with serve(store) as url:
            env = pipeline_env(tmp, url, root)
            for _ in range(runs):
                done, seconds = _timed([str(SCRIPT)], env)
                if done.returncode != 0:
                    raise SystemExit(f"instance configure failed: {done.stderr}")
                samples.append(seconds)
    return min(samples) * 1000


# A fresh interpreter parses the packaged catalog once, as every instance run does; CPU ms of that call.
_CATALOG_RUN = """
import importlib.resources, time
from foundry_lib.catalog import {loader} as loader, parse_catalog
text = importlib.resources.files("foundry_lib").joinpath("data", "releases.yaml").read_text("utf-8")
started = time.process_time()
parse_catalog(text, loader=loader)
print((time.process_time() - started) * 1000)
"""


def catalog_ms(loader: str, runs: int = 15) -> float:
    """Best CPU ms of parsing the packaged catalog in a fresh process with `LOADER` or `PURE_LOADER`."""
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO)}
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _CATALOG_RUN.format(loader=loader)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"catalog parse failed: {done.stderr}")
        samples.append(float(done.stdout))
    return min(samples)


def catalog_table() -> str:
    fast, pure = catalog_ms("LOADER"), catalog_ms("PURE_LOADER")
    return "\n".join(
        [
            "| packaged release catalog, parsed once in a fresh process | CPU ms |",
            "| --- | ---: |",
            f"| libyaml's `CSafeLoader` (what the pipelines use) | {fast:.1f} |",
            f"| PyYAML's pure-Python `SafeLoader` | {pure:.1f} |",
        ]
    )


def table() -> str:
    floor, instance = floor_ms(), instance_ms()
    return "\n".join(
        [
            "| run | process ms | times floor |",
            "| --- | ---: | ---: |",
            f"| bare import floor | {floor:.0f} | 1.00 |",
            f"| instance configure | {instance:.0f} | {instance / floor:.2f} |",
        ]
    )


def main() -> None:
    print("instance configure as a process against a local API")
    print(table())
    print()
    print(catalog_table())


if __name__ == "__main__":
    main()
