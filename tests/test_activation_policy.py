"""Who may decide an activation request, and when the live instance counts as idle (pure rules)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from foundry_lib.activation_policy import idleness, refusal
from foundry_lib.models.activation import Decision
from foundry_lib.models.license import Ownership

OWNERSHIP = Ownership.model_validate(
    {
        "discordUserId": "100",
        "allowedActivators": [{"discordRoleId": "900"}, {"discordUserId": "555"}],
    }
)


@pytest.mark.parametrize(
    ("case", "decision", "allowed"),
    [
        ("owner", {"by": "discord:100"}, True),
        ("allowed user", {"by": "discord:555"}, True),
        ("holder of an allowed role", {"by": "discord:777", "roles": ["900"]}, True),
        ("someone else", {"by": "discord:777"}, False),
        ("someone else with other roles", {"by": "discord:777", "roles": ["901"]}, False),
        ("a role id is not a user id", {"by": "discord:900"}, False),
        ("not a discord user", {"by": "kubectl:alice"}, False),
        ("owner id without the prefix", {"by": "100"}, False),
    ],
)
def test_only_the_owner_and_allowed_activators_decide(
    case: str, decision: dict[str, Any], allowed: bool
) -> None:
    why = refusal(Decision.model_validate({"approved": True, **decision}), OWNERSHIP)
    assert (why is None) is allowed, case
    if not allowed:
        assert why is not None and "does not count" in why


@pytest.mark.parametrize(
    ("case", "roles", "admin_role", "allowed"),
    [
        ("the admin role, vouched for by the bot", ["950"], "950", True),
        ("the admin role unset on the platform", ["950"], None, False),
        ("another role than the admin role", ["951"], "950", False),
        ("the admin role not vouched for", [], "950", False),
    ],
)
def test_a_foundry_admin_decides_on_any_license(
    case: str, roles: list[str], admin_role: str | None, allowed: bool
) -> None:
    decision = Decision.model_validate({"approved": True, "by": "discord:777", "roles": roles})
    assert (refusal(decision, OWNERSHIP, admin_role) is None) is allowed, case


def test_a_license_without_an_owner_lets_only_its_activators_decide() -> None:
    nobody = Ownership()
    assert refusal(Decision.model_validate({"approved": True, "by": "discord:100"}), nobody) is not None


NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
IDLE_FOR = timedelta(minutes=10)
INTERVAL = timedelta(seconds=30)


def _seen(
    players: int | None, *, checked_ago: int = 10, last_players_ago: int | None = None
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "connectedPlayers": players,
        "foundry": {"reachable": True, "checkedAt": (NOW - timedelta(seconds=checked_ago)).isoformat()},
    }
    if last_players_ago is not None:
        status["lastPlayerActivity"] = (NOW - timedelta(seconds=last_players_ago)).isoformat()
    return status


@pytest.mark.parametrize(
    ("case", "status", "idle", "recheck_in"),
    [
        ("zero players, gone long enough", _seen(0, last_players_ago=601), True, 0),
        ("zero players, never any seen", _seen(0), True, 0),
        ("zero players, left 5 minutes ago", _seen(0, last_players_ago=300), False, 300),
        ("players connected", _seen(3, last_players_ago=0), False, 600),
        ("count unknown (null)", _seen(None), False, 60),
        ("count stale (older than two intervals)", _seen(0, checked_ago=61), False, 60),
        ("never checked", {}, False, 60),
        ("count fresh at exactly two intervals", _seen(0, checked_ago=60), True, 0),
    ],
)
def test_only_confirmed_zero_players_for_idle_for_is_idle(
    case: str, status: dict[str, Any], idle: bool, recheck_in: int
) -> None:
    found = idleness("alpha", status, now=NOW, idle_for=IDLE_FOR, interval=INTERVAL)
    assert found.idle is idle, case
    assert found.recheck_at == NOW + timedelta(seconds=recheck_in), case
    assert found.why.startswith("alpha")


def test_the_reason_says_how_many_players_are_on() -> None:
    assert (
        idleness("alpha", _seen(3), now=NOW, idle_for=IDLE_FOR, interval=INTERVAL).why
        == "alpha has 3 players"
    )
