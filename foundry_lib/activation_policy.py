"""Who may decide an activation request, and when `autoWhenIdle` finds the live instance idle.

Two pure rules of the activation workflow (DESIGN §7), each with a direct table test:
- `refusal`: a decision counts only from the license owner, an `allowedActivators` entry (a user
  id, or a role id the decision's writer vouches for in `decision.roles`) or the platform's Foundry
  admin role (vouched for the same way);
- `idleness`: activity has three states (players present, confirmed zero, unknown) and only
  confirmed zero for `idleFor` is idle; counts older than two monitor intervals are unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from foundry_lib.models.activation import Decision
from foundry_lib.models.license import Ownership

_DISCORD_USER = re.compile(r"^discord:([0-9]{1,20})$")
FRESH_INTERVALS = 2  # monitor counts are fresh for this many poll intervals (as the switchover guard)


def refusal(decision: Decision, ownership: Ownership, admin_role: str | None = None) -> str | None:
    """Why this decision does not count, or None when its author may decide. `admin_role` is the
    platform's Foundry admin role (FOUNDRY_DISCORD_ADMIN_ROLE): its holders may decide everywhere."""
    match = _DISCORD_USER.match(decision.by)
    if match is None:
        return (
            f"decision by {decision.by!r} does not count: spec.decision.by must be discord:<user id> "
            "of the license owner or an allowed activator"
        )
    user = match[1]
    users = {a.discord_user_id for a in ownership.allowed_activators if a.discord_user_id}
    roles = {a.discord_role_id for a in ownership.allowed_activators if a.discord_role_id}
    if admin_role:
        roles.add(admin_role)
    if user == ownership.discord_user_id or user in users or roles.intersection(decision.roles):
        return None
    return (
        f"decision by {decision.by} does not count: only the license owner, an allowed activator "
        "(ownership.allowedActivators) or a Foundry admin may approve or deny"
    )


@dataclass(frozen=True)
class Idleness:
    """What the monitor says about the live instance: idle or not, why, and when to look again."""

    idle: bool
    why: str
    recheck_at: datetime
    known: bool = True  # False: no fresh count, so `recheck_at` is only a guess when it may return


def idleness(
    name: str, status: Mapping[str, Any], *, now: datetime, idle_for: timedelta, interval: timedelta
) -> Idleness:
    """Whether instance `name` (its raw status) has had confirmed zero players for `idle_for`.

    Without a `lastPlayerActivity` the monitor never saw a player there: confirmed zero counts as
    idle at once. While players are connected, idle is `idle_for` away at the earliest."""
    fresh_for = interval * FRESH_INTERVALS
    foundry = status.get("foundry")
    checked = parse_time(foundry.get("checkedAt")) if isinstance(foundry, Mapping) else None
    players = status.get("connectedPlayers")
    if checked is None or now - checked > fresh_for or not isinstance(players, int):
        return Idleness(False, f"{name}'s player count is unknown right now", now + fresh_for, known=False)
    if players > 0:
        who = "1 player" if players == 1 else f"{players} players"
        return Idleness(False, f"{name} has {who}", now + idle_for)
    last = parse_time(status.get("lastPlayerActivity"))
    if last is None or now - last >= idle_for:
        return Idleness(True, f"{name} has had no players for {_minutes(idle_for)}", now)
    return Idleness(False, f"{name}'s players left less than {_minutes(idle_for)} ago", last + idle_for)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}" if minutes else f"{int(delta.total_seconds())}s"


def parse_time(value: object) -> datetime | None:
    """An RFC 3339 status time, None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
