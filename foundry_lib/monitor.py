"""The monitor's decisions, pure: what it observed → status patches, license nudges, disconnected players.

The monitor owns the instance status keys `connectedPlayers`, `lastPlayerActivity`, `activeWorld`
and `foundry` (models/status.py) and always writes their complete values. It writes only when
something a reader relies on changed; when only time moved (`foundry.checkedAt`, and
`lastPlayerActivity` while players stay on) it refreshes them once the last check is most of an
interval old, so a cycle run every interval keeps the data fresh for the pipelines (stale after two
intervals) and a cycle run sooner (a restart, `--once`) writes nothing.

`foundry.startedAt` is the check time minus Foundry's reported uptime: the data-safety code drops a
one-shot step once Foundry started after it was rendered (running.started_since). It moves only when
the server restarted (more than `STARTED_TOLERANCE` away), never for the jitter of request timing, and
stays as last seen while the server is unreachable or reports no uptime (no world loaded).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from foundry_lib.foundry_status import Activity, FoundryObservation, UnknownReason, unknown
from foundry_lib.outcome import MANUAL_RECONCILIATION
from foundry_lib.running import runs

STARTED_TOLERANCE = timedelta(seconds=10)
REFRESH_SHARE = 0.8  # refresh time-only fields once the last check is this share of an interval old
MONITOR_KEYS = ("connectedPlayers", "lastPlayerActivity", "activeWorld", "foundry")
_TIME_ONLY = ("checkedAt",)

InstanceKey = tuple[str, str]  # namespace, name


@dataclass(frozen=True)
class Poll:
    """One observation and when the monitor received it."""

    observation: FoundryObservation
    at: datetime


@dataclass(frozen=True)
class Memory:
    """What the monitor remembers between cycles. Losing it (a restart) costs at most one repeated nudge
    and one switch whose disconnected players go uncounted; statuses never depend on it."""

    routed: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (ns, license) → activeInstance
    players: Mapping[InstanceKey, int] = field(default_factory=dict)  # last known count per instance
    nudged: frozenset[tuple[str, str, str]] = frozenset()  # (ns, license, pendingSwitchover as JSON)

    def forget_nudges(self, failed: Sequence[Nudge]) -> Memory:
        """Nudges that did not reach the API are tried again next cycle."""
        return replace(self, nudged=self.nudged - {n.marker for n in failed})


@dataclass(frozen=True)
class StatusPatch:
    namespace: str
    name: str
    status: dict[str, Any]
    why: str


@dataclass(frozen=True)
class Nudge:
    """Wake the license pipeline: its switchover waits and the routed instance has no players now."""

    namespace: str
    license: str
    instance: str
    pending: str = ""  # the pendingSwitchover nudged for, as JSON (remembered so it is nudged once)

    @property
    def marker(self) -> tuple[str, str, str]:
        return self.namespace, self.license, self.pending


@dataclass(frozen=True)
class Disconnect:
    """A license stopped routing an instance that had players: they were disconnected."""

    namespace: str
    license: str
    instance: str
    players: int


@dataclass(frozen=True)
class Assessment:
    patches: tuple[StatusPatch, ...]
    nudges: tuple[Nudge, ...]
    disconnects: tuple[Disconnect, ...]
    memory: Memory


def stamp(moment: datetime) -> str:
    """The status time format: UTC, whole seconds, `Z`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


STOPPED = unknown(UnknownReason.NOT_RUNNING, "the instance pipeline stopped this server")


def worth_asking(instance: Mapping[str, Any]) -> bool:
    """Whether to poll an instance: not when its pipeline stopped the server (status replicas 0), whose
    Service has no endpoint (a refused or, on some networks, a timed-out request for nothing)."""
    return runs(_status(instance))


def assess(
    instances: Sequence[Mapping[str, Any]],
    polls: Mapping[InstanceKey, Poll],
    licenses: Sequence[Mapping[str, Any]],
    memory: Memory,
    *,
    interval: timedelta,
) -> Assessment:
    """Every decision of one cycle. `instances` and `licenses` are the objects as listed this cycle;
    `polls` has an entry for every instance polled."""
    patches = []
    for obj in instances:
        key = _key(obj)
        poll = polls.get(key)
        if poll is None:
            continue
        patch = instance_patch(obj.get("status") or {}, poll, interval=interval)
        if patch is not None:
            patches.append(StatusPatch(key[0], key[1], *patch))
    players = _players(memory.players, instances, polls)
    disconnects = tuple(_disconnects(licenses, memory))
    nudges, nudged = _nudges(licenses, polls, memory.nudged)
    routed = {
        (ns, name): str(_status(lic).get("activeInstance") or "")
        for lic in licenses
        for ns, name in [_key(lic)]
    }
    return Assessment(tuple(patches), nudges, disconnects, Memory(routed, players, nudged))


def instance_patch(
    current: Mapping[str, Any], poll: Poll, *, interval: timedelta
) -> tuple[dict[str, Any], str] | None:
    """The monitor's complete keys and why they are written, or None when nothing needs writing."""
    desired = observed_status(current, poll)
    changed = [key for key in MONITOR_KEYS if _differs(current.get(key), desired[key], key)]
    if changed:
        return desired, _describe(current, desired, changed)
    if any(_stored(current.get(key)) != _stored(desired[key]) for key in MONITOR_KEYS) and _due(
        current, poll.at, interval
    ):
        return desired, "refresh checkedAt"
    return None


