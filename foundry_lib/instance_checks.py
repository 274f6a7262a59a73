"""The refusals and waits of the FoundryInstance decision, in the order they are checked (DESIGN §2).

A refusal is a UserError (the runtime keeps the previous Work); waiting for another server to stop is
a WaitError (nothing is rendered until it has stopped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from foundry_lib.admission import admitted_by
from foundry_lib.data_guard import check_copy_source_version, check_pool_version
from foundry_lib.errors import UserError, WaitError
from foundry_lib.instance_facts import InstanceFacts
from foundry_lib.kube import FOUNDRY_LICENSE
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.outcome import RequestReconcile
from foundry_lib.running import REPLICAS, running_on
from foundry_lib.versions import VersionDecision
from foundry_lib.volume_places import Place, StorageContext
from foundry_lib.volume_plan import VolumePlan
from foundry_lib.volumes import Script, VolumeKind

WAIT_FOR_STOP = timedelta(seconds=30)


def require_license(facts: InstanceFacts) -> Request[FoundryLicenseSpec]:
    """The license named by spec.licenseRef; refused when it does not exist."""
    ref = facts.instance.spec.license_ref.name
    if facts.license is None:
        raise UserError(
            f"spec.licenseRef.name: there is no FoundryLicense {ref!r} in namespace "
            f"{facts.instance.namespace!r}; create it first or name an existing license",
            reason="LicenseNotFound",
            field="spec.licenseRef.name",
        )
    return facts.license


def over_limit(facts: InstanceFacts, license_req: Request[FoundryLicenseSpec]) -> str | None:
    """None when admitted; else why it is stopped. One that never rendered is refused: it deploys nothing."""
    limit = license_req.spec.restrictions.max_instances
    if facts.instance.name in admitted_by(license_req, facts.siblings):
        return None
    why = (
        f"license {license_req.name!r} allows at most {limit} instances (restrictions.maxInstances) and "
        f"{len(facts.siblings)} reference it; the routed one and then the oldest are admitted"
    )
    if REPLICAS not in facts.instance.status and not facts.instance.status.get("volumes"):
        raise UserError(
            f"{why}, this one deploys nothing until one is deleted or the limit is raised",
            reason="InstanceLimitReached",
            field="spec.licenseRef.name",
            nudges=_license_nudge(facts, license_req),
        )
    return f"{why}; this one is stopped (its data is kept) until one is deleted or the limit is raised"


def _license_nudge(
    facts: InstanceFacts, license_req: Request[FoundryLicenseSpec]
) -> tuple[RequestReconcile, ...]:
    """Ask the license to route this instance (to standby) if it does not list it yet."""
    listed = {str(e.get("name")) for e in license_req.status.get("instances") or []}
    if facts.instance.name in listed:
        return ()
    return (RequestReconcile(FOUNDRY_LICENSE, facts.instance.namespace, license_req.name),)


def check_data(
    version: VersionDecision,
    plans: Sequence[VolumePlan],
    pools: Mapping[VolumeKind, str],
    owner_of: Mapping[VolumeKind, bool],
    ctx: StorageContext,
    facts: InstanceFacts,
) -> None:
    """Refuse what the recorded statuses already show the data cannot take (see data_guard)."""
    resolved, me = version.resolved.version, facts.instance.name
    for kind, location in pools.items():
        if not owner_of[kind]:
            check_pool_version(kind, location, resolved, facts.peers, me)
    for plan in plans:
        for step in plan.steps:
            source = step.args[0]
            if step.script is Script.VOLUME_COPY and isinstance(source, Place):
                check_copy_source_version(plan.kind, ctx.location(source), resolved, facts.peers, me)


def wait_for_other_servers(
    plans: Sequence[VolumePlan], pools: Mapping[VolumeKind, str], ctx: StorageContext, facts: InstanceFacts
) -> None:
    """Only one server of a pool runs at a time, and no copy is taken while its source's server runs:
    both count every instance whose applied workload runs (`running.runs`), valid, refused or not."""
    me = facts.instance.name
    busy = running_on(pools.values(), facts.peers, me)
    if busy:
        kinds = " and ".join(str(k) for k in pools)
        raise WaitError(
            f"waiting for {', '.join(busy)} to stop: it runs on the same {kinds} pool, and only one server "
            "of a pool runs at a time (two servers on one LevelDB corrupt it); this instance starts once "
            "it has stopped (it stops when it is no longer the license's active instance)",
            reason="PoolPeerRunning",
            retry_after=WAIT_FOR_STOP,
        )
    for plan in plans:
        for step in plan.steps:
            source = step.args[0]
            if step.script is not Script.VOLUME_COPY or not isinstance(source, Place):
                continue
            busy = running_on([ctx.location(source)], facts.peers, me)
            if busy:
                vol = getattr(facts.instance.spec.volumes, str(plan.kind))
                named = (vol.source.instance or vol.source.path) if vol.source else ctx.location(source)
                raise WaitError(
                    f"waiting to copy {plan.kind} from {named!r}: its server ({', '.join(busy)}) still runs, "
                    "and a database is never copied while its server writes it; the copy starts once it "
                    "has stopped (deactivate it, or set standby.scaleToZero on its license)",
                    reason="SourceRunning",
                    retry_after=WAIT_FOR_STOP,
                )
