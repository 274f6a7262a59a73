"""When Kratix starts a workflow (schedule.due), per object state and Kratix's own bookkeeping."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from foundry_lib.outcome import MANUAL_RECONCILIATION
from foundry_platform.simulator.schedule import attention, due

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
GONE = "2026-11-28T19:00:00Z"
PAST, FUTURE = "2026-11-28T19:59:00Z", "2026-11-28T20:01:00Z"


def _obj(generation: int = 1, *, deleted: bool = False, manual: bool = False) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "a", "namespace": "ns", "generation": generation}
    if deleted:
        meta["deletionTimestamp"] = GONE
    if manual:
        meta["labels"] = {MANUAL_RECONCILIATION: "true"}
    return {"metadata": meta, "status": {"message": "why"}}


@pytest.mark.parametrize(
    ("case", "obj", "book", "expected"),
    [
        ("new request", _obj(), {}, "configure"),
        ("done, nothing changed", _obj(), {"generation": 1, "configure": "succeeded"}, None),
        ("spec changed", _obj(2), {"generation": 1, "configure": "succeeded"}, "configure"),
        ("suspended, same spec", _obj(), {"generation": 1, "configure": "suspended"}, None),
        ("suspended, spec changed", _obj(2), {"generation": 1, "configure": "suspended"}, "configure"),
        ("failed, same spec", _obj(), {"generation": 1, "configure": "failed"}, None),
        ("manual label", _obj(manual=True), {"generation": 1, "configure": "suspended"}, "configure"),
        ("retry not due", _obj(), {"generation": 1, "configure": "retry", "retryAt": FUTURE}, None),
        ("retry due", _obj(), {"generation": 1, "configure": "retry", "retryAt": PAST}, "configure"),
        ("deleted", _obj(deleted=True), {"generation": 1, "configure": "succeeded"}, "delete"),
        ("delete suspended", _obj(deleted=True), {"deleteFor": GONE, "delete": "suspended"}, None),
        ("delete failed", _obj(deleted=True), {"deleteFor": GONE, "delete": "failed"}, None),
        (
            "delete suspended, manual label",
            _obj(deleted=True, manual=True),
            {"deleteFor": GONE, "delete": "suspended"},
            "delete",
        ),
        (
            "delete retry due",
            _obj(deleted=True),
            {"deleteFor": GONE, "delete": "retry", "retryAt": PAST},
            "delete",
        ),
        (
            "delete retry not due",
            _obj(deleted=True),
            {"deleteFor": GONE, "delete": "retry", "retryAt": FUTURE},
            None,
        ),
        (
            "delete succeeded: finalizers next",
            _obj(deleted=True),
            {"deleteFor": GONE, "delete": "succeeded"},
            None,
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_which_workflow_kratix_starts(
    case: str, obj: dict[str, Any], book: dict[str, Any], expected: str | None
) -> None:
    assert due(obj, book, NOW) == expected


@pytest.mark.parametrize(
    ("obj", "book", "starts"),
    [
        (_obj(deleted=True), {"deleteFor": GONE, "delete": "suspended"}, "STUCK: X: "),
        (_obj(deleted=True), {"deleteFor": GONE, "delete": "failed"}, "FAILED: X: its delete"),
        (_obj(), {"configure": "failed"}, "FAILED: X: its configure"),
        (_obj(), {"configure": "retry", "retryAt": FUTURE}, f"waiting: X: configure runs again at {FUTURE}"),
        (_obj(), {"configure": "suspended"}, None),  # a refused request waits for its owner: not news
        (_obj(), {"configure": "succeeded"}, None),
    ],
)
def test_what_kratix_will_not_finish_is_reported(
    obj: dict[str, Any], book: dict[str, Any], starts: str | None
) -> None:
    line = attention("X", obj, book)
    assert (line or "").startswith(starts or "") and (line is None) is (starts is None)
    if line:
        assert line.endswith(": why")
