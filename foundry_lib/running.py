"""Does an instance's server run? One rule, read by every path that must not meet a running server.

The instance pipeline records in status `replicas` (0 or 1, owned by the instance pipeline) what its
last rendered Deployment asks for. A refused run writes only message and conditions, so the record
keeps describing the Work that stays applied: a refused or invalid instance whose last Work runs still
counts as running. Pool exclusivity (worlds and plugins pools alike), copies and snapshots of a source
all ask `runs`, never re-derive it from a spec. Pool members and instances of a license that scales
standby to zero stop while not routed (`stops_on_standby`), the one definition the license pipeline
uses to decide whom to wake when the active instance changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.conditions import condition_of
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.pools import same_pool
from foundry_lib.volumes import Mode

REPLICAS = "replicas"
WAIT_REASONS = ("PoolPeerRunning", "SourceRunning")
"""Accepted-condition reasons of an instance waiting for another one to stop (see `waiting_for_stop`)."""


def runs(status: Mapping[str, Any]) -> bool:
    """Whether the instance's applied workload runs. A status written before `replicas` was recorded
    counts as running when it rendered volumes: unknown must never let two servers meet."""
    recorded = status.get(REPLICAS)
    if recorded is None:
        return bool(status.get("volumes"))
    return bool(recorded == 1)


def stops_on_standby(license_spec: FoundryLicenseSpec, instance_spec: FoundryInstanceSpec) -> bool:
    """Whether the instance runs only while routed: the license saves resources on standby, or the
    instance is a member (owner or dependent) of a worlds or plugins pool, where one server runs at a
    time. The license pipeline wakes exactly these instances when their active state flips."""
    volumes = instance_spec.volumes
    in_pool = Mode.SHARED in (volumes.worlds.mode, volumes.plugins.mode)
    return license_spec.standby.scale_to_zero or in_pool


def wants_to_run(
    license_spec: FoundryLicenseSpec, instance_spec: FoundryInstanceSpec, is_active: bool
) -> bool:
    return is_active or not stops_on_standby(license_spec, instance_spec)


@dataclass(frozen=True)
class Peer:
    """Another FoundryInstance of the namespace as the API shows it, valid or not."""

    name: str
    status: Mapping[str, Any]

    @property
    def runs(self) -> bool:
        return runs(self.status)

    @property
    def locations(self) -> tuple[str, ...]:
        """Where its worlds and plugins are mounted, as its own pipeline last recorded them."""
        volumes = self.status.get("volumes") or {}
        found = (v.get("location") for v in volumes.values() if isinstance(v, Mapping))
        return tuple(sorted(str(loc) for loc in found if loc))

    @property
    def waiting_for_stop(self) -> bool:
        """Whether it waits for another instance to stop (so a stopping instance wakes it)."""
        return condition_of(self.status, "Accepted").get("reason") in WAIT_REASONS


def running_on(locations: Iterable[str], peers: Sequence[Peer], me: str) -> list[str]:
    """Peers other than `me` whose server runs on any of `locations` (sorted names)."""
    wanted = tuple(locations)
    return sorted(
        p.name
        for p in peers
        if p.name != me
        and p.runs
        and any(same_pool(mine, theirs) for mine in wanted for theirs in p.locations)
    )


def started_since(status: Mapping[str, Any], moment: datetime) -> bool:
    """Whether the Foundry process the monitor last reached started after `moment`, so every init step
    rendered at `moment` has run. The monitor records `foundry.startedAt` (its check time minus the
    server's reported uptime); without it nothing counts as done and one-shot steps stay rendered
    (they are idempotent, so staying is safe; dropping one that never ran is not)."""
    seen = status.get("foundry") or {}
    started = _parse_time(seen.get("startedAt")) if isinstance(seen, Mapping) else None
    return bool(seen.get("reachable")) and started is not None and started > moment


def _parse_time(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
