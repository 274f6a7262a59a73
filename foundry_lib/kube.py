"""The port every program uses to reach the Kubernetes API, and the kinds it touches.

Two implementations exist: `foundry_lib.adapters.kubernetes_api` (the real client, in a cluster)
and the simulator's embedded state. Pipelines depend on this Protocol only.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

KubeObject = dict[str, Any]

GROUP = "foundry.platform"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"


@dataclass(frozen=True)
class Kind:
    """An API resource: enough to build its REST path."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


FOUNDRY_LICENSE = Kind(API_VERSION, "FoundryLicense", "foundrylicenses")
FOUNDRY_INSTANCE = Kind(API_VERSION, "FoundryInstance", "foundryinstances")
FOUNDRY_ACTIVATION_REQUEST = Kind(API_VERSION, "FoundryActivationRequest", "foundryactivationrequests")
SECRET = Kind("v1", "Secret", "secrets")
EVENT = Kind("v1", "Event", "events")

FOUNDRY_KINDS = (FOUNDRY_LICENSE, FOUNDRY_INSTANCE, FOUNDRY_ACTIVATION_REQUEST)


def kind_of(obj: Mapping[str, Any]) -> Kind:
    """The known Kind of a raw object, by apiVersion and kind."""
    for known in (*FOUNDRY_KINDS, SECRET, EVENT):
        if known.api_version == obj.get("apiVersion") and known.kind == obj.get("kind"):
            return known
    raise KeyError(f"unknown kind {obj.get('apiVersion')}/{obj.get('kind')}")


def deleting(obj: Mapping[str, Any]) -> bool:
    """Marked for deletion: a finalizer keeps the object until its delete workflow succeeds. Such an
    object never blocks another's deletion (a whole namespace is deleted at once)."""
    return bool((obj.get("metadata") or {}).get("deletionTimestamp"))


class KubeAPI(Protocol):
    """The Kubernetes API calls the pipelines make, and nothing more.

    Errors: `NotFoundError` where the object must exist (not `delete`: gone is what it wants),
    `AlreadyExistsError` on create, `ConflictError` (a TransientError) when a write lost a race,
    `ForbiddenError` when RBAC refuses the call, `TransientError` for anything else the API or
    network did wrong.
    """

    def get(self, kind: Kind, namespace: str, name: str) -> KubeObject | None:
        """The object, or None when it does not exist."""

    def list(self, kind: Kind, namespace: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        """Objects of a kind in a namespace, optionally filtered by equality label selector."""

    def list_all(self, kind: Kind) -> builtins.list[KubeObject]:
        """Objects of a namespaced kind in every namespace (platform-wide rules: hostnames)."""

    def create(self, kind: Kind, namespace: str, body: KubeObject) -> KubeObject:
        """Create an object; raise AlreadyExistsError when its name is taken."""

    def merge_patch(self, kind: Kind, namespace: str, name: str, patch: KubeObject) -> KubeObject:
        """JSON merge-patch (RFC 7386) the object's main resource (metadata, spec)."""

    def merge_patch_status(self, kind: Kind, namespace: str, name: str, status: KubeObject) -> KubeObject:
        """JSON merge-patch `{"status": status}` onto the status subresource."""

    def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        """Ask the API to delete the object: True when it accepted, False when it was already gone.
        An object with finalizers (Kratix's) only gets its deletionTimestamp; its delete workflow
        runs and the finalizers' owner removes it afterwards."""
