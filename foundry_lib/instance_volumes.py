"""An instance's worlds and plugins across its siblings: sources, dependents, pools, snapshots.

The pure glue between `volumes` (what moves are safe), `volume_places` and `volume_plan` (where data
lives and what moves it) and the other instances of the license (who copies from or shares with whom).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from foundry_lib.errors import UserError
from foundry_lib.models.instance import FoundryInstanceSpec, Volume
from foundry_lib.models.request import Request
from foundry_lib.pools import pool_key, same_pool
from foundry_lib.running import started_since
from foundry_lib.volume_places import Place, Root, StorageContext
from foundry_lib.volume_plan import STAMP_FORMAT, Step, VolumePlan, plan_volume
from foundry_lib.volumes import (
    Mode,
    ObservedVolume,
    Script,
    VolumeKind,
    VolumeRequest,
    attached_to,
    validate_sources,
)

Instance = Request[FoundryInstanceSpec]


@dataclass(frozen=True)
class Neighbourhood:
    """This instance, its license's other instances and how to place any of them."""

    me: Instance
    siblings: Sequence[Instance]
    license_name: str
    contexts: dict[str, StorageContext]  # by instance name, this one included

    def other(self, name: str) -> Instance | None:
        return next((s for s in self.siblings if s.name == name and s.name != self.me.name), None)


def volume_spec(inst: Instance, kind: VolumeKind) -> Volume:
    return getattr(inst.spec.volumes, str(kind))  # type: ignore[no-any-return]


def request_of(inst: Instance, kind: VolumeKind) -> VolumeRequest:
    vol = volume_spec(inst, kind)
    source = vol.source
    return VolumeRequest(vol.mode, source.instance if source else None, source.path if source else None)


def _observed(inst: Instance, kind: VolumeKind) -> dict[str, Any] | None:
    found = (inst.status.get("volumes") or {}).get(str(kind))
    return dict(found) if isinstance(found, dict) and found.get("mode") else None


def dependents_of(hood: Neighbourhood, kind: VolumeKind) -> tuple[str, ...]:
    """Instances attached to this instance's pool: by their spec or by what they still observe."""
    found = set()
    mine = pool_keys(hood, hood.me, kind)  # consulted by decide_move only for an (observed) owner
    for other in hood.siblings:
        if other.name == hood.me.name:
            continue
        wanted = volume_spec(other, kind).model_dump(mode="json")
        if attached_to(hood.me.name, wanted) or attached_to(hood.me.name, _observed(other, kind)):
            found.add(other.name)
        elif mine and any(same_pool(a, b) for a in mine for b in pool_keys(hood, other, kind)):
            found.add(other.name)  # attached by source.path to this instance's pool folder
    return tuple(sorted(found))


def pool_keys(hood: Neighbourhood, inst: Instance, kind: VolumeKind) -> set[str]:
    """The pools (as locations) `inst` mounts or asks to mount: by its spec and by its recorded status."""
    keys = set()
    seen = _observed(inst, kind)
    if seen and seen.get("mode") == Mode.SHARED and seen.get("location"):
        keys.add(str(seen["location"]))
    req = request_of(inst, kind)
    ctx = hood.contexts[hood.me.name]
    source = next((s for s in hood.siblings if s.name == req.source_instance), None)
    try:
        own = _home_of(hood, inst, kind)
        source_home = _home_of(hood, source, kind) if source is not None else None
    except UserError:
        return keys  # a location recorded on another root: only the recorded key is known
    wanted = pool_key(ctx, req, own_home=own, source_home=source_home)
    if wanted:
        keys.add(wanted)
    return keys


def _home_of(hood: Neighbourhood, inst: Instance, kind: VolumeKind) -> Place:
    """Where another instance's volume of this kind is: recorded, else where it will be created."""
    ctx = hood.contexts[inst.name]
    seen = _observed(inst, kind)
    if seen:
        return hood.contexts[hood.me.name].parse(str(seen["location"]), f"{inst.name}: status.volumes.{kind}")
    return ctx.pool_home(kind) if request_of(inst, kind).is_pool_owner else ctx.private(kind)


