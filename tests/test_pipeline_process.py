"""The installed `foundry-instance-configure` console script, run as Kratix runs it: a separate process.

It reads KRATIX_ROOT/input, finds the API through a kubeconfig (no in-cluster service account) and talks
HTTP to kmock's Kubernetes emulator, which serves on this test's event loop; the process itself runs
in a worker thread (`asyncio.to_thread`) so the loop stays free to answer it.
"""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kmock
import pytest
import yaml
from conftest import resource_key, serve_kinds, write_kubeconfig

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_KINDS, FOUNDRY_LICENSE, SECRET, Kind, kind_of

SCRIPTS = Path(sys.executable).parent
SCRIPT = SCRIPTS / "foundry-instance-configure"
LICENSE_YAML = Path(__file__).resolve().parents[1] / "examples" / "dungeons-guild" / "license.yaml"
NS, INSTANCE, LICENSE = "tabletop", "campaign-alpha", "dungeons-guild"
ADMIN_SECRET = f"foundry-{INSTANCE}-admin"
MERGE_PATCH = "application/merge-patch+json"


def _path(kind: Kind, name: str = "") -> str:
    prefix = f"/apis/{kind.api_version}" if kind.group else f"/api/{kind.version}"
    return f"{prefix}/namespaces/{NS}/{kind.plural}" + (f"/{name}" if name else "")


