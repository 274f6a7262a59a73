"""Who writes which status key: one writer per top-level key of each resource (DESIGN §2 rule 2).

Kratix merges `/kratix/metadata/status.yaml` top-level only (nested maps are replaced, `conditions`
merge by `type`), and a JSON merge patch through the API replaces whole arrays. So every top-level
key has exactly one writer, which always writes its complete value, and `conditions` travel only
through status.yaml: an API patch carrying them would wipe Kratix's own conditions and leave
`kubectl wait --for=condition=...` hanging.

The runtime checks every status it is about to write against this table (`check_status_write`);
a violation is a bug in this code, never something a user did.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE, Kind


class Writer(StrEnum):
    """Every program that writes the status of a Foundry resource."""

    INSTANCE_PIPELINE = "instance pipeline"
    LICENSE_PIPELINE = "license pipeline"
    ACTIVATION_PIPELINE = "activation pipeline"
    MONITOR = "monitor"
    KRATIX = "Kratix"


CONDITIONS = "conditions"

# Keys the Kratix controller and its status writer keep on every resource request (syntasso/kratix:
# dynamic_resource_request_controller.go, work-creator update_status.go). `kratix` is refused by
# Kratix itself when a status.yaml carries it.
_KRATIX_KEYS = (
    "observedGeneration",
    "kratix",
    "workflows",
    "workflowsSucceeded",
    "workflowsFailed",
    "lastSuccessfulConfigureWorkflowTime",
    "promiseVersion",
    "resourceBindingVersion",
)

# Condition types Kratix writes (lib/resourceutil/util.go); a pipeline's status.yaml must not.
KRATIX_CONDITIONS = frozenset(
    {"ConfigureWorkflowCompleted", "DeleteWorkflowCompleted", "WorksSucceeded", "Reconciled"}
)


def _owners(by_writer: Mapping[Writer, tuple[str, ...]]) -> Mapping[str, Writer]:
    """Key → writer, Kratix's keys included; a key listed twice fails at import (a table bug)."""
    owners: dict[str, Writer] = {key: Writer.KRATIX for key in _KRATIX_KEYS}
    for writer, keys in by_writer.items():
        for key in keys:
            if key in owners:
                raise ValueError(f"status key {key!r} has two writers")
            owners[key] = writer
    return MappingProxyType(owners)


@dataclass(frozen=True)
class StatusModel:
    """The status keys of one resource kind and their writers; `pipeline` is the resource's own."""

    kind: Kind
    pipeline: Writer
    owners: Mapping[str, Writer]

    def keys_of(self, writer: Writer) -> frozenset[str]:
        return frozenset(key for key, owner in self.owners.items() if owner is writer)


# `message` and `conditions` (its own condition types) belong to the resource's own pipeline; Kratix
# sets a placeholder message ("Pending") before the first run only. `retry` is the runtime's attempt
# counter for requeued runs, written by the resource's own pipeline.
STATUS_MODELS: Mapping[str, StatusModel] = MappingProxyType(
    {
        FOUNDRY_INSTANCE.kind: StatusModel(
            FOUNDRY_INSTANCE,
            Writer.INSTANCE_PIPELINE,
            _owners(
                {
                    Writer.INSTANCE_PIPELINE: (
                        "hostname",
                        "url",
                        "foundryVersion",
                        "effective",
                        "volumes",
                        "replicas",
                        "accepted",
                        "retry",
                        "message",
                        CONDITIONS,
                    ),
                    Writer.LICENSE_PIPELINE: ("isActive",),
                    Writer.MONITOR: ("connectedPlayers", "lastPlayerActivity", "activeWorld", "foundry"),
                }
            ),
        ),
        FOUNDRY_LICENSE.kind: StatusModel(
            FOUNDRY_LICENSE,
            Writer.LICENSE_PIPELINE,
            _owners(
                {
                    Writer.LICENSE_PIPELINE: (
                        "activeInstance",
                        "instances",
                        "instanceInputs",
                        "pendingSwitchover",
                        "forcedSwitchover",
                        "accepted",
                        "retry",
                        "message",
                        CONDITIONS,
                    ),
                }
            ),
        ),
        FOUNDRY_ACTIVATION_REQUEST.kind: StatusModel(
            FOUNDRY_ACTIVATION_REQUEST,
            Writer.ACTIVATION_PIPELINE,
            _owners({Writer.ACTIVATION_PIPELINE: ("phase", "retry", "message", CONDITIONS)}),
        ),
    }
)


class StatusOwnershipError(Exception):
    """A writer was about to write status keys it does not own: a bug in this code (exit 1)."""


def model_of(kind: Kind) -> StatusModel:
    return STATUS_MODELS[kind.kind]


def pipeline_writer(kind: Kind) -> Writer:
    """The writer a workflow of this kind runs as."""
    return model_of(kind).pipeline


def foreign_keys(kind: Kind, writer: Writer, status: Mapping[str, Any], *, via_api: bool) -> list[str]:
    """What in `status` this writer may not write: keys it does not own, `conditions` through the API,
    and Kratix's own condition types in a status.yaml. Empty when the write is allowed."""
    model = model_of(kind)
    offending = sorted(key for key in status if model.owners.get(key) is not writer)
    if CONDITIONS in status and CONDITIONS not in offending:
        if via_api:
            offending.append(CONDITIONS)
        else:
            offending += sorted(
                f"{CONDITIONS}[type={c.get('type')}]"
                for c in status.get(CONDITIONS) or []
                if isinstance(c, Mapping) and c.get("type") in KRATIX_CONDITIONS
            )
    return offending


def check_status_write(kind: Kind, writer: Writer, status: Mapping[str, Any], *, via_api: bool) -> None:
    """Raise StatusOwnershipError when `writer` may not write all of `status` this way."""
    offending = foreign_keys(kind, writer, status, via_api=via_api)
    if offending:
        channel = "an API status patch" if via_api else "status.yaml"
        raise StatusOwnershipError(
            f"the {writer} may not write {', '.join(offending)} of a {kind.kind} through {channel}"
        )
