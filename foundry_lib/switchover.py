"""The switchover guard: may the routed instance stop being routed now? (DESIGN §7, issue 12).

Every disruptive path asks this one module: a switch of the active instance, a deactivation (no
instance active), and the deletion of the routed instance. Standby scale-down follows: an instance
that stops on standby stops only once it is no longer routed, which only the guard allows.

Players on the routed instance come from the monitor's status keys (`connectedPlayers`, null =
unknown; `foundry.checkedAt`). Activity has three states, and only a confirmed zero is idle: a count
older than two monitor intervals, an unreachable server or a missing report all count as unknown.

Policies (`spec.switchover.whenPlayersConnected`): `block` waits while anyone may be on; `warn`
switches and records who was disconnected; `grace` waits until players leave or `gracePeriod` after
the request, then switches; `force` switches now. The annotation `foundry.platform/force-switchover:
<target>` (empty for a deactivation) forces one switch to that target: the switch it forced is
recorded (`status.forcedSwitchover`), so the same annotation is ignored afterwards until it is removed
or names another target. Pure: the clock is a parameter.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from foundry_lib.conditions import rfc3339
from foundry_lib.durations import format_duration, parse_duration
from foundry_lib.models.license import Switchover, WhenPlayersConnected

FORCE_ANNOTATION = "foundry.platform/force-switchover"
PENDING_KEY = "pendingSwitchover"  # license status, owned by the license pipeline
FORCED_KEY = "forcedSwitchover"  # license status: the switch the force annotation was used for
MAX_RECHECK = timedelta(hours=1)
GUARD_WAIT_REASONS = frozenset({"BlockedByPlayers", "GracePeriod"})  # reasons of a waiting guard


class Activity(StrEnum):
    PRESENT = "present"
    IDLE = "idle"  # confirmed zero: the only state that counts as nobody playing
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Players:
    """What the monitor last saw on an instance, judged at `now`."""

    activity: Activity
    count: int | None  # None when unknown
    why_unknown: str = ""

    def describe(self, instance: str) -> str:
        if self.activity is Activity.UNKNOWN:
            return f"the number of players on {instance} is unknown ({self.why_unknown})"
        noun = "player" if self.count == 1 else "players"
        return f"{self.count} {noun} on {instance}"

    def disconnected(self, instance: str, cause: str) -> str:
        """Who a switch or delete that went ahead disconnected, and why, in a game master's words."""
        if self.activity is Activity.UNKNOWN:
            unknown = f"the player count is unknown: {self.why_unknown}"
            return f"anyone still on {instance} was disconnected ({cause}; {unknown})"
        verb = "was" if self.count == 1 else "were"
        return f"{self.describe(instance)} {verb} disconnected ({cause})"


def observe(status: Mapping[str, Any], now: datetime, interval: timedelta) -> Players:
    """Players on an instance from its monitor keys; stale (older than two intervals) = unknown."""
    seen = status.get("foundry")
    checked = _time(seen.get("checkedAt")) if isinstance(seen, Mapping) else None
    if checked is None:
        return Players(Activity.UNKNOWN, None, "the monitor has not reported on it yet")
    age = now - checked
    if age > 2 * interval:
        return Players(Activity.UNKNOWN, None, f"the monitor's last report is {format_duration(age)} old")
    if isinstance(seen, Mapping) and seen.get("reachable") is False:
        reason = str(seen.get("reason") or "not reachable")
        return Players(Activity.UNKNOWN, None, f"the monitor cannot reach its server: {reason}")
    count = status.get("connectedPlayers")
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        return Players(Activity.UNKNOWN, None, "the monitor could not count them")
    return Players(Activity.PRESENT if count else Activity.IDLE, count)


class Verdict(StrEnum):
    GO = "go"
    WAIT = "wait"


@dataclass(frozen=True)
class Guard:
    """The guard's answer for one disruption requested at `requested_at`."""

    verdict: Verdict
    reason: str  # condition / Event reason
    deadline: datetime | None = None  # grace only
    retry_after: timedelta | None = None  # when waiting
    disconnected: bool = False  # going while players are (or may be) on

    @property
    def waits(self) -> bool:
        return self.verdict is Verdict.WAIT


def guard(
    policy: Switchover,
    players: Players,
    *,
    requested_at: datetime,
    now: datetime,
    interval: timedelta,
    forced: bool = False,
) -> Guard:
    """The one rule every disruptive path follows. The monitor nudges the license as soon as the
    players leave; a waiting run also re-checks by itself, after two monitor intervals at first and
    less often the longer it waits (half the time waited so far, at most hourly), and grace at its
    deadline."""
    if players.activity is Activity.IDLE:
        return Guard(Verdict.GO, "NoPlayers")
    mode = policy.when_players_connected
    if forced:
        return Guard(Verdict.GO, "ForcedByAnnotation", disconnected=True)
    if mode is WhenPlayersConnected.FORCE:
        return Guard(Verdict.GO, "Forced", disconnected=True)
    if mode is WhenPlayersConnected.WARN:
        return Guard(Verdict.GO, "SwitchedWithPlayers", disconnected=True)
    recheck = _whole_seconds(min(max(2 * interval, (now - requested_at) / 2), MAX_RECHECK))
    if mode is WhenPlayersConnected.BLOCK:
        return Guard(Verdict.WAIT, "BlockedByPlayers", retry_after=recheck)
    deadline = requested_at + parse_duration(policy.grace_period)
    if now >= deadline:
        return Guard(Verdict.GO, "GracePeriodEnded", deadline=deadline, disconnected=True)
    remaining = _whole_seconds(deadline - now)
    return Guard(Verdict.WAIT, "GracePeriod", deadline=deadline, retry_after=min(remaining, recheck))


