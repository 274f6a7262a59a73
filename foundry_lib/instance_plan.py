"""The FoundryInstance configure decision: facts in, Outcome out, no I/O (DESIGN §2, §4).

Order of checks: license exists and is valid → admitted under maxInstances (an instance that ran
before and is now beyond the limit is rendered stopped) → version resolves and the move to it is safe
→ the data allows it (pool versions, copy sources) → no other server runs on its pools or on a copy
source → render. Any refusal is a UserError; the runtime keeps the previous Work. Waiting for another
server to stop is a WaitError: nothing is rendered until it has stopped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from foundry_lib.accepted import ACCEPTED, accepted_record
from foundry_lib.catalog import Catalog
from foundry_lib.conditions import condition
from foundry_lib.data_guard import check_copy_source_version, check_pool_version, pool_owner_version
from foundry_lib.effective import EffectiveSpec, effective_spec
from foundry_lib.errors import UserError, WaitError
from foundry_lib.hostnames import check_hostname
from foundry_lib.instance_volumes import (
    Neighbourhood,
    dependents_of,
    detached_sources,
    plan_volumes,
    snapshot_steps,
)
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.live_storage import check_storage_change
from foundry_lib.manifests.storage import StorageRequest, render_storage
from foundry_lib.manifests.workload import (
    WorkloadRequest,
    render_deployment,
    render_service,
    render_service_account,
)
from foundry_lib.models.common import SecretKeyRef, StorageBackend
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.names import admin_secret_name
from foundry_lib.outcome import Effect, EnsureSecret, Outcome, RequestReconcile
from foundry_lib.pools import LicenseRoot, check_roots_apart, shared_pool_root
from foundry_lib.release_source import release_source, require_release_source
from foundry_lib.running import REPLICAS, Peer, running_on, runs, started_since, wants_to_run
from foundry_lib.settings import PlatformSettings
from foundry_lib.versions import ALLOW_DOWNGRADE_ANNOTATION, VersionDecision, decide_version
from foundry_lib.volume_plan import Place, Root, Step, StorageContext, VolumePlan, stamp
from foundry_lib.volumes import Mode, Script, VolumeKind

ADMIN_KEY = "adminKey"
WAIT_FOR_STOP = timedelta(seconds=30)


@dataclass(frozen=True)
class InstanceFacts:
    instance: Request[FoundryInstanceSpec]
    license: Request[FoundryLicenseSpec] | None
    siblings: Sequence[Request[FoundryInstanceSpec]]
    settings: PlatformSettings
    catalog: Catalog
    scripts: Mapping[Script, str]
    now: datetime
    peers: Sequence[Peer] = ()  # every instance of the namespace, valid or not, with its raw status
    license_roots: Sequence[LicenseRoot] = ()  # shared roots of the licenses of this namespace


def hostname_of(instance: Request[FoundryInstanceSpec], license_spec: FoundryLicenseSpec) -> str:
    return instance.spec.hostname or f"{instance.name}.{license_spec.base_domain}"


def url_of(hostname: str, proxy_ssl: bool, proxy_port: int) -> str:
    scheme = "https" if proxy_ssl else "http"
    default_port = 443 if proxy_ssl else 80
    return f"{scheme}://{hostname}" + ("" if proxy_port == default_port else f":{proxy_port}")


def admitted(siblings: Sequence[Request[Any]], limit: int | None, routed: str | None = None) -> set[str]:
    """The names admitted under the license's limit: the routed instance, then the oldest (creation
    time, then name); when the limit is lowered the newest beyond it leave, never the routed one."""
    order = sorted(siblings, key=lambda r: (r.name != routed, r.creation_timestamp, r.name))
    return {r.name for r in (order if limit is None else order[:limit])}


def _require_license(facts: InstanceFacts) -> Request[FoundryLicenseSpec]:
    ref = facts.instance.spec.license_ref.name
    if facts.license is None:
        raise UserError(
            f"spec.licenseRef.name: there is no FoundryLicense {ref!r} in namespace "
            f"{facts.instance.namespace!r}; create it first or name an existing license",
            reason="LicenseNotFound",
            field="spec.licenseRef.name",
        )
    return facts.license


def _over_limit(facts: InstanceFacts, license_req: Request[FoundryLicenseSpec]) -> str | None:
    """None when admitted; else why it is stopped. One that never rendered is refused: it deploys nothing."""
    limit = license_req.spec.restrictions.max_instances
    routed = license_req.status.get("activeInstance") or None
    if facts.instance.name in admitted(facts.siblings, limit, str(routed) if routed else None):
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


def _version(
    facts: InstanceFacts, eff: EffectiveSpec, license_spec: FoundryLicenseSpec, follow: str | None
) -> VersionDecision:
    """`follow`: the worlds-pool owner's version, which a dependent without its own selector runs."""
    observed = (facts.instance.status.get("foundryVersion") or {}).get("resolved")
    return decide_version(
        follow or eff.foundry_version.value,
        facts.catalog,
        observed=str(observed) if observed else None,
        auto_update=eff.auto_update.value,
        allowed=license_spec.restrictions.allowed_versions or (),
        allow_downgrade=facts.instance.annotations.get(ALLOW_DOWNGRADE_ANNOTATION),
        image_repository=facts.settings.image_repository,
    )


