"""The KubeAPI port served from the embedded state: what the pipelines call in the simulator."""

from __future__ import annotations

import builtins
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from foundry_lib.conditions import rfc3339
from foundry_lib.errors import AlreadyExistsError, NotFoundError
from foundry_lib.kube import FOUNDRY_KINDS, Kind, KubeObject
from foundry_platform.simulator.state import ClusterState


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, Mapping):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


@dataclass(frozen=True)
class Write:
    """One write a client made, as it would cross the wire: HTTP method, REST path, JSON body."""

    method: str
    path: str
    body: KubeObject


def api_path(kind: Kind, namespace: str, name: str = "", subresource: str = "") -> str:
    """The REST path a real client uses for this call."""
    prefix = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    path = f"{prefix}/namespaces/{namespace}/{kind.plural}"
    return path + (f"/{name}" if name else "") + (f"/{subresource}" if subresource else "")


class MemoryKube:
    """Implements foundry_lib.kube.KubeAPI over a ClusterState; journals every write it served
    (`writes`), so the contract suite can compare them with what a pipeline sends over HTTP."""

    def __init__(self, state: ClusterState, clock: Callable[[], datetime] | None = None) -> None:
        self.state = state
        self.clock = clock or (lambda: datetime.now(UTC))
        self.writes: list[Write] = []

    def get(self, kind: Kind, namespace: str, name: str) -> KubeObject | None:
        found = self.state.get(kind, namespace, name)
        return copy.deepcopy(found) if found is not None else None

    def list(self, kind: Kind, namespace: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        wanted = dict(labels or {})
        return [
            copy.deepcopy(obj)
            for obj in self.state.of_kind(kind)
            if obj["metadata"].get("namespace") == namespace
            and wanted.items() <= (obj["metadata"].get("labels") or {}).items()
        ]

    def list_all(self, kind: Kind) -> builtins.list[KubeObject]:
        return [copy.deepcopy(obj) for obj in self.state.of_kind(kind)]

    def create(self, kind: Kind, namespace: str, body: KubeObject) -> KubeObject:
        name = body["metadata"]["name"]
        full = {"apiVersion": kind.api_version, "kind": kind.kind, **body}
        self.writes.append(Write("POST", api_path(kind, namespace), copy.deepcopy(full)))
        if self.state.get(kind, namespace, name) is not None:
            raise AlreadyExistsError(f"{kind.kind} {namespace}/{name} already exists")
        obj = copy.deepcopy(body)
        obj.setdefault("apiVersion", kind.api_version)
        obj.setdefault("kind", kind.kind)
        if kind in FOUNDRY_KINDS:
            obj.pop("status", None)  # the status subresource: create cannot set status
            obj["metadata"]["generation"] = 1
        obj["metadata"].update(namespace=namespace, creationTimestamp=rfc3339(self.clock()))
        return copy.deepcopy(self.state.put(kind, obj))

    def merge_patch(self, kind: Kind, namespace: str, name: str, patch: KubeObject) -> KubeObject:
        self.writes.append(Write("PATCH", api_path(kind, namespace, name), copy.deepcopy(patch)))
        current = self._existing(kind, namespace, name)
        allowed = {k: v for k, v in patch.items() if k != "status"}
        merged = merge_patch(current, allowed)
        merged["metadata"].update(name=name, namespace=namespace)  # identity is not patchable
        if kind in FOUNDRY_KINDS and merged.get("spec") != current.get("spec"):
            # As the API server does for custom resources: a spec change is a new generation, which
            # is what makes Kratix run the configure workflow again.
            merged["metadata"]["generation"] = int(current["metadata"].get("generation") or 1) + 1
        return copy.deepcopy(self.state.put(kind, merged))

    def merge_patch_status(self, kind: Kind, namespace: str, name: str, status: KubeObject) -> KubeObject:
        body = {"status": copy.deepcopy(status)}
        self.writes.append(Write("PATCH", api_path(kind, namespace, name, "status"), body))
        current = self._existing(kind, namespace, name)
        return copy.deepcopy(self.state.put(kind, merge_patch(current, {"status": status})))

    def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        """As the API server does: an object with finalizers gets its deletionTimestamp (once) and
        stays until they are removed; one without is removed at once. False when already gone."""
        self.writes.append(Write("DELETE", api_path(kind, namespace, name), {}))
        current = self.state.get(kind, namespace, name)
        if current is None:
            return False
        if not current["metadata"].get("finalizers"):
            self.state.remove(kind, namespace, name)
            return True
        if not current["metadata"].get("deletionTimestamp"):
            current = copy.deepcopy(current)
            current["metadata"]["deletionTimestamp"] = rfc3339(self.clock())
            self.state.put(kind, current)
        return True

    def _existing(self, kind: Kind, namespace: str, name: str) -> KubeObject:
        current = self.state.get(kind, namespace, name)
        if current is None:
            raise NotFoundError(f"{kind.kind} {namespace}/{name} not found")
        return copy.deepcopy(current)