def _whole_seconds(delta: timedelta) -> timedelta:
    """Rounded up to a whole second: never before the deadline, and a duration Kratix and people read."""
    return timedelta(seconds=math.ceil(delta.total_seconds()))


@dataclass(frozen=True)
class SwitchFacts:
    """A license's switch: `current` is the routed instance (None: nothing routed), `target` the
    desired one (None: deactivate); `pending` and `forced_record` are what earlier runs recorded."""

    current: str | None
    target: str | None
    policy: Switchover
    players: Players
    pending: Mapping[str, Any]
    force_annotation: str | None
    forced_record: Mapping[str, Any]
    now: datetime
    interval: timedelta


@dataclass(frozen=True)
class Switch:
    """What the license does this run."""

    route: str | None  # the instance to route now
    guard: Guard | None  # None: nothing to guard (no switch requested, or nothing routed)
    pending: dict[str, Any] | None  # status.pendingSwitchover while waiting
    forced: dict[str, Any] | None  # status.forcedSwitchover (kept while the annotation stays)
    message: str  # for a game master; "" when nothing switchover-related happened
    event_reason: str = ""  # a Kubernetes Event when this decision is new
    cancelled: bool = False


def decide_switch(facts: SwitchFacts) -> Switch:
    forced_record = _kept_forced_record(facts)
    if facts.current == facts.target:
        if facts.pending:
            was = str(facts.pending.get("target") or "") or "no instance"
            message = f"switch to {was} cancelled: {facts.current or 'no instance'} stays active"
            return Switch(facts.current, None, None, forced_record, message, "SwitchoverCancelled", True)
        return Switch(facts.current, None, None, forced_record, "")
    if facts.current is None:  # nothing routed: nobody can be disconnected
        return Switch(facts.target, None, None, forced_record, "")
    same_request = facts.pending and str(facts.pending.get("target") or "") == (facts.target or "")
    requested = _time(facts.pending.get("requestedAt")) if same_request else None
    requested_at = requested or facts.now
    force_wanted = facts.force_annotation is not None and facts.force_annotation == (facts.target or "")
    forced = force_wanted and not forced_record
    verdict = guard(
        facts.policy,
        facts.players,
        requested_at=requested_at,
        now=facts.now,
        interval=facts.interval,
        forced=forced,
    )
    what = f"switching to {facts.target}" if facts.target else f"deactivating {facts.current}"
    on = facts.players.describe(facts.current)
    if verdict.waits:
        pending = {
            "target": facts.target or "",
            "requestedAt": rfc3339(requested_at),
            "deadline": rfc3339(verdict.deadline) if verdict.deadline else None,
            "players": facts.players.count,
            "reason": verdict.reason,
        }
        if verdict.deadline is not None:
            when = f"{what} at {verdict.deadline.strftime('%H:%M')} UTC unless they leave earlier"
        else:
            when = f"{what} waits until they leave (switchover policy block)"
        forcing = facts.target or '""'
        hint = f"; annotate {FORCE_ANNOTATION}={forcing} to switch now"
        message = f"{on}; {when}{hint}"
        return Switch(facts.current, verdict, pending, forced_record, message, verdict.reason)
    if forced:
        forced_record = {"target": facts.target or "", "requestedAt": rfc3339(requested_at)}
    done = f"switched to {facts.target}" if facts.target else f"deactivated {facts.current}"
    if verdict.disconnected:
        message = f"{done}; {facts.players.disconnected(facts.current, why(verdict.reason))}"
    else:
        message = f"{done}; nobody was playing on {facts.current}"
    return Switch(facts.target, verdict, None, forced_record, message, verdict.reason)


def _kept_forced_record(facts: SwitchFacts) -> dict[str, Any] | None:
    """The force record lives while the annotation names the target it forced."""
    record = dict(facts.forced_record or {})
    if record and facts.force_annotation is not None and record.get("target") == facts.force_annotation:
        return record
    return None


def why(reason: str) -> str:
    """A guard reason in words."""
    return {
        "ForcedByAnnotation": f"forced by the {FORCE_ANNOTATION} annotation",
        "Forced": "switchover policy force",
        "SwitchedWithPlayers": "switchover policy warn",
        "GracePeriodEnded": "the grace period ended",
    }.get(reason, reason)


def event_name(owner: str, *parts: str) -> str:
    """A deterministic Event name: one Event per decision, however often the pipeline re-runs."""
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()[:12]
    return f"{owner[:200]}.switchover-{digest}"


def _time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
