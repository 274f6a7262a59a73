"""What Kratix itself writes on a resource around its workflows: its status merge, its conditions.

Read from Kratix's source (syntasso/kratix main, 2026): `work-creator/lib/status_updater.go`
(status.yaml merged top-level, `conditions` merged by type, `MarkAsCompleted`),
`work-creator/cmd/update_status.go` (the workflow-suspended label), `lib/workflow/reconciler.go`
(`setPipelineStartingStatus`), `lib/resourceutil/util.go` (condition types, reasons, messages) and
`internal/controller/dynamic_resource_request_controller.go` (observedGeneration, WorksSucceeded,
Reconciled, DeleteWorkflowCompleted). The simulator and the contract suite's Kratix driver both
apply these rules, so a pipeline that relies on anything else fails a test here first.

Pure functions of (status, facts, now): no clock, no I/O.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from foundry_lib.conditions import condition_of, rfc3339

Result = Literal["succeeded", "suspended", "retry", "failed"]

SUSPENDED_LABEL = "kratix.io/workflow-suspended"
# getRRFinalizers in dynamic_resource_request_controller.go: what keeps a deleted request in place.
FINALIZERS = (
    "kratix.io/work-cleanup",
    "kratix.io/workflows-cleanup",
    "kratix.io/delete-workflows",
    "kratix.io/resource-binding-cleanup",
)
CONFIGURE_COMPLETED = "ConfigureWorkflowCompleted"
DELETE_COMPLETED = "DeleteWorkflowCompleted"
WORKS_SUCCEEDED = "WorksSucceeded"
RECONCILED = "Reconciled"
KRATIX_CONDITIONS = frozenset({CONFIGURE_COMPLETED, DELETE_COMPLETED, WORKS_SUCCEEDED, RECONCILED})


def result_of(code: int, control: Mapping[str, Any]) -> Result:
    """A finished pipeline container as Kratix reads it: exit code, then workflow-control.yaml."""
    if code != 0:
        return "failed"
    if control.get("suspend"):
        return "suspended"
    if control.get("retryAfter"):
        return "retry"
    return "succeeded"


def merge_statuses(existing: Mapping[str, Any], incoming: Mapping[str, Any]) -> dict[str, Any]:
    """status.yaml onto the live status: top-level keys replace, `conditions` merge by `type`."""
    merged = copy.deepcopy(dict(existing))
    for key, value in incoming.items():
        if key == "conditions" and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = _merge_conditions(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def started_configure(status: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """What Kratix writes before it starts a configure pipeline (setPipelineStartingStatus)."""
    out = copy.deepcopy(dict(status))
    out["message"] = "Pending"
    out = _set(out, _cond(RECONCILED, "Unknown", "WorkflowPending", "Pending", now))
    current = condition_of(out, CONFIGURE_COMPLETED)
    if current.get("status") != "False" or current.get("reason") != "PipelinesInProgress":
        out = _set(
            out,
            _cond(
                CONFIGURE_COMPLETED, "False", "PipelinesInProgress", "Pipelines are still in progress", now
            ),
        )
    return out


def after_configure(
    status: Mapping[str, Any],
    status_yaml: Mapping[str, Any],
    result: Result,
    *,
    pipeline: str,
    last: bool,
    generation: int,
    now: datetime,
) -> dict[str, Any]:
    """The status once one configure pipeline ended, and Kratix's controller reacted to it."""
    if result == "failed":  # the status writer never ran: status.yaml is not applied
        out = _set(
            dict(status),
            _cond(
                CONFIGURE_COMPLETED,
                "False",
                "ConfigureWorkflowFailed",
                f"A Configure Pipeline has failed: {pipeline}",
                now,
            ),
        )
        return _set(out, _cond(RECONCILED, "False", "ConfigureWorkflowFailed", "Failing", now))
    out = merge_statuses(status, status_yaml)
    if result != "succeeded":
        return _set(out, _cond(RECONCILED, "Unknown", "WorkflowSuspended", "Suspended", now))
    if not last:
        return out
    if out.get("message") == "Pending":
        out["message"] = "Resource requested"
    completed = _cond(
        CONFIGURE_COMPLETED, "True", "PipelinesExecutedSuccessfully", "Pipelines completed", now
    )
    out = _set(out, completed)
    out["observedGeneration"] = generation
    works = condition_of(out, WORKS_SUCCEEDED)
    if works.get("status") != "True":  # the simulator's Works are ready at once
        out = _set(
            out,
            _cond(
                WORKS_SUCCEEDED,
                "True",
                "WorksSucceeded",
                "All works associated with this resource are ready",
                now,
            ),
        )
    reconciled = condition_of(out, RECONCILED)
    if reconciled.get("status") != "True":
        out = _set(out, _cond(RECONCILED, "True", "Reconciled", "Reconciled", now))
    out["lastSuccessfulConfigureWorkflowTime"] = completed["lastTransitionTime"]
    return out


def after_delete(
    status: Mapping[str, Any], status_yaml: Mapping[str, Any], result: Result, now: datetime
) -> dict[str, Any]:
    """The status of an object whose delete pipeline waits or failed (on success the object goes)."""
    if result == "failed":
        return _set(
            dict(status),
            _cond(DELETE_COMPLETED, "False", "DeleteWorkflowFailed", "The Delete Pipeline has failed", now),
        )
    out = merge_statuses(status, status_yaml)
    if result == "succeeded":
        return out
    out = _set(out, _cond(RECONCILED, "Unknown", "WorkflowSuspended", "Suspended", now))
    return _set(
        out,
        _cond(DELETE_COMPLETED, "False", "DeleteWorkflowSuspended", "The delete workflow is suspended", now),
    )


def after_run(
    status: Mapping[str, Any],
    status_yaml: Mapping[str, Any],
    result: Result,
    *,
    action: str,
    pipeline: str,
    last: bool,
    generation: int,
    now: datetime,
) -> dict[str, Any]:
    """The status once a pipeline of `action` ended: after_delete or after_configure."""
    if action == "delete":
        return after_delete(status, status_yaml, result, now)
    return after_configure(
        status, status_yaml, result, pipeline=pipeline, last=last, generation=generation, now=now
    )


def kratix_conditions(status: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Kratix's own conditions on a status, by type."""
    return {
        str(c.get("type")): dict(c)
        for c in status.get("conditions") or []
        if isinstance(c, Mapping) and c.get("type") in KRATIX_CONDITIONS
    }


def _cond(kind: str, state: str, reason: str, message: str, now: datetime) -> dict[str, Any]:
    return {
        "type": kind,
        "status": state,
        "reason": reason,
        "message": message,
        "lastTransitionTime": rfc3339(now),
    }


def _set(status: dict[str, Any], cond: dict[str, Any]) -> dict[str, Any]:
    status["conditions"] = _merge_conditions(status.get("conditions") or [], [cond])
    return status


def _merge_conditions(existing: list[Any], incoming: list[Any]) -> list[Any]:
    by_type = {c["type"]: c for c in existing if isinstance(c, Mapping) and "type" in c}
    for cond in incoming:
        if isinstance(cond, Mapping) and "type" in cond:
            by_type[cond["type"]] = copy.deepcopy(dict(cond))
    return list(by_type.values())
