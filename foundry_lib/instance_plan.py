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
from foundry_lib.kube import FOUNDRY_LICENSE
from foundry_lib.manifests.storage import StorageRequest, render_storage
from foundry_lib.manifests.workload import (
    WorkloadRequest,
    render_deployment,
    render_service,
    render_service_account,
)
from foundry_lib.models.common import SecretKeyRef
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.names import admin_secret_name
from foundry_lib.outcome import Effect, EnsureSecret, Outcome, RequestReconcile
from foundry_lib.settings import PlatformSettings
from foundry_lib.versions import VersionDecision, decide_version

ADMIN_KEY = "adminKey"
ALLOW_DOWNGRADE = "foundry.platform/allow-downgrade"


@dataclass(frozen=True)
class InstanceFacts:
    instance: Request[FoundryInstanceSpec]
    license: Request[FoundryLicenseSpec] | None
    siblings: Sequence[Request[FoundryInstanceSpec]]
    settings: PlatformSettings
    catalog: Catalog
    now: datetime


def hostname_of(instance: Request[FoundryInstanceSpec], license_spec: FoundryLicenseSpec) -> str:
    return instance.spec.hostname or f"{instance.name}.{license_spec.base_domain}"


def url_of(hostname: str, proxy_ssl: bool, proxy_port: int) -> str:
    scheme = "https" if proxy_ssl else "http"
    default_port = 443 if proxy_ssl else 80
    return f"{scheme}://{hostname}" + ("" if proxy_port == default_port else f":{proxy_port}")


def admitted(instance: str, siblings: Sequence[Request[Any]], limit: int | None) -> bool:
    """The oldest `limit` instances (creation time, then name) are admitted."""
    if limit is None:
        return True
    order = sorted(siblings, key=lambda r: (r.creation_timestamp, r.name))
    return instance in {r.name for r in order[:limit]}


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
    if not admitted(facts.instance.name, facts.siblings, limit):
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
        allow_downgrade=facts.instance.annotations.get(ALLOW_DOWNGRADE),
        image_repository=facts.settings.image_repository,
    )


def _replicas(facts: InstanceFacts, license_req: Request[FoundryLicenseSpec]) -> int:
    """Zero on standby when the license saves resources. `isActive` is written through the API by
    the license pipeline before it asks this pipeline to re-run, so it is never older than the ask."""
    if not license_req.spec.standby.scale_to_zero:
        return 1
    return 1 if facts.instance.status.get("isActive") is True else 0


def _memory_limit(memory: str, factor: int) -> str:
    digits = "".join(c for c in memory if c.isdigit())
    return f"{int(digits) * factor}{memory[len(digits) :]}"


def plan_instance(facts: InstanceFacts) -> Outcome:
    inst = facts.instance
    license_req = _require_license(facts)
    lic = license_req.spec
    _check_limit(facts, license_req)
    eff = effective_spec(inst.spec, lic, facts.settings)
    version = _version(facts, eff, lic)
    hostname = hostname_of(inst, lic)
    if len(hostname) > 253:
        raise UserError(
            f"hostname {hostname!r} is longer than 253 characters; set spec.hostname or a shorter baseDomain",
            reason="InvalidHostname",
            field="spec.hostname",
        )
    admin_ref = inst.spec.admin_key_secret_ref or SecretKeyRef(
        name=admin_secret_name(inst.name), key=ADMIN_KEY
    )
    storage = render_storage(
        StorageRequest(
            instance=inst.name,
            namespace=inst.namespace,
            license_name=license_req.name,
            backend=eff.storage_backend.value,
            storage_class=eff.storage_class.value,
            worlds_size=eff.worlds_size.value,
            config_size=facts.settings.config_volume_size,
            plugins_size=facts.settings.plugins_volume_size,
            nfs_server=facts.settings.nfs_server,
            nfs_instance_root=facts.settings.nfs_instance_root,
            retain_claims=facts.settings.pvc_retention == "retain",
        )
    )
    workload = WorkloadRequest(
        instance=inst.name,
        namespace=inst.namespace,
        license_name=license_req.name,
        hostname=hostname,
        image=version.image,
        image_pull_policy=facts.settings.image_pull_policy,
        version=version.resolved.version,
        replicas=_replicas(facts, license_req),
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
    if inst.status.get("hostname") != hostname:
        # The license pipeline is the only emitter of routes: ask it to route the new hostname.
        effects.append(RequestReconcile(FOUNDRY_LICENSE, inst.namespace, license_req.name))
    message = f"Foundry {version.resolved.version} serving {url}"
    status = {
        "hostname": hostname,
        "url": url,
        "foundryVersion": _version_status(version, inst.status.get("foundryVersion") or {}),
        "effective": eff.to_status(),
        "volumes": {
            kind: {"mode": "new", "location": storage.placements[kind].location}
            for kind in ("worlds", "plugins")
        },
        "message": message,
        "conditions": [condition("Accepted", True, "Rendered", message, facts.now)],
    }
    return Outcome(outputs=outputs, status=status, effects=tuple(effects))


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
