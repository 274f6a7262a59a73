"""Carrying out an Outcome's API side effects through the KubeAPI port."""

from __future__ import annotations

import secrets
from contextlib import suppress

from foundry_lib.errors import AlreadyExistsError, NotFoundError
from foundry_lib.kube import FOUNDRY_LICENSE, SECRET, KubeAPI
from foundry_lib.outcome import (
    MANUAL_RECONCILIATION,
    Effect,
    EnsureSecret,
    PatchStatus,
    RequestReconcile,
    SetActiveInstance,
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
        case SetActiveInstance():  # a missing license fails the run: the request is not approved
            spec = {"spec": {"activeInstanceName": effect.instance}}
            kube.merge_patch(FOUNDRY_LICENSE, effect.namespace, effect.license_name, spec)


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
