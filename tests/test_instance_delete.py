"""plan_instance_delete: a pool is never pulled from under its dependents, instances being deleted never
block, and the instance its license routes is deleted only when the switchover guard lets it go."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from foundry_lib.errors import WaitError
from foundry_lib.instance_delete import DeleteFacts, RoutedBy, plan_instance_delete
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.models.license import Switchover
from foundry_lib.outcome import RecordEvent, RequestReconcile

NOW = datetime(2026, 11, 28, 21, 0, tzinfo=UTC)
POOL = "nfs://nas/srv/shared/ns/alpha/worlds"
MINE = {"volumes": {"worlds": {"mode": "shared", "location": POOL}}}  # alpha owns a worlds pool


def _other(
    name: str, spec: dict[str, Any] | None = None, status: dict[str, Any] | None = None, **meta: Any
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "ns", **meta},
        "spec": {"licenseRef": {"name": "guild"}, "volumes": spec or {}},
        "status": {"volumes": status or {}},
    }


def _facts(others: list[dict[str, Any]], status: dict[str, Any] | None = None, **kw: Any) -> DeleteFacts:
    return DeleteFacts("alpha", "ns", "guild", MINE if status is None else status, others, True, NOW, **kw)


BY_NAME = {"mode": "shared", "source": {"instance": "alpha"}}


@pytest.mark.parametrize(
    ("case", "others", "waits_for", "reason"),
    [
        ("spec", [_other("beta", {"worlds": BY_NAME})], "beta (worlds)", "its spec attaches to alpha's pool"),
        (
            "status",
            [_other("beta", {"worlds": {"mode": "new"}}, {"worlds": BY_NAME | {"location": POOL}})],
            "beta (worlds)",
            "it still mounts the pool until its own run detaches it",
        ),
        (
            "path",
            [
                _other(
                    "beta",
                    status={
                        "worlds": {"mode": "shared", "source": {"path": "alpha/worlds"}, "location": POOL}
                    },
                )
            ],
            "beta (worlds)",
            "attached by source.path to alpha's pool folder",
        ),
        (
            "nested path",
            [
                _other(
                    "beta",
                    status={
                        "worlds": {"mode": "shared", "source": {"path": "a"}, "location": POOL + "/maps"}
                    },
                )
            ],
            "beta (worlds)",
            "a folder inside the pool shares its data",
        ),
        ("plugins", [_other("beta", {"plugins": BY_NAME})], "beta (plugins)", "each kind is its own pool"),
        (
            "several, sorted",
            [_other("gamma", {"worlds": BY_NAME}), _other("beta", {"plugins": BY_NAME})],
            "beta (plugins), gamma (worlds)",
            "every dependent is named",
        ),
        (
            "copy",
            [_other("beta", {"worlds": {"mode": "copied", "source": {"instance": "alpha"}}})],
            None,
            "a copy owns its data",
        ),
        (
            "other pool",
            [
                _other(
                    "beta",
                    status={"worlds": {"mode": "shared", "source": {"path": "b"}, "location": POOL + "-2"}},
                )
            ],
            None,
            "a neighbouring folder is another pool",
        ),
        (
            "deleting peer",
            [_other("beta", {"worlds": BY_NAME}, deletionTimestamp="2026-11-28T20:59:00Z")],
            None,
            "a whole tenant deleted at once completes",
        ),
        (
            "itself",
            [
                _other(
                    "alpha", {"worlds": {"mode": "shared"}}, {"worlds": {"mode": "shared", "location": POOL}}
                )
            ],
            None,
            "not its own dependent",
        ),
    ],
)
def test_deleting_waits_for_live_dependents_of_its_pools(
    case: str, others: list[dict[str, Any]], waits_for: str | None, reason: str
) -> None:
    if waits_for is None:
        assert plan_instance_delete(_facts(others)).status["conditions"][0]["reason"] == "DataRetained", (
            reason
        )
        return
    with pytest.raises(WaitError) as waiting:
        plan_instance_delete(_facts(others))
    assert waiting.value.reason == "PoolInUse" and waiting.value.retry_after, reason
    assert f"other instances use its shared pools: {waits_for};" in waiting.value.message, reason


def test_a_dependent_of_a_dependent_does_not_block() -> None:
    """A dependent publishes nothing: other dependents of the same pool depend on the owner."""
    mine = {"volumes": {"worlds": BY_NAME | {"location": POOL}}}
    others = [
        _other("gamma", status={"worlds": {"mode": "shared", "source": {"path": "p"}, "location": POOL}})
    ]
    assert plan_instance_delete(_facts(others, mine)).control is None


def test_a_completed_delete_says_where_the_data_stays_and_wakes_its_license_and_sources() -> None:
    status = {"volumes": {"worlds": {"mode": "copied", "source": {"instance": "beta"}, "location": POOL}}}
    outcome = plan_instance_delete(_facts([], status))
    assert outcome.outputs is None
    assert f"data retained: worlds at {POOL}" in outcome.status["message"]
    assert "claims kept (prune disabled)" in outcome.status["message"]
    assert outcome.effects == (
        RequestReconcile(FOUNDRY_LICENSE, "ns", "guild"),
        RequestReconcile(FOUNDRY_INSTANCE, "ns", "beta"),
    )


def _routed(policy: str) -> RoutedBy:
    return RoutedBy(
        "uid-1",
        Switchover.model_validate({"whenPlayersConnected": policy, "gracePeriod": "15m"}),
        NOW - timedelta(minutes=5),
        timedelta(seconds=30),
    )


def _players(count: int) -> dict[str, Any]:
    return {"connectedPlayers": count, "foundry": {"reachable": True, "checkedAt": "2026-11-28T20:59:50Z"}}


@pytest.mark.parametrize(
    ("policy", "players", "waits", "reason", "says"),
    [
        ("block", 2, True, "BlockedByPlayers", "it goes when they leave"),
        ("grace", 2, True, "GracePeriod", "it goes at 21:10 UTC"),
        ("block", 0, False, "DataRetained", "nobody was playing on alpha"),
        ("warn", 2, False, "DataRetained", "were disconnected"),
    ],
)
def test_the_routed_instance_is_deleted_only_when_the_guard_lets_it_go(
    policy: str, players: int, waits: bool, reason: str, says: str
) -> None:
    outcome = plan_instance_delete(_facts([], _players(players), routed_by=_routed(policy)))
    deleted = outcome.status["conditions"][0]
    assert (deleted["status"] == "False", deleted["reason"]) == (waits, reason)
    assert says in outcome.status["message"]
    assert (outcome.control is not None) is waits, "a wait asks Kratix to run the delete again"
    events = [e for e in outcome.effects if isinstance(e, RecordEvent)]
    assert [e.regarding_name for e in events] == ["guild"], "each guard decision is an Event on the license"


def test_a_waiting_delete_records_its_event_once() -> None:
    status = _players(2) | {
        "conditions": [{"type": "Deleted", "status": "False", "reason": "BlockedByPlayers"}]
    }
    outcome = plan_instance_delete(_facts([], status, routed_by=_routed("block")))
    assert outcome.control is not None and outcome.effects == ()


def test_dependents_are_waited_for_before_players() -> None:
    with pytest.raises(WaitError) as waiting:
        plan_instance_delete(
            _facts([_other("beta", {"worlds": BY_NAME})], MINE | _players(2), routed_by=_routed("block"))
        )
    assert waiting.value.reason == "PoolInUse"
