"""What people and the monitor do to the simulated cluster, as the API server would record it.

`kubectl apply` (a new object, or a new generation when its spec changed), `kubectl delete` (a
deletionTimestamp while Kratix's finalizers hold it), and the monitor's writes: the players it
observes and its timers. Pure where it can be: the Engine stores what these functions return.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from foundry_lib.activation import expired_requests
from foundry_lib.conditions import rfc3339
from foundry_lib.kube import (
    FOUNDRY_ACTIVATION_REQUEST,
    FOUNDRY_INSTANCE,
    FOUNDRY_LICENSE,
    Kind,
    KubeAPI,
    KubeObject,
    kind_of,
)
from foundry_lib.outcome import MANUAL_RECONCILIATION
from foundry_lib.scheduled_delete import due_deletions
from foundry_lib.settings import PlatformSettings
from foundry_platform.simulator.errors import SimulationError


def document_kind(doc: KubeObject) -> Kind:
    try:
        return kind_of(doc)
    except KeyError:
        raise SimulationError(
            f"unsupported document {doc.get('apiVersion')}/{doc.get('kind')}: the simulator takes "
            "FoundryLicense, FoundryInstance, FoundryActivationRequest and Secret"
        ) from None


def document_address(doc: KubeObject) -> tuple[str, str]:
    """(namespace, name) of a document; no namespace means `default`, as kubectl does."""
    meta = doc.get("metadata") or {}
    return str(meta.get("namespace") or "default"), str(meta.get("name") or "")


def applied(current: KubeObject | None, doc: KubeObject, now: datetime) -> KubeObject:
    """The object `kubectl apply` of `doc` leaves, given what the cluster holds (`current`)."""
    meta = doc.get("metadata") or {}
    namespace, name = document_address(doc)
    if not name:
        raise SimulationError(f"a {doc.get('kind')} document has no metadata.name")
    obj: KubeObject = {"apiVersion": doc["apiVersion"], "kind": doc["kind"]}
    new_meta = {k: v for k, v in meta.items() if k in ("name", "labels", "annotations")}
    new_meta["namespace"] = namespace
    if current is not None:  # as `kubectl apply` does, labels set by others (Kratix) stay
        new_meta["labels"] = {**(current["metadata"].get("labels") or {}), **(meta.get("labels") or {})}
    if current is None:
        new_meta.update(creationTimestamp=rfc3339(now), generation=1)
        obj["metadata"] = new_meta
    else:
        old = current["metadata"]
        changed = current.get("spec") != doc.get("spec")
        kept = ("uid", "creationTimestamp", "resourceVersion", "deletionTimestamp")
        keep = {k: old[k] for k in kept if k in old}
        new_meta.update(keep, generation=int(old.get("generation", 1)) + (1 if changed else 0))
        obj["metadata"] = new_meta
        if "status" in current:
            obj["status"] = current["status"]
    for key in ("spec", "data", "stringData", "type"):
        if key in doc:
            obj[key] = doc[key]
    return obj


def deleted(current: KubeObject, now: datetime) -> KubeObject:
    """A Promise's resource that `kubectl delete` marks: Kratix's finalizers keep it until its delete
    workflow succeeded (other kinds are simply removed)."""
    current["metadata"].setdefault("deletionTimestamp", rfc3339(now))
    return current


def record_players(kube: KubeAPI, namespace: str, instance: str, players: int, now: datetime) -> None:
    """What the monitor would write at `now` (observed_players), then a nudge to the license."""
    current = kube.get(FOUNDRY_INSTANCE, namespace, instance)
    if current is None:
        raise SimulationError(f"--players names {namespace}/{instance}, which is not a FoundryInstance")
    kube.merge_patch_status(FOUNDRY_INSTANCE, namespace, instance, observed_players(current, players, now))
    license_name = ((current.get("spec") or {}).get("licenseRef") or {}).get("name")
    if license_name and kube.get(FOUNDRY_LICENSE, namespace, license_name):
        labels = {MANUAL_RECONCILIATION: "true"}
        kube.merge_patch(FOUNDRY_LICENSE, namespace, license_name, {"metadata": {"labels": labels}})


def observed_players(current: KubeObject, players: int, now: datetime) -> dict[str, Any]:
    """The monitor's own status keys for `players` seen at `now`, with the time it observed them
    (`foundry.checkedAt`, so a later `--now` makes them stale)."""
    seen = (current.get("status") or {}).get("foundry") or {}
    foundry: dict[str, Any] = {"reachable": True, "checkedAt": rfc3339(now)}
    if not seen.get("startedAt"):  # the server's start, as the monitor derives it from uptime
        foundry["startedAt"] = rfc3339(now)
    observed: dict[str, Any] = {"connectedPlayers": players, "foundry": foundry}
    if players > 0:
        observed["lastPlayerActivity"] = rfc3339(now)
    return observed


def run_monitor_timers(kube: KubeAPI, settings: PlatformSettings, now: datetime) -> None:
    """What the monitor's timers do by `now`: delete finished activation requests past their
    retention (`foundry_lib.activation.expired_requests`, the function the monitor calls) and the
    instances whose scheduled deletion fell due."""
    requests = kube.list_all(FOUNDRY_ACTIVATION_REQUEST)
    for namespace, name in expired_requests(requests, now, settings.activation_retention_delta):
        kube.delete(FOUNDRY_ACTIVATION_REQUEST, namespace, name)  # as the monitor does
    for namespace, name in due_deletions(kube.list_all(FOUNDRY_INSTANCE), now):
        kube.delete(FOUNDRY_INSTANCE, namespace, name)  # the monitor's scheduled deletions
