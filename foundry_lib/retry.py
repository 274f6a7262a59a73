"""Requeueing the Kratix way: `retryAfter` with a bounded, growing delay and a readable status.

A run that must try again (a wait, a transient API failure, a refused delete, missing RBAC) exits 0
with `retryAfter` and no output, so Kratix keeps the previous Work and runs the workflow again when
the delay is over. Exit 1 would only be retried by the Job's backoff and then the reconcile interval
(hours). The attempt counter lives in the resource's own status key `retry` and is reset by the
next run that succeeds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from foundry_lib.conditions import condition
from foundry_lib.durations import format_duration
from foundry_lib.outcome import WorkflowControl

RETRY_KEY = "retry"
FIRST_DELAY = timedelta(seconds=15)
MAX_DELAY = timedelta(minutes=10)


def attempts_so_far(status: Mapping[str, Any]) -> int:
    """Consecutive requeued runs before this one, as the previous runs recorded them."""
    recorded = status.get(RETRY_KEY)
    count = recorded.get("attempts") if isinstance(recorded, Mapping) else None
    return count if isinstance(count, int) and count > 0 else 0


def backoff(attempt: int, first: timedelta = FIRST_DELAY) -> timedelta:
    """`first` doubling per attempt (1, 2, ...), never beyond MAX_DELAY (or `first` if it is longer)."""
    doubled = first * (1 << min(max(attempt - 1, 0), 16))
    return min(doubled, max(MAX_DELAY, first))


@dataclass(frozen=True)
class Requeue:
    """What a requeued run writes: status.yaml and workflow-control.yaml, nothing else."""

    status: dict[str, Any]
    control: WorkflowControl


def requeue(
    previous: Mapping[str, Any],
    *,
    condition_type: str,
    reason: str,
    message: str,
    first: timedelta,
    now: datetime,
) -> Requeue:
    """The next attempt's delay from the recorded count, and the status that says so."""
    attempt = attempts_so_far(previous) + 1
    delay = backoff(attempt, first)
    text = f"{message} (next try in {format_duration(delay)}, attempt {attempt})"
    status = {
        "message": text,
        "conditions": [condition(condition_type, False, reason, text, now)],
        RETRY_KEY: {"attempts": attempt, "reason": reason},
    }
    return Requeue(status, WorkflowControl(retry_after=delay, message=text))


def reset(status: Mapping[str, Any], previous: Mapping[str, Any]) -> Mapping[str, Any]:
    """A successful run's status, with the attempt counter cleared when earlier runs had set it."""
    if RETRY_KEY in status or not attempts_so_far(previous):
        return status
    return {**status, RETRY_KEY: {"attempts": 0}}
