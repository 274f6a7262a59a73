"""What a pipeline decided: outputs, status, workflow control and API side effects — as data.

The pure planners return an Outcome; the runtime writes it. `outputs is None` means "write no
Work": the previous Work stays applied (used with suspend, never as an empty output).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from foundry_lib.kube import Kind, KubeObject


@dataclass(frozen=True)
class WorkflowControl:
    suspend: bool = False
    retry_after: timedelta | None = None
    message: str = ""


@dataclass(frozen=True)
class EnsureSecret:
    """Create a Secret holding a random value under `key`, unless it exists. Value never in outputs."""

    namespace: str
    name: str
    key: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PatchStatus:
    """Merge-patch another object's status (only keys this workflow owns)."""

    kind: Kind
    namespace: str
    name: str
    status: Mapping[str, Any]


@dataclass(frozen=True)
class RequestReconcile:
    """Ask Kratix to re-run another resource's configure workflow (manual-reconciliation label)."""

    kind: Kind
    namespace: str
    name: str


@dataclass(frozen=True)
class RecordEvent:
    """A Kubernetes Event on a resource (core/v1): what was decided, why, by whom, until when.
    `name` is deterministic per decision, so a re-run with the same decision records nothing new."""

    regarding: Kind
    namespace: str
    regarding_name: str
    regarding_uid: str
    name: str
    reason: str
    message: str
    warning: bool
    at: datetime
    component: str


Effect = EnsureSecret | PatchStatus | RequestReconcile | RecordEvent

MANUAL_RECONCILIATION = "kratix.io/manual-reconciliation"


@dataclass(frozen=True)
class Outcome:
    outputs: Mapping[str, list[KubeObject]] | None
    status: Mapping[str, Any]
    control: WorkflowControl | None = None
    effects: tuple[Effect, ...] = ()
    publish_status: bool = False
