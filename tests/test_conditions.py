"""Finding a status condition by type: what every reader of Kratix-merged conditions relies on."""

from __future__ import annotations

from typing import Any

import pytest

from foundry_lib.conditions import condition_of

ACCEPTED = {"type": "Accepted", "status": "False", "reason": "SourceRunning"}


@pytest.mark.parametrize(
    ("status", "found"),
    [
        ({"conditions": [{"type": "Reconciled", "status": "True"}, ACCEPTED]}, ACCEPTED),
        ({"conditions": [{"type": "Reconciled", "status": "True"}]}, {}),
        ({}, {}),
        ({"conditions": None}, {}),
        ({"conditions": ["Accepted", None, ACCEPTED]}, ACCEPTED),  # malformed entries are skipped
    ],
)
def test_the_condition_of_a_type_or_empty(status: dict[str, Any], found: dict[str, Any]) -> None:
    assert condition_of(status, "Accepted") == found