@pytest.fixture
def emulator(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    serve_kinds(kmock, (*FOUNDRY_KINDS, SECRET))
    return kmock


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str
    root: Path

    def files(self, folder: str) -> dict[str, str]:
        base = self.root / folder
        return {str(p.relative_to(base)): p.read_text() for p in sorted(base.rglob("*")) if p.is_file()}

    def read(self, relative: str) -> Any:
        return yaml.safe_load((self.root / relative).read_text())


def _instance(license_name: str = LICENSE) -> dict[str, Any]:
    return {
        "apiVersion": FOUNDRY_INSTANCE.api_version,
        "kind": FOUNDRY_INSTANCE.kind,
        "metadata": {"name": INSTANCE, "namespace": NS, "creationTimestamp": "2026-11-01T10:00:00Z"},
        "spec": {"licenseRef": {"name": license_name}},
    }


def _license() -> dict[str, Any]:
    [found] = [doc for doc in yaml.safe_load_all(LICENSE_YAML.read_text()) if doc["kind"] == "FoundryLicense"]
    return dict(found)


def _populate(emulator: kmock.KubernetesEmulator, *objects: dict[str, Any]) -> None:
    for obj in objects:
        emulator.objects[resource_key(kind_of(obj)), NS, obj["metadata"]["name"]] = obj


async def _run_pipeline(
    emulator: kmock.KubernetesEmulator,
    tmp_path: Path,
    instance: dict[str, Any],
    script: Path = SCRIPT,
    action: str = "configure",
    **extra_env: str,
) -> Run:
    root = tmp_path / "kratix"
    for folder in ("input", "output", "metadata"):
        (root / folder).mkdir(parents=True)
    (root / "input" / "object.yaml").write_text(yaml.safe_dump(instance))
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(emulator.url), token="t0ken")
    # A clean environment: no KUBERNETES_SERVICE_HOST, so the script falls back to KUBECONFIG.
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),  # the checkout under test, not the installed one
        "HOME": str(tmp_path),
        "KUBECONFIG": str(kubeconfig),
        "KRATIX_ROOT": str(root),
        "KRATIX_WORKFLOW_ACTION": action,
        "FOUNDRY_NFS_SERVER": "nas.example.internal",  # the example license defaults to NFS storage
        **extra_env,
    }
    done = await asyncio.to_thread(
        subprocess.run, [str(script)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    return Run(done.returncode, done.stdout, done.stderr, root)


def _requests(emulator: kmock.KubernetesEmulator, method: str) -> list[Any]:
    return list(emulator[method])


def _secret_values(secret: dict[str, Any]) -> list[str]:
    """Every value of a Secret as sent (stringData) and as a server would store it (data, base64)."""
    plain = list((secret.get("stringData") or {}).values())
    plain += [base64.b64decode(v).decode() for v in (secret.get("data") or {}).values()]
    return plain + [base64.b64encode(v.encode()).decode() for v in plain]


async def test_configure_renders_creates_the_admin_key_and_nudges_the_license(
    emulator: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    _populate(emulator, _license(), _instance())
    run = await _run_pipeline(emulator, tmp_path, _instance())

    assert run.code == 0, run.stderr
    assert {"deployment.yaml", "service.yaml", "storage.yaml"} <= set(run.files("output"))
    status = run.read("metadata/status.yaml")
    assert status["hostname"] == f"{INSTANCE}.dungeons.example.com"
    assert status["url"] == f"https://{INSTANCE}.dungeons.example.com"

    [create] = [r for r in _requests(emulator, "post") if r.url.path == _path(SECRET)]
    assert create.data["metadata"]["name"] == ADMIN_SECRET
    nudges = [r for r in _requests(emulator, "patch") if r.url.path == _path(FOUNDRY_LICENSE, LICENSE)]
    assert [r.headers["Content-Type"] for r in nudges] == [MERGE_PATCH]
    assert nudges[0].data == {"metadata": {"labels": {"kratix.io/manual-reconciliation": "true"}}}

    secret = emulator.objects[resource_key(SECRET), NS, ADMIN_SECRET].raw
    values = _secret_values(secret)
    assert values and all(len(v) >= 32 for v in values)
    seen = "\n".join([*run.files("output").values(), *run.files("metadata").values(), run.stdout, run.stderr])
    assert not [v for v in values if v in seen]


async def test_unknown_license_suspends_with_no_output_and_says_why_in_status_yaml(
    emulator: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    instance = _instance(license_name="no-such-license")
    _populate(emulator, instance)
    run = await _run_pipeline(emulator, tmp_path, instance)

    assert run.code == 0, run.stderr
    assert run.files("output") == {}
    assert run.read("metadata/workflow-control.yaml")["suspend"] is True
    status = run.read("metadata/status.yaml")
    assert "spec.licenseRef.name" in status["message"]
    assert status["conditions"][0]["reason"] == "LicenseNotFound"
    # Kratix applies status.yaml after a zero exit: nothing goes through the API, least of all conditions.
    assert (_requests(emulator, "post"), _requests(emulator, "patch")) == ([], [])


async def test_dry_run_renders_but_changes_nothing_in_the_api(
    emulator: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    _populate(emulator, _license(), _instance())
    run = await _run_pipeline(emulator, tmp_path, _instance(), KRATIX_DRY_RUN="true")

    assert run.code == 0, run.stderr
    assert {"deployment.yaml", "service.yaml", "storage.yaml"} <= set(run.files("output"))
    assert run.read("metadata/status.yaml")["hostname"] == f"{INSTANCE}.dungeons.example.com"
    assert _requests(emulator, "get")  # it did read the license and instances
    assert (_requests(emulator, "post"), _requests(emulator, "patch")) == ([], [])


async def test_an_existing_admin_key_is_kept_and_no_secret_is_ever_read(
    emulator: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    existing = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": ADMIN_SECRET, "namespace": NS},
        "data": {"adminKey": base64.b64encode(b"kept-from-the-first-run").decode()},
    }
    _populate(emulator, _license(), _instance(), existing)
    run = await _run_pipeline(emulator, tmp_path, _instance())

    assert run.code == 0, run.stderr
    assert [r.url.path for r in _requests(emulator, "post")] == [_path(SECRET)]  # AlreadyExists: it stands
    assert emulator.objects[resource_key(SECRET), NS, ADMIN_SECRET].raw["data"] == existing["data"]
    secret_reads = [r for r in _requests(emulator, "get") if r.url.path.startswith(_path(SECRET))]
    assert secret_reads == []  # the instance pipeline is granted no `get` on Secrets