def _memory_limit(memory: str, factor: int) -> str:
    digits = "".join(c for c in memory if c.isdigit())
    return f"{int(digits) * factor}{memory[len(digits) :]}"


def _contexts(facts: InstanceFacts, lic: FoundryLicenseSpec) -> dict[str, StorageContext]:
    """Storage context of every instance of the license, each with its own effective backend."""
    out = {}
    shared_root = shared_pool_root(
        lic.shared_nfs_root,
        facts.instance.namespace,
        facts.settings.shared_roots,
        field="the license's spec.sharedNfsRoot",
    )
    license_req = facts.license
    if license_req is not None:
        check_roots_apart(
            shared_root,
            license_req.name,
            license_req.creation_timestamp,
            facts.license_roots,
            field="the license's spec.sharedNfsRoot",
        )
    for inst in facts.siblings:
        backend = effective_spec(inst.spec, lic, facts.settings).storage_backend.value
        out[inst.name] = StorageContext(
            inst.namespace,
            inst.name,
            backend,
            facts.settings.nfs_server,
            facts.settings.nfs_instance_root,
            shared_root,
        )
    return out


def _check_nfs(ctx: StorageContext, places: Sequence[Place]) -> None:
    """NFS places (this instance's, or a source's on NFS) need the platform's NFS server."""
    uses_nfs = ctx.backend is StorageBackend.NFS or any(p.root is not Root.CLAIM for p in places)
    if uses_nfs and not ctx.nfs_server:
        raise UserError(
            "this instance's storage (or a volume source of it) is on NFS, which needs the platform's NFS "
            "server (Promise pipeline env FOUNDRY_NFS_SERVER), and none is set; use storage.backend: pvc "
            "with sources on pvc, or ask the platform team",
            reason="PlatformMisconfigured",
            field="spec.storage.backend",
        )


