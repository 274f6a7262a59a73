"""The installed `foundry-license-configure` console script, run as Kratix runs it, switching the active
instance among 100: it writes `isActive` on the old and the new active instance only, wakes at most
those two, and writes nothing on a rerun (DESIGN §2 rule 3). The API is kmock's emulator on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import kmock
import pytest
import yaml
from conftest import resource_key, serve_kinds, write_kubeconfig

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_KINDS
from foundry_lib.outcome import MANUAL_RECONCILIATION

SCRIPT = Path(sys.executable).parent / "foundry-license-configure"
NS, LICENSE, N = "tabletop", "guild", 100
AT = "2026-11-01T10:00"


@pytest.fixture
def emulator(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    serve_kinds(kmock, FOUNDRY_KINDS)
    for i in range(N):
        name = f"campaign-{i:03d}"
        kmock.objects[resource_key(FOUNDRY_INSTANCE), NS, name] = {
            "apiVersion": FOUNDRY_INSTANCE.api_version,
            "kind": FOUNDRY_INSTANCE.kind,
            "metadata": {"name": name, "namespace": NS, "creationTimestamp": f"{AT}:{i % 60:02d}Z"},
            "spec": {"licenseRef": {"name": LICENSE}},
            "status": {"hostname": f"{name}.vtt.example.com"},
        }  # fmt: skip
    return kmock


def _license(active: str, *, scale_to_zero: bool, status: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": {"name": LICENSE, "namespace": NS, "generation": 3},
        "spec": {
            "licenseSecretRef": {"name": "guild-key", "key": "license"},
            "baseDomain": "vtt.example.com",
            "activeInstanceName": active,
            "standby": {"scaleToZero": scale_to_zero},
            "switchover": {"whenPlayersConnected": "force"},  # nobody reports players here
        },
        "status": status or {},
    }


async def _run(emulator: kmock.KubernetesEmulator, tmp_path: Path, lic: dict[str, Any]) -> dict[str, Any]:
    root = tmp_path / "kratix"
    for folder in ("input", "output", "metadata"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "input" / "object.yaml").write_text(yaml.safe_dump(lic))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "HOME": str(tmp_path),
        "KUBECONFIG": str(write_kubeconfig(tmp_path / "kubeconfig", str(emulator.url), token="t0ken")),
        "KRATIX_ROOT": str(root),
        "KRATIX_WORKFLOW_ACTION": "configure",
    }
    done = await asyncio.to_thread(
        subprocess.run, [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    status: dict[str, Any] = yaml.safe_load((root / "metadata" / "status.yaml").read_text())
    return status


def _writes(emulator: kmock.KubernetesEmulator, since: int) -> tuple[list[str], list[str]]:
    """(instances whose status was patched, instances woken) by requests after the first `since`."""
    patches = list(emulator["patch"])[since:]
    status = [r.url.path.split("/")[-2] for r in patches if r.url.path.endswith("/status")]
    woken = [r.url.path.split("/")[-1] for r in patches if MANUAL_RECONCILIATION in str(r.data)]
    return sorted(status), sorted(woken)


SWITCH_CASES = [
    ("keeps-standby-running", False, ["campaign-000", "campaign-001"], []),
    ("scale-to-zero", True, ["campaign-000", "campaign-001"], ["campaign-000", "campaign-001"]),
]


@pytest.mark.parametrize(
    ("scale", "written", "woken"), [c[1:] for c in SWITCH_CASES], ids=[c[0] for c in SWITCH_CASES]
)
async def test_a_switch_among_100_writes_and_wakes_only_the_two_instances(
    emulator: kmock.KubernetesEmulator, tmp_path: Path, scale: bool, written: list[str], woken: list[str]
) -> None:
    settled = await _run(emulator, tmp_path, _license("campaign-000", scale_to_zero=scale))
    assert "observedGeneration" not in settled  # Kratix's key
    before = len(list(emulator["patch"]))

    switched = await _run(emulator, tmp_path, _license("campaign-001", scale_to_zero=scale, status=settled))
    assert switched["activeInstance"] == "campaign-001"
    assert _writes(emulator, before) == (written, woken)

    again = len(list(emulator["patch"]))
    await _run(emulator, tmp_path, _license("campaign-001", scale_to_zero=scale, status=switched))
    assert _writes(emulator, again) == ([], [])  # a rerun with nothing changed writes nothing
