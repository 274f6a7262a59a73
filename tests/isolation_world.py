"""A small simulated platform for the isolation tests: tenants apply, edit and delete, Kratix settles.

Runs the real pipelines in-process through the simulator's Engine (what `foundry-platform simulate`
runs) and reads what Kratix would have applied: the Works in the state store and the statuses.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeObject
from foundry_platform.simulator.engine import Engine

START = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
NFS_SERVER = "nas"
SHARED_ROOT = "/srv/foundry/shared"
INSTANCE_ROOT = "/srv/foundry/instances"
ENV = {
    "FOUNDRY_NFS_SERVER": NFS_SERVER,
    "FOUNDRY_SHARED_NFS_ROOTS": SHARED_ROOT,
    "FOUNDRY_NFS_INSTANCE_ROOT": INSTANCE_ROOT,
    "FOUNDRY_ALLOWED_BASE_DOMAINS": "example.com",
}
PLANTED = "PLANTED-LICENSE-KEY-{ns}-7f3a9c"


def secret(ns: str, name: str = "license") -> KubeObject:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": ns},
        "type": "Opaque",
        "stringData": {"licenseKey": PLANTED.format(ns=ns)},
    }


def license_doc(ns: str, name: str = "guild", **spec: Any) -> KubeObject:
    body = {
        "licenseSecretRef": {"name": "license", "key": "licenseKey"},
        "credentialsSecretRef": {"name": "account"},  # the release source every instance needs
        "switchover": {"whenPlayersConnected": "force"},  # the guard has its own tests
        "baseDomain": "games.example.com",
    }
    body.update(spec)
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": {"name": name, "namespace": ns},
        "spec": {k: v for k, v in body.items() if v is not None},
    }


def instance_doc(ns: str, name: str, license_name: str = "guild", **spec: Any) -> KubeObject:
    body: dict[str, Any] = {"licenseRef": {"name": license_name}, "foundryVersion": "13.x"}
    body.update(spec)
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {"name": name, "namespace": ns},
        "spec": {k: v for k, v in body.items() if v is not None},
    }


class World:
    def __init__(self, root: Path, env: dict[str, str] | None = None) -> None:
        self.root = root
        self.engine = Engine(root, START, {**ENV, **(env or {})})

    # -- actions --------------------------------------------------------------------------------
    def apply(self, *docs: KubeObject) -> None:
        for doc in docs:
            self.engine.apply(copy.deepcopy(doc))
        self.settle()

    def delete(self, *docs: KubeObject) -> None:
        for doc in docs:
            self.engine.delete(doc)
        self.settle()

    def settle(self) -> None:
        """Run what is due, then let retries (waits) fall due once on the simulated clock."""
        self.engine.settle()
        self.engine.now += timedelta(minutes=30)
        self.engine.settle()

    # -- what is applied ------------------------------------------------------------------------
    def get(self, kind: str, ns: str, name: str) -> KubeObject | None:
        k = FOUNDRY_LICENSE if kind == "license" else FOUNDRY_INSTANCE
        return self.engine.state.get(k, ns, name)

    def status(self, kind: str, ns: str, name: str) -> dict[str, Any]:
        obj = self.get(kind, ns, name)
        assert obj is not None, (kind, ns, name)
        return dict(obj.get("status") or {})

    def message(self, kind: str, ns: str, name: str) -> str:
        return str(self.status(kind, ns, name).get("message", ""))

    def work_folder(self, kind: str, ns: str, name: str) -> Path:
        promise = "foundry-license" if kind == "license" else "foundry-instance"
        return self.root / "statestore" / promise / ns / name / "render"

    def work(self, kind: str, ns: str, name: str) -> list[KubeObject]:
        folder = self.work_folder(kind, ns, name)
        return [d for p in sorted(folder.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]

    def snapshot(self, kind: str, ns: str, name: str) -> dict[str, bytes]:
        folder = self.work_folder(kind, ns, name)
        return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}

    def all_work(self) -> Iterator[tuple[str, KubeObject]]:
        """(Work folder, document) for every object every Work holds."""
        for path in sorted((self.root / "statestore").rglob("*.yaml")):
            for doc in yaml.safe_load_all(path.read_text()):
                if doc:
                    yield str(path.parent.relative_to(self.root / "statestore")), doc

    def routes(self) -> list[KubeObject]:
        return [d for _, d in self.all_work() if d["kind"] == "HTTPRoute"]

    def hostnames(self) -> list[str]:
        return [h for r in self.routes() for h in r["spec"]["hostnames"]]

    def deployment(self, ns: str, name: str) -> KubeObject | None:
        return next((d for d in self.work("instance", ns, name) if d["kind"] == "Deployment"), None)

    def runs(self, ns: str, name: str) -> list[str]:
        return [r.result for r in self.engine.runs if (r.namespace, r.name) == (ns, name)]
