"""What Kratix writes on a resource around its workflows, as its source does (see kratix_status)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from foundry_platform.simulator.kratix_status import (
    Result,
    after_configure,
    after_delete,
    kratix_conditions,
    merge_statuses,
    result_of,
    started_configure,
)

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
T = "2026-11-28T20:00:00Z"
OLD = {"type": "Accepted", "status": "True", "reason": "Valid", "message": "ok", "lastTransitionTime": "x"}


def _cond(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "reason": reason, "message": message, "lastTransitionTime": T}


@pytest.mark.parametrize(
    ("case", "existing", "incoming", "expected"),
    [
        ("new key added", {"a": 1}, {"b": 2}, {"a": 1, "b": 2}),
        ("top-level key replaced", {"a": 1}, {"a": 2}, {"a": 2}),
        ("nested map replaced, not merged", {"v": {"x": 1, "y": 2}}, {"v": {"x": 3}}, {"v": {"x": 3}}),
        ("list replaced", {"l": [1, 2]}, {"l": [3]}, {"l": [3]}),
        (
            "conditions merged by type",
            {"conditions": [OLD, _cond("Reconciled", "True", "Reconciled", "Reconciled")]},
            {"conditions": [{**OLD, "status": "False"}]},
            {
                "conditions": [
                    {**OLD, "status": "False"},
                    _cond("Reconciled", "True", "Reconciled", "Reconciled"),
                ]
            },
        ),
        ("conditions onto none", {}, {"conditions": [OLD]}, {"conditions": [OLD]}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_status_yaml_merges_top_level_and_conditions_by_type(
    case: str, existing: dict[str, Any], incoming: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert merge_statuses(existing, incoming) == expected


@pytest.mark.parametrize(
    ("code", "control", "expected"),
    [
        (0, {}, "succeeded"),
        (0, {"suspend": True, "message": "m"}, "suspended"),
        (0, {"retryAfter": "5m"}, "retry"),
        (1, {"retryAfter": "5m"}, "failed"),
    ],
)
def test_a_finished_container_is_read_by_exit_code_then_workflow_control(
    code: int, control: dict[str, Any], expected: Result
) -> None:
    assert result_of(code, control) == expected


def test_kratix_marks_a_starting_configure_pending() -> None:
    status = started_configure({"message": "old", "conditions": [OLD]}, NOW)
    assert status["message"] == "Pending"
    assert kratix_conditions(status) == {
        "Reconciled": _cond("Reconciled", "Unknown", "WorkflowPending", "Pending"),
        "ConfigureWorkflowCompleted": _cond(
            "ConfigureWorkflowCompleted", "False", "PipelinesInProgress", "Pipelines are still in progress"
        ),
    }
    assert OLD in status["conditions"]


SUCCEEDED = {
    "ConfigureWorkflowCompleted": _cond(
        "ConfigureWorkflowCompleted", "True", "PipelinesExecutedSuccessfully", "Pipelines completed"
    ),
    "WorksSucceeded": _cond(
        "WorksSucceeded", "True", "WorksSucceeded", "All works associated with this resource are ready"
    ),
    "Reconciled": _cond("Reconciled", "True", "Reconciled", "Reconciled"),
}


@pytest.mark.parametrize(
    ("result", "last", "kratix", "applied", "observed"),
    [
        ("succeeded", True, SUCCEEDED, True, 3),
        ("succeeded", False, {}, True, None),
        (
            "suspended",
            True,
            {"Reconciled": _cond("Reconciled", "Unknown", "WorkflowSuspended", "Suspended")},
            True,
            None,
        ),
        (
            "retry",
            True,
            {"Reconciled": _cond("Reconciled", "Unknown", "WorkflowSuspended", "Suspended")},
            True,
            None,
        ),
        (
            "failed",
            True,
            {
                "ConfigureWorkflowCompleted": _cond(
                    "ConfigureWorkflowCompleted",
                    "False",
                    "ConfigureWorkflowFailed",
                    "A Configure Pipeline has failed: render",
                ),
                "Reconciled": _cond("Reconciled", "False", "ConfigureWorkflowFailed", "Failing"),
            },
            False,
            None,
        ),
    ],
)
def test_after_a_configure_pipeline_kratix_writes_its_conditions_and_observed_generation(
    result: Result, last: bool, kratix: dict[str, Any], applied: bool, observed: int | None
) -> None:
    status = after_configure(
        {"message": "before"},
        {"message": "after", "conditions": [OLD]},
        result,
        pipeline="render",
        last=last,
        generation=3,
        now=NOW,
    )
    assert kratix_conditions(status) == kratix
    assert (status["message"] == "after") is applied  # a failed container applies no status.yaml
    assert (OLD in status.get("conditions", [])) is applied
    assert status.get("observedGeneration") == observed


def test_a_pending_message_becomes_resource_requested_when_the_pipeline_set_none() -> None:
    status = after_configure(
        started_configure({}, NOW), {}, "succeeded", pipeline="render", last=True, generation=1, now=NOW
    )
    assert status["message"] == "Resource requested"
    assert status["lastSuccessfulConfigureWorkflowTime"] == T


@pytest.mark.parametrize(
    ("result", "kratix"),
    [
        (
            "suspended",
            {
                "Reconciled": _cond("Reconciled", "Unknown", "WorkflowSuspended", "Suspended"),
                "DeleteWorkflowCompleted": _cond(
                    "DeleteWorkflowCompleted",
                    "False",
                    "DeleteWorkflowSuspended",
                    "The delete workflow is suspended",
                ),
            },
        ),
        (
            "failed",
            {
                "DeleteWorkflowCompleted": _cond(
                    "DeleteWorkflowCompleted",
                    "False",
                    "DeleteWorkflowFailed",
                    "The Delete Pipeline has failed",
                )
            },
        ),
    ],
)
def test_a_waiting_or_failed_delete_shows_in_kratix_conditions(
    result: Result, kratix: dict[str, Any]
) -> None:
    assert kratix_conditions(after_delete({}, {"message": "waiting"}, result, NOW)) == kratix
