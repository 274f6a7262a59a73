"""What differs between the three Promises: kind, model, console-script role, printer columns, status
documentation, the Promises each one requires and the objects it ships as dependencies.

Everything else (CRD, workflows, scheduling) is rendered the same way for all three (`promises`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel

from foundry_lib import kube
from foundry_lib.manifests.standby import standby_dependencies
from foundry_lib.models import FoundryActivationRequestSpec, FoundryInstanceSpec, FoundryLicenseSpec
from foundry_lib.settings import PlatformSettings


class Action(StrEnum):
    CONFIGURE = "configure"
    DELETE = "delete"


@dataclass(frozen=True)
class Column:
    name: str
    json_path: str
    type: str = "string"


@dataclass(frozen=True)
class PromiseDefinition:
    """What differs between the three Promises; everything else is rendered the same way."""

    name: str
    kind: kube.Kind
    short_names: tuple[str, ...]
    model: type[BaseModel]
    role: str  # console scripts foundry-<role>-<action>, containers <role>-<action>
    columns: tuple[Column, ...]
    status_doc: str
    catalog_actions: frozenset[Action] = frozenset()
    requires: tuple[str, ...] = ()  # Promises that must be installed (same release) before this one
    # Objects its workflows' outputs need on the Destination, shipped as Kratix `spec.dependencies`.
    dependencies: Callable[[PlatformSettings], list[dict[str, Any]]] | None = None


_AGE = Column("Age", ".metadata.creationTimestamp", "date")

PROMISES: tuple[PromiseDefinition, ...] = (
    PromiseDefinition(
        name="foundry-license",
        kind=kube.FOUNDRY_LICENSE,
        short_names=("fl",),
        model=FoundryLicenseSpec,
        role="license",
        columns=(
            Column("Active", ".status.activeInstance"),
            Column("Domain", ".spec.baseDomain"),
            Column("Message", ".status.message"),
            _AGE,
        ),
        status_doc="Written by the license pipeline: activeInstance, instanceInputs, instances, "
        "pendingSwitchover, conditions, message.",
        dependencies=standby_dependencies,  # its routes send non-active hostnames to the standby Service
    ),
    PromiseDefinition(
        name="foundry-instance",
        kind=kube.FOUNDRY_INSTANCE,
        short_names=("fi",),
        model=FoundryInstanceSpec,
        role="instance",
        columns=(
            Column("License", ".spec.licenseRef.name"),
            Column("Active", ".status.isActive", "boolean"),
            Column("Players", ".status.connectedPlayers", "integer"),
            Column("Version", ".status.foundryVersion.resolved"),
            Column("URL", ".status.url"),
            _AGE,
        ),
        status_doc="Instance pipeline: foundryVersion, volumes, hostname, url, conditions, message. "
        "License pipeline: isActive. Monitor: connectedPlayers, lastPlayerActivity, activeWorld, foundry.",
        catalog_actions=frozenset({Action.CONFIGURE}),
        requires=("foundry-license",),
    ),
    PromiseDefinition(
        name="foundry-activation-request",
        kind=kube.FOUNDRY_ACTIVATION_REQUEST,
        short_names=("far",),
        model=FoundryActivationRequestSpec,
        role="activation",
        columns=(
            Column("Instance", ".spec.instanceRef.name"),
            Column("Phase", ".status.phase"),
            Column("Source", ".spec.requestedBy.source"),
            _AGE,
        ),
        status_doc="Written by the activation pipeline: phase (Pending, Approved, Denied, Expired, "
        "Completed), message.",
        requires=("foundry-instance",),
    ),
)
PROMISE_NAMES = tuple(p.name for p in PROMISES)
