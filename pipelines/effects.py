"""Carrying out an Outcome's API side effects through the KubeAPI port."""

from __future__ import annotations

import secrets
from contextlib import suppress

from foundry_lib.conditions import rfc3339
from foundry_lib.errors import AlreadyExistsError, NotFoundError
from foundry_lib.kube import EVENT, SECRET, KubeAPI, KubeObject
from foundry_lib.outcome import (
    MANUAL_RECONCILIATION,
    Effect,
    EnsureSecret,
    PatchStatus,
    RecordEvent,
    RequestReconcile,
)


def apply_effect(kube: KubeAPI, effect: Effect) -> None:
    match effect:
        case EnsureSecret():
            _ensure_secret(kube, effect)
        case PatchStatus():
            with suppress(NotFoundError):  # deleted meanwhile: nothing left to tell
                kube.merge_patch_status(effect.kind, effect.namespace, effect.name, dict(effect.status))
        case RequestReconcile():
            patch = {"metadata": {"labels": {MANUAL_RECONCILIATION: "true"}}}
            with suppress(NotFoundError):  # gone: there is nothing left to re-run
                kube.merge_patch(effect.kind, effect.namespace, effect.name, patch)
        case RecordEvent():
            with suppress(AlreadyExistsError):  # this decision was recorded by an earlier run
                kube.create(EVENT, effect.namespace, event_body(effect))


def event_body(effect: RecordEvent) -> KubeObject:
    """A core/v1 Event as `kubectl describe` and `kubectl get events` show it."""
    at = rfc3339(effect.at)
    regarding = {
        "apiVersion": effect.regarding.api_version,
        "kind": effect.regarding.kind,
        "namespace": effect.namespace,
        "name": effect.regarding_name,
    }
    if effect.regarding_uid:
        regarding["uid"] = effect.regarding_uid
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": effect.name, "namespace": effect.namespace},
        "involvedObject": regarding,
        "reason": effect.reason,
        "message": effect.message,
        "type": "Warning" if effect.warning else "Normal",
        "source": {"component": effect.component},
        "reportingComponent": effect.component,
        "reportingInstance": effect.component,
        "firstTimestamp": at,
        "lastTimestamp": at,
        "count": 1,
    }


def _ensure_secret(kube: KubeAPI, effect: EnsureSecret) -> None:
    """Create, never read: the pipeline has no `get` on Secrets (least privilege, DESIGN rule 9)."""
    body = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": effect.name, "namespace": effect.namespace, "labels": dict(effect.labels)},
        "stringData": {effect.key: secrets.token_urlsafe(32)},
    }
    with suppress(AlreadyExistsError):  # it exists (an earlier or concurrent run): its value stands
        kube.create(SECRET, effect.namespace, body)