def _snapshot(
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
    done = not version.changed and on_new and _started_at(inst, at)
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


def _started_at(inst: Request[FoundryInstanceSpec], at: str) -> bool:
    try:
        moment = datetime.strptime(at, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return False
    return started_since(inst.status, moment)


def plan_instance(facts: InstanceFacts) -> Outcome:
    inst = facts.instance
    license_req = _require_license(facts)
    lic = license_req.spec
    stopped_why = _over_limit(facts, license_req)
    require_release_source(license_req, facts.settings)
    eff = effective_spec(inst.spec, lic, facts.settings)
    check_storage_change(eff, inst.status)
    contexts = _contexts(facts, lic)
    ctx = contexts[inst.name]
    _check_nfs(ctx, ())
    hostname = check_hostname(hostname_of(inst, lic), facts.settings.base_domains, "spec.hostname")
    hood = Neighbourhood(inst, facts.siblings, license_req.name, contexts)
    plans = plan_volumes(hood, facts.now, facts.settings.csi_clone)
    _check_nfs(
        ctx,
        [plan.place for plan in plans]
        + [a for p in plans for s in p.steps for a in s.args if isinstance(a, Place)],
    )
    pools = {plan.kind: ctx.location(plan.place) for plan in plans if plan.status.get("mode") == Mode.SHARED}
    owner_of = {kind: _request_is_owner(inst, kind) for kind in pools}
    follow = None
    if inst.spec.foundry_version is None and not owner_of.get(VolumeKind.WORLDS, True):
        follow = pool_owner_version(pools[VolumeKind.WORLDS], facts.peers, inst.name)
    version = _version(facts, eff, lic, follow)
    _check_data(version, plans, pools, owner_of, ctx, facts)
    snapshot_steps_, snapshot = _snapshot(version, inst, plans, ctx, facts)
    worlds = next(plan for plan in plans if plan.kind is VolumeKind.WORLDS)
    guard = Step("version-guard", Script.VERSION_GUARD, (worlds.place, version.resolved.version))
    volume_steps = [step for plan in plans for step in plan.steps]
    run = stopped_why is None and wants_to_run(lic, inst.spec, inst.status.get("isActive") is True)
    if run:
        _wait_for_other_servers(plans, pools, ctx, facts)
    storage = render_storage(
        StorageRequest(
            ctx=ctx,
            license_name=license_req.name,
            storage_class=eff.storage_class.value,
            worlds_size=eff.worlds_size.value,
            config_size=facts.settings.config_volume_size,
            plugins_size=facts.settings.plugins_volume_size,
            retain_claims=facts.settings.pvc_retention == "retain",
            image=version.image,
            image_pull_policy=facts.settings.image_pull_policy,
            scripts=facts.scripts,
        ),
        plans,
        [*volume_steps, *snapshot_steps_, guard],
    )
    admin_ref = inst.spec.admin_key_secret_ref or SecretKeyRef(
        name=admin_secret_name(inst.name), key=ADMIN_KEY
    )
    workload = WorkloadRequest(
        instance=inst.name,
        namespace=inst.namespace,
        license_name=license_req.name,
        hostname=hostname,
        image=version.image,
        image_pull_policy=facts.settings.image_pull_policy,
        version=version.resolved.version,
        replicas=1 if run else 0,
        proxy_ssl=eff.proxy_ssl.value,
        proxy_port=eff.proxy_port.value,
        telemetry=facts.settings.telemetry,
        cpu=eff.cpu.value,
        memory=eff.memory.value,
        memory_limit=_memory_limit(eff.memory.value, facts.settings.memory_limit_factor),
        license_key=lic.license_secret_ref,
        admin_key=admin_ref,
        credentials_secret=lic.credentials_secret_ref.name if lic.credentials_secret_ref else None,
        volumes=storage.volumes,
        mounts=storage.mounts,
        init_containers=storage.init_containers,
        release_cache_claim=facts.settings.release_cache_claim,
        timezone=facts.settings.timezone,
        world=inst.spec.world,
    )
    url = url_of(hostname, eff.proxy_ssl.value, eff.proxy_port.value)
    outputs = {
        "serviceaccount.yaml": [render_service_account(workload)],
        "storage.yaml": storage.objects,
        "deployment.yaml": [render_deployment(workload)],
        "service.yaml": [render_service(workload)],
    }
    effects: list[Effect] = []
    if inst.spec.admin_key_secret_ref is None:
        labels = {"app.kubernetes.io/instance": inst.name, "app.kubernetes.io/part-of": "foundry-platform"}
        effects.append(EnsureSecret(inst.namespace, admin_ref.name, ADMIN_KEY, labels))
    routed_by = inst.status.get("license")
    if inst.status.get("hostname") != hostname or routed_by != license_req.name:
        # The license pipeline is the only emitter of routes: ask it to route the new hostname.
        effects.append(RequestReconcile(FOUNDRY_LICENSE, inst.namespace, license_req.name))
    if routed_by and routed_by != license_req.name:
        # Moved to another license: the old one must drop its route to this instance.
        effects.append(RequestReconcile(FOUNDRY_LICENSE, inst.namespace, str(routed_by)))
    woken = _woken(facts, hood, version, owner_of, stopping=runs(inst.status) and not run)
    effects += [RequestReconcile(FOUNDRY_INSTANCE, inst.namespace, name) for name in woken]
    if stopped_why:
        message = f"Foundry {version.resolved.version} stopped: {stopped_why}"
        accepted = condition("Accepted", False, "InstanceLimitReached", message, facts.now)
    else:
        message = f"Foundry {version.resolved.version} serving {url}" + (
            "" if run else " (stopped while on standby)"
        )
        accepted = condition("Accepted", True, "Rendered", message, facts.now)
    version_status = _version_status(version, inst.status.get("foundryVersion") or {})
    if snapshot:
        version_status["snapshot"] = snapshot
    status = {
        "license": license_req.name,
        "hostname": hostname,
        "url": url,
        "foundryVersion": version_status,
        "effective": eff.to_status() | {"releaseSource": release_source(lic, facts.settings)},
        "volumes": {str(plan.kind): plan.status for plan in plans},
        REPLICAS: 1 if run else 0,
        ACCEPTED: accepted_record(inst.spec, inst.generation),
        "message": message,
        "conditions": [accepted, _update_condition(version, facts)],
    }
    return Outcome(outputs=outputs, status=status, effects=tuple(effects), publish_status=bool(woken))


def _request_is_owner(inst: Request[FoundryInstanceSpec], kind: VolumeKind) -> bool:
    volume = getattr(inst.spec.volumes, str(kind))
    return bool(volume.mode == Mode.SHARED and volume.source is None)


def _check_data(
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


def _wait_for_other_servers(
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


def _woken(
    facts: InstanceFacts,
    hood: Neighbourhood,
    version: VersionDecision,
    owner_of: Mapping[VolumeKind, bool],
    *,
    stopping: bool,
) -> list[str]:
    """Instances to re-run, after this run's status is published: sources this one let go of, peers
    waiting for this server to stop, and an upgraded pool owner's dependents (they follow its version)."""
    names = set(detached_sources(hood))
    if stopping:
        names |= {p.name for p in facts.peers if p.waiting_for_stop and p.name != facts.instance.name}
    if version.changed:
        for kind, owner in owner_of.items():
            if owner:
                names |= set(dependents_of(hood, kind))
    return sorted(names)


def _update_condition(version: VersionDecision, facts: InstanceFacts) -> dict[str, Any]:
    newer = version.newer_available
    if newer is None:
        return condition("UpdateAvailable", False, "UpToDate", "no newer allowed version", facts.now)
    message = (
        f"Foundry {newer.version} is available and allowed but not applied (autoUpdate and "
        f"spec.foundryVersion keep {version.resolved.version}); set spec.foundryVersion to "
        f"{newer.version} to upgrade"
    )
    return condition("UpdateAvailable", True, "NewerVersion", message, facts.now)


def _version_status(version: VersionDecision, observed: Mapping[str, Any]) -> dict[str, Any]:
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