def _source_place(hood: Neighbourhood, kind: VolumeKind, req: VolumeRequest) -> Place | None:
    field = f"spec.volumes.{kind}.source"
    ctx = hood.contexts[hood.me.name]
    if req.source_path is not None:
        if not ctx.shared_root or not ctx.nfs_server:
            raise UserError(
                f"{field}.path: pools by path live under the license's spec.sharedNfsRoot on the "
                f"platform's NFS server; license {hood.license_name!r} has no sharedNfsRoot or the "
                "platform no NFS server",
                reason="NoSharedRoot",
                field=field,
            )
        return Place(Root.SHARED, req.source_path)
    if req.source_instance is None:
        return None
    source = hood.other(req.source_instance)
    if source is None:
        raise UserError(
            f"{field}.instance: {req.source_instance!r} is not an instance of license {hood.license_name!r} "
            f"in namespace {hood.me.namespace!r}; sources must belong to the same license",
            reason="SourceNotFound",
            field=field,
        )
    if req.mode is Mode.SHARED and not request_of(source, kind).is_pool_owner:
        raise UserError(
            f"{field}.instance: {source.name!r} does not own a {kind} pool (an owner has mode shared and no "
            "source); attach to the owner itself or to the pool's path",
            reason="SourceNotAPool",
            field=field,
        )
    return _home_of(hood, source, kind)


def plan_volumes(hood: Neighbourhood, now: datetime, csi_clone: bool) -> list[VolumePlan]:
    """Plan worlds and plugins; a transition's one-shot steps are left out once Foundry started after it."""
    plans = []
    for kind in (VolumeKind.WORLDS, VolumeKind.PLUGINS):
        req = request_of(hood.me, kind)
        edges = {s.name: request_of(s, kind).source_instance for s in hood.siblings if s.name != hood.me.name}
        validate_sources(kind, req, instance=hood.me.name, edges=edges)
        seen = _observed(hood.me, kind)
        observed = ObservedVolume.from_status(seen, field=f"status.volumes.{kind}")
        recorded_copy = (
            observed is not None
            and seen is not None
            and observed.mode is Mode.COPIED is req.mode
            and (observed.source_instance, observed.source_path) == (req.source_instance, req.source_path)
            and bool(seen.get("sourceLocation"))
        )
        source = None if recorded_copy else _source_place(hood, kind, req)
        plans.append(
            plan_volume(
                kind,
                hood.contexts[hood.me.name],
                req,
                seen,
                source=source,
                dependents=dependents_of(hood, kind),
                now=now,
                csi_clone=csi_clone,
                steps_done=started_after(hood.me, (seen or {}).get("stamp")),
            )
        )
    return plans


def started_after(inst: Instance, at: object) -> bool:
    """Whether Foundry started after the transition stamped `at` (`volume_plan.stamp`), so every
    one-shot step rendered for it has run; an unknown or unreadable stamp never counts as done."""
    if not at:
        return False
    try:
        moment = datetime.strptime(str(at), STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return False
    return started_since(inst.status, moment)


def detached_sources(hood: Neighbourhood) -> set[str]:
    """Instances this one used as a source and no longer does: they may be waiting for it to detach."""
    gone = set()
    for kind in (VolumeKind.WORLDS, VolumeKind.PLUGINS):
        seen = (_observed(hood.me, kind) or {}).get("source") or {}
        before = seen.get("instance")
        if before and before != request_of(hood.me, kind).source_instance:
            gone.add(str(before))
    return gone


def snapshot_steps(
    plans: Sequence[VolumePlan], previous: str, resolved: str, at: str, keep: int
) -> tuple[list[Step], dict[str, Place]]:
    """Copy worlds and plugins aside before Foundry migrates them. Each volume's snapshots live in
    their own folder beside the data (`backups/<leaf>/<at>-<from>-to-<to>`, oldest first by name),
    where the script keeps the newest `keep`; `at` and the version pair name the backup, so every
    rerun renders the same step."""
    key = f"{previous}-to-{resolved}"
    steps: list[Step] = []
    where: dict[str, Place] = {}
    for plan in plans:
        leaf = plan.place.path.rpartition("/")[2] or str(plan.kind)
        target = plan.place.sibling("backups", f"{leaf}/{at}-{key}")
        steps.append(Step(f"snapshot-{plan.kind}", Script.SNAPSHOT, (plan.place, target, key, str(keep))))
        where[str(plan.kind)] = target
    return steps, where