def observed_status(current: Mapping[str, Any], poll: Poll) -> dict[str, Any]:
    """The monitor's keys after this observation, from the current status and the poll alone."""
    seen, at = poll.observation, poll.at
    before = current.get("foundry")
    before = before if isinstance(before, Mapping) else {}
    players = seen.players
    last_activity = stamp(at) if players else current.get("lastPlayerActivity")
    return {
        "connectedPlayers": players,
        "lastPlayerActivity": last_activity,
        "activeWorld": seen.world if seen.reachable else None,
        "foundry": {
            "reachable": seen.reachable,
            "version": seen.version if seen.reachable else before.get("version"),
            "checkedAt": stamp(at),
            "reason": str(seen.reason) if seen.reason else None,
            "startedAt": _started_at(before.get("startedAt"), seen, at),
        },
    }


def _started_at(before: object, seen: FoundryObservation, at: datetime) -> str | None:
    previous = _parse(before)
    if not seen.reachable or seen.uptime is None:
        return stamp(previous) if previous else None
    started = at - timedelta(seconds=seen.uptime)
    if previous is not None and abs(started - previous) <= STARTED_TOLERANCE:
        return stamp(previous)
    return stamp(started)


def _differs(old: object, new: object, key: str) -> bool:
    """A change a reader relies on: time-only fields moving forward do not count. A merge patch stores
    a null as an absent key, so null and absent are the same."""
    if key == "lastPlayerActivity":
        return (old is None) != (new is None)
    if key == "foundry" and isinstance(old, Mapping) and isinstance(new, Mapping):
        return _kept(old, _TIME_ONLY) != _kept(new, _TIME_ONLY) or any(old.get(k) is None for k in _TIME_ONLY)
    return old != new


def _kept(values: Mapping[str, Any], without: Sequence[str] = ()) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None and k not in without}


def _stored(value: object) -> object:
    return _kept(value) if isinstance(value, Mapping) else value


def _due(current: Mapping[str, Any], now: datetime, interval: timedelta) -> bool:
    seen = current.get("foundry")
    checked = _parse(seen.get("checkedAt")) if isinstance(seen, Mapping) else None
    return checked is None or now - checked >= interval * REFRESH_SHARE


def _describe(current: Mapping[str, Any], desired: Mapping[str, Any], changed: Sequence[str]) -> str:
    parts = []
    if "connectedPlayers" in changed:
        parts.append(
            f"players {_count(current.get('connectedPlayers'))} → {_count(desired['connectedPlayers'])}"
        )
    if "activeWorld" in changed:
        parts.append(f"world {current.get('activeWorld') or '-'} → {desired['activeWorld'] or '-'}")
    if "foundry" in changed:
        seen = desired["foundry"]
        parts.append(
            f"foundry {seen['version']} reachable"
            if seen["reachable"]
            else f"foundry unknown ({seen['reason']})"
        )
    if "lastPlayerActivity" in changed:
        parts.append(f"lastPlayerActivity {desired['lastPlayerActivity']}")
    return ", ".join(parts)


def _count(value: object) -> str:
    return "unknown" if value is None else str(value)


def _players(
    before: Mapping[InstanceKey, int],
    instances: Sequence[Mapping[str, Any]],
    polls: Mapping[InstanceKey, Poll],
) -> dict[InstanceKey, int]:
    """Last known players of every listed instance: this cycle's count, else the last one known."""
    result = {}
    for obj in instances:
        key = _key(obj)
        poll = polls.get(key)
        count = poll.observation.players if poll else None
        if count is None:
            count = before.get(key)
        if count is not None:
            result[key] = count
    return result


def _disconnects(licenses: Sequence[Mapping[str, Any]], memory: Memory) -> list[Disconnect]:
    found = []
    for lic in licenses:
        namespace, name = _key(lic)
        was = memory.routed.get((namespace, name))
        now = str(_status(lic).get("activeInstance") or "")
        if was and was != now:
            players = memory.players.get((namespace, was), 0)
            if players > 0:
                found.append(Disconnect(namespace, name, was, players))
    return found


def _nudges(
    licenses: Sequence[Mapping[str, Any]],
    polls: Mapping[InstanceKey, Poll],
    nudged: frozenset[tuple[str, str, str]],
) -> tuple[tuple[Nudge, ...], frozenset[tuple[str, str, str]]]:
    """Licenses whose switchover waits while their routed instance is confirmed idle, each nudged once
    per pending switchover; the remembered set keeps only switchovers still pending."""
    nudges, pending_now, nudged_now = [], set(), set()
    for lic in licenses:
        namespace, name = _key(lic)
        status = _status(lic)
        pending, routed = status.get("pendingSwitchover"), str(status.get("activeInstance") or "")
        if not pending or not routed:
            continue
        marker = (namespace, name, json.dumps(pending, sort_keys=True, default=str))
        pending_now.add(marker)
        poll = polls.get((namespace, routed))
        labels = (lic.get("metadata") or {}).get("labels") or {}
        if (
            poll is None
            or poll.observation.activity is not Activity.IDLE
            or marker in nudged
            or labels.get(MANUAL_RECONCILIATION) == "true"
        ):
            continue
        nudges.append(Nudge(namespace, name, routed, marker[2]))
        nudged_now.add(marker)
    return tuple(nudges), frozenset((nudged & pending_now) | nudged_now)


def _key(obj: Mapping[str, Any]) -> InstanceKey:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _status(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    status = obj.get("status")
    return status if isinstance(status, Mapping) else {}


def _parse(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
