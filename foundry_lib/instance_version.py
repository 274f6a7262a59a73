"""The version step of the FoundryInstance decision: which Foundry runs, the snapshot taken before a
version change, and what status records about both (DESIGN §2)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from foundry_lib.conditions import condition
from foundry_lib.data_guard import pool_owner_version
from foundry_lib.effective import EffectiveSpec
from foundry_lib.instance_facts import InstanceFacts
from foundry_lib.instance_volumes import snapshot_steps, started_after
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.versions import ALLOW_DOWNGRADE_ANNOTATION, VersionDecision, decide_version
from foundry_lib.volume_places import StorageContext
from foundry_lib.volume_plan import Step, VolumePlan, stamp
from foundry_lib.volumes import VolumeKind


def choose_version(
    facts: InstanceFacts,
    eff: EffectiveSpec,
    license_spec: FoundryLicenseSpec,
    pools: Mapping[VolumeKind, str],
    owner_of: Mapping[VolumeKind, bool],
) -> VersionDecision:
    """The version to run; a dependent of a worlds pool without its own selector follows the pool
    owner's version (an older core cannot open what a newer one migrated)."""
    inst = facts.instance
    follow = None
    if inst.spec.foundry_version is None and not owner_of.get(VolumeKind.WORLDS, True):
        follow = pool_owner_version(pools[VolumeKind.WORLDS], facts.peers, inst.name)
    observed = (inst.status.get("foundryVersion") or {}).get("resolved")
    return decide_version(
        follow or eff.foundry_version.value,
        facts.catalog,
        observed=str(observed) if observed else None,
        auto_update=eff.auto_update.value,
        allowed=license_spec.restrictions.allowed_versions or (),
        allow_downgrade=inst.annotations.get(ALLOW_DOWNGRADE_ANNOTATION),
        image_repository=facts.settings.image_repository,
    )


def snapshot(
    version: VersionDecision,
    inst: Request[FoundryInstanceSpec],
    plans: list[VolumePlan],
    ctx: StorageContext,
    facts: InstanceFacts,
) -> tuple[list[Step], dict[str, Any] | None]:
    """Snapshot steps for the last version change: rendered from the change until Foundry has started
    on the new version (a one-shot), recorded in status until the next change, with where they are."""
    observed = inst.status.get("foundryVersion") or {}
    recorded = observed.get("snapshot") or {}
    if version.changed and version.previous:
        previous, at = version.previous, stamp(facts.now)
    elif recorded.get("to") == version.resolved.version and recorded.get("from"):
        previous, at = str(recorded["from"]), str(recorded.get("stamp"))
    else:
        return [], None
    keep = facts.settings.snapshot_keep
    steps, where = snapshot_steps(plans, previous, version.resolved.version, at, keep)
    seen = (inst.status.get("foundry") or {}).get("version")
    on_new = seen is None or str(seen) == version.resolved.version  # the monitor saw the new core
    done = not version.changed and on_new and started_after(inst, at)
    record = {
        "from": previous,
        "to": version.resolved.version,
        "stamp": at,
        "locations": {kind: ctx.location(place) for kind, place in where.items()},
        "folders": {kind: ctx.location(place).rpartition("/")[0] for kind, place in where.items()},
        "keep": keep,
        "step": "done" if done else "pending",
    }
    return ([] if done else steps), record


def update_condition(version: VersionDecision, facts: InstanceFacts) -> dict[str, Any]:
    newer = version.newer_available
    if newer is None:
        return condition("UpdateAvailable", False, "UpToDate", "no newer allowed version", facts.now)
    message = (
        f"Foundry {newer.version} is available and allowed but not applied (autoUpdate and "
        f"spec.foundryVersion keep {version.resolved.version}); set spec.foundryVersion to "
        f"{newer.version} to upgrade"
    )
    return condition("UpdateAvailable", True, "NewerVersion", message, facts.now)


def version_status(version: VersionDecision, observed: Mapping[str, Any]) -> dict[str, Any]:
    """`previous` is the version before the last change; it survives runs that change nothing."""
    previous = version.previous or observed.get("previous")
    out: dict[str, Any] = {
        "requested": version.requested,
        "resolved": version.resolved.version,
        "image": version.image,
    }
    if previous:
        out["previous"] = previous
    return out
