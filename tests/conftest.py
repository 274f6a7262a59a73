"""Shared test fixtures and the --update-goldens flag."""

from __future__ import annotations

from pathlib import Path

import kmock
import pytest
import yaml
from kubernetes import client

from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.kube import EVENT, FOUNDRY_KINDS, SECRET, Kind

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the expected files of golden scenarios from what the pipelines produce now",
    )


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def shared_schema(name: str) -> Path:
    """A file of ../shared/schemas, or skip: a user's clone may not have ../shared beside it."""
    path = SHARED / "schemas" / name
    if not path.exists():
        pytest.skip(
            f"{path} is not there: clone the repo with ../shared beside it to validate against real schemas"
        )
    return path


def write_kubeconfig(path: Path, server: str, *, token: str) -> Path:
    """A kubeconfig with one context pointing at a test API server (an emulator on 127.0.0.1)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": "emu",
        "clusters": [{"name": "emu", "cluster": {"server": server.rstrip("/")}}],
        "users": [{"name": "emu", "user": {"token": token}}],
        "contexts": [{"name": "emu", "context": {"cluster": "emu", "user": "emu"}}],
    }
    path.write_text(yaml.safe_dump(config))
    return path


def resource_key(kind: Kind) -> str:
    """The emulator's key for a kind: `<group>/<version>/<plural>` (`v1/<plural>` for the core group)."""
    return f"{kind.group}/{kind.version}/{kind.plural}".lstrip("/")


def serve_kinds(
    emulator: kmock.KubernetesEmulator, kinds: tuple[Kind, ...] = (*FOUNDRY_KINDS, SECRET, EVENT)
) -> None:
    """Let the API emulator serve these kinds, namespaced and with a status subresource."""
    for kind in kinds:
        emulator.resources[resource_key(kind)] = kmock.ResourceInfo(
            kind=kind.kind, namespaced=True, subresources={"status"}
        )


def emulated_api(emulator: kmock.KubernetesEmulator, *, pool_size: int | None = None) -> KubernetesAPI:
    """The real Kubernetes client adapter, talking HTTP to the API emulator (close it when done)."""
    configuration = client.Configuration(host=str(emulator.url).rstrip("/"))
    if pool_size is not None:
        configuration.connection_pool_maxsize = pool_size
    return KubernetesAPI(client.ApiClient(configuration))
