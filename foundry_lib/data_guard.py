"""Refuse in the pipeline what can be known before Foundry opens the data (DESIGN rule 10).

Data migrates forward when a newer core opens it and an older core cannot open it again. The init
step `version-guard.sh` checks the data itself (each world.json's `coreVersion`); these rules refuse
earlier what the recorded statuses already show: members of a worlds pool run the pool owner's core
version (plugins pools: its generation), and a copy never fills an instance from data a newer core wrote.
A worlds-pool dependent without its own spec.foundryVersion follows the owner (`pool_owner_version`),
so an owner's upgrade brings its dependents along when they next run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from foundry_lib.errors import UserError
from foundry_lib.pools import same_pool
from foundry_lib.running import Peer
from foundry_lib.volumes import VolumeKind

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.\d+)?")


def version_key(text: object) -> tuple[int, int] | None:
    """`13.351` or `13.351.0` as (generation, build); None for anything else."""
    match = _VERSION.fullmatch(str(text or "").strip())
    return (int(match[1]), int(match[2])) if match else None


def recorded_version(status: Mapping[str, Any]) -> str | None:
    resolved = (status.get("foundryVersion") or {}).get("resolved")
    return str(resolved) if resolved else None


def _volume(status: Mapping[str, Any], kind: VolumeKind) -> Mapping[str, Any]:
    found = (status.get("volumes") or {}).get(str(kind))
    return found if isinstance(found, Mapping) else {}


def pool_owner(kind: VolumeKind, location: str, peers: Sequence[Peer], me: str) -> Peer | None:
    """The other instance that owns the pool at `location` (mode shared, no source), as recorded."""
    for peer in peers:
        seen = _volume(peer.status, kind)
        owns = seen.get("mode") == "shared" and not seen.get("source")
        if peer.name != me and owns and same_pool(str(seen.get("location") or ""), location):
            return peer
    return None


def pool_owner_version(worlds_pool: str | None, peers: Sequence[Peer], me: str) -> str | None:
    """The core version a worlds-pool dependent follows: its owner's, when recorded."""
    if worlds_pool is None:
        return None
    owner = pool_owner(VolumeKind.WORLDS, worlds_pool, peers, me)
    return recorded_version(owner.status) if owner else None


def check_pool_version(
    kind: VolumeKind, location: str, resolved: str, peers: Sequence[Peer], me: str
) -> None:
    """A dependent runs the owner's core version (worlds) or generation (plugins)."""
    owner = pool_owner(kind, location, peers, me)
    theirs = recorded_version(owner.status) if owner else None
    mine, other = version_key(resolved), version_key(theirs)
    if owner is None or mine is None or other is None:
        return
    same = mine == other if kind is VolumeKind.WORLDS else mine[0] == other[0]
    if same:
        return
    what = f"Foundry {theirs}" if kind is VolumeKind.WORLDS else f"generation {other[0]}"
    same_what = "core version" if kind is VolumeKind.WORLDS else "generation"
    why = (
        "an older core cannot open worlds a newer one migrated, and a newer one would migrate them out of "
        "the owner's reach"
        if kind is VolumeKind.WORLDS
        else "module and system packs are migrated per generation"
    )
    raise UserError(
        f"spec.foundryVersion: this instance shares the {kind} pool of {owner.name!r}, which runs {what}; "
        f"members of a {kind} pool run the same {same_what} "
        f"({why}); set spec.foundryVersion to {theirs} (or leave it unset to follow the owner)",
        reason="PoolVersionMismatch",
        field="spec.foundryVersion",
    )


def check_copy_source_version(
    kind: VolumeKind, source_location: str, resolved: str, peers: Sequence[Peer], me: str
) -> None:
    """A copy is never taken from data a newer core than this instance's has opened."""
    mine = version_key(resolved)
    for peer in peers:
        theirs = recorded_version(peer.status)
        key = version_key(theirs)
        if peer.name == me or key is None or mine is None or key <= mine:
            continue
        if any(same_pool(loc, source_location) for loc in peer.locations):
            raise UserError(
                f"spec.volumes.{kind}.source: the source's data was opened by Foundry {theirs} "
                f"({peer.name!r}), newer than this instance's {resolved}; an older core cannot open "
                f"migrated data, so set spec.foundryVersion to {theirs} or newer before copying",
                reason="SourceDataNewer",
                field=f"spec.volumes.{kind}.source",
            )
