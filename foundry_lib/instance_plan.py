"""The FoundryInstance configure decision: facts in, Outcome out, no I/O (DESIGN §2, §4).

Order of checks: license exists and is valid → admitted under maxInstances → version resolves and
the move to it is safe → render. Any refusal is a UserError; the runtime keeps the previous Work.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.catalog import Catalog
from foundry_lib.conditions import condition
from foundry_lib.effective import EffectiveSpec, effective_spec
from foundry_lib.errors import UserError
from foundry_lib.hostnames import check_hostname
from foundry_lib.instance_volumes import (
    Neighbourhood,
    detached_sources,
    plan_volumes,
    shares_running_worlds,
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
from foundry_lib.settings import PlatformSettings
from foundry_lib.versions import ALLOW_DOWNGRADE_ANNOTATION, VersionDecision, decide_version
from foundry_lib.volume_plan import Place, Root, Step, StorageContext, VolumePlan, stamp
from foundry_lib.volumes import Script

ADMIN_KEY = "adminKey"


@dataclass(frozen=True)
class InstanceFacts:
    instance: Request[FoundryInstanceSpec]
    license: Request[FoundryLicenseSpec] | None
    siblings: Sequence[Request[FoundryInstanceSpec]]
    settings: PlatformSettings
    catalog: Catalog
    scripts: Mapping[Script, str]
    now: datetime
    license_roots: Sequence[LicenseRoot] = ()  # shared roots of the licenses of this namespace


def hostname_of(instance: Request[FoundryInstanceSpec], license_spec: FoundryLicenseSpec) -> str:
    return instance.spec.hostname or f"{instance.name}.{license_spec.base_domain}"


def url_of(hostname: str, proxy_ssl: bool, proxy_port: int) -> str:
    scheme = "https" if proxy_ssl else "http"
    default_port = 443 if proxy_ssl else 80
    return f"{scheme}://{hostname}" + ("" if proxy_port == default_port else f":{proxy_port}")


def admitted(siblings: Sequence[Request[Any]], limit: int | None) -> set[str]:
    """The names admitted under the license's limit: the oldest `limit` (creation time, then name)."""
    order = sorted(siblings, key=lambda r: (r.creation_timestamp, r.name))
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


def _check_limit(facts: InstanceFacts, license_req: Request[FoundryLicenseSpec]) -> None:
    limit = license_req.spec.restrictions.max_instances
    if facts.instance.name not in admitted(facts.siblings, limit):
        raise UserError(
            f"license {license_req.name!r} allows at most {limit} instances "
            f"(restrictions.maxInstances) and {len(facts.siblings)} reference it; the oldest {limit} "
            "are admitted, this one deploys nothing until one is deleted or the limit is raised",
            reason="InstanceLimitReached",
            field="spec.licenseRef.name",
            nudges=_license_nudge(facts, license_req),
        )


def _license_nudge(
    facts: InstanceFacts, license_req: Request[FoundryLicenseSpec]
) -> tuple[RequestReconcile, ...]:
    """Ask the license to route this instance (to standby) if it does not list it yet."""
    listed = {str(e.get("name")) for e in license_req.status.get("instances") or []}
    if facts.instance.name in listed:
        return ()
    return (RequestReconcile(FOUNDRY_LICENSE, facts.instance.namespace, license_req.name),)


def _version(facts: InstanceFacts, eff: EffectiveSpec, license_spec: FoundryLicenseSpec) -> VersionDecision:
    observed = (facts.instance.status.get("foundryVersion") or {}).get("resolved")
    return decide_version(
        eff.foundry_version.value,
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
    observed: Mapping[str, Any],
    plans: list[VolumePlan],
    ctx: StorageContext,
    now: datetime,
) -> tuple[list[Step], dict[str, Any] | None]:
    """Snapshot steps for the last version change, rendered until the next one (idempotent marker)."""
    recorded = observed.get("snapshot") or {}
    if version.changed and version.previous:
        previous, at = version.previous, stamp(now)
    elif recorded.get("to") == version.resolved.version and recorded.get("from"):
        previous, at = str(recorded["from"]), str(recorded.get("stamp"))
    else:
        return [], None
    steps, where = snapshot_steps(plans, previous, version.resolved.version, at)
    record = {
        "from": previous,
        "to": version.resolved.version,
        "stamp": at,
        "locations": {kind: ctx.location(place) for kind, place in where.items()},
    }
    return steps, record


def plan_instance(facts: InstanceFacts) -> Outcome:
    inst = facts.instance
    license_req = _require_license(facts)
    lic = license_req.spec
    _check_limit(facts, license_req)
    eff = effective_spec(inst.spec, lic, facts.settings)
    check_storage_change(eff, inst.status)
    contexts = _contexts(facts, lic)
    ctx = contexts[inst.name]
    _check_nfs(ctx, ())
    version = _version(facts, eff, lic)
    hostname = check_hostname(hostname_of(inst, lic), facts.settings.base_domains, "spec.hostname")
    hood = Neighbourhood(inst, facts.siblings, license_req.name, contexts)
    plans = plan_volumes(hood, facts.now, facts.settings.csi_clone)
    _check_nfs(
        ctx,
        [plan.place for plan in plans]
        + [a for p in plans for s in p.steps for a in s.args if isinstance(a, Place)],
    )
    observed_version = inst.status.get("foundryVersion") or {}
    snapshot_steps_, snapshot = _snapshot(version, observed_version, plans, ctx, facts.now)
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
        [step for plan in plans for step in plan.steps] + snapshot_steps_,
    )
    admin_ref = inst.spec.admin_key_secret_ref or SecretKeyRef(
        name=admin_secret_name(inst.name), key=ADMIN_KEY
    )
    runs = _runs(facts, license_req, hood)
    workload = WorkloadRequest(
        instance=inst.name,
        namespace=inst.namespace,
        license_name=license_req.name,
        hostname=hostname,
        image=version.image,
        image_pull_policy=facts.settings.image_pull_policy,
        version=version.resolved.version,
        replicas=1 if runs else 0,
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
    detached = sorted(detached_sources(hood))
    for name in detached:
        # An owner may be waiting for this instance to let go of its pool.
        effects.append(RequestReconcile(FOUNDRY_INSTANCE, inst.namespace, name))
    message = f"Foundry {version.resolved.version} serving {url}" + (
        "" if runs else " (stopped while on standby)"
    )
    conditions = [
        condition("Accepted", True, "Rendered", message, facts.now),
        _update_condition(version, facts),
    ]
    version_status = _version_status(version, observed_version)
    if snapshot:
        version_status["snapshot"] = snapshot
    status = {
        "license": license_req.name,
        "hostname": hostname,
        "url": url,
        "foundryVersion": version_status,
        "effective": eff.to_status(),
        "volumes": {str(plan.kind): plan.status for plan in plans},
        "message": message,
        "conditions": conditions,
    }
    return Outcome(outputs=outputs, status=status, effects=tuple(effects), publish_status=bool(detached))


def _runs(facts: InstanceFacts, license_req: Request[FoundryLicenseSpec], hood: Neighbourhood) -> bool:
    """Standby servers stop when the license saves resources, and always when they share a worlds
    pool: two servers must never open the same world. `isActive` is written by the license pipeline
    through the API before it asks this pipeline to re-run, so it is never older than the ask."""
    if not (license_req.spec.standby.scale_to_zero or shares_running_worlds(hood)):
        return True
    return facts.instance.status.get("isActive") is True


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
