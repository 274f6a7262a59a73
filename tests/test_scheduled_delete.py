"""Scheduled deletion: which instances the monitor's timer (and the simulator) deletes, and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from foundry_lib.scheduled_delete import DELETE_AT, due_deletions

NOW = datetime(2026, 12, 5, 20, 0, tzinfo=UTC)


def _instance(name: str, at: str | None, *, deleting: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "namespace": "tabletop"}
    if at is not None:
        meta["annotations"] = {DELETE_AT: at}
    if deleting:
        meta["deletionTimestamp"] = "2026-12-05T19:00:00Z"
    return {"metadata": meta}


@pytest.mark.parametrize(
    ("case", "obj", "due"),
    [
        ("time passed", _instance("a", "2026-12-05T19:59:59Z"), True),
        ("exactly now", _instance("a", "2026-12-05T20:00:00Z"), True),
        ("not yet", _instance("a", "2026-12-05T20:00:01Z"), False),
        ("not scheduled (or cancelled)", _instance("a", None), False),
        ("unreadable time: never guess", _instance("a", "next tuesday"), False),
        ("time without a zone: never guess", _instance("a", "2026-12-05T19:00:00"), False),
        ("already being deleted", _instance("a", "2026-12-05T19:00:00Z", deleting=True), False),
    ],
)
def test_due_deletions(case: str, obj: dict[str, Any], due: bool) -> None:
    assert due_deletions([obj], NOW) == ([("tabletop", "a")] if due else []), case


def test_due_deletions_are_sorted() -> None:
    objs = [_instance("b", "2026-12-01T00:00:00Z"), _instance("a", "2026-12-02T00:00:00Z")]
    assert due_deletions(objs, NOW) == [("tabletop", "a"), ("tabletop", "b")]
