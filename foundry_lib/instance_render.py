"""The render step of the FoundryInstance decision: storage, ServiceAccount, Deployment and Service
from what was decided (DESIGN §4). Pure: the manifests builders do the shaping."""

from __future__ import annotations

from foundry_lib.instance_facts import InstanceDecision, InstanceFacts
from foundry_lib.kube import KubeObject
from foundry_lib.manifests.storage import StorageRequest, render_storage
from foundry_lib.manifests.workload import (
    WorkloadRequest,
    render_deployment,
    render_service,
    render_service_account,
)
from foundry_lib.models.common import SecretKeyRef
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.request import Request
from foundry_lib.names import admin_secret_name
from foundry_lib.volume_plan import Step
from foundry_lib.volumes import Script, VolumeKind

ADMIN_KEY = "adminKey"


def admin_key_ref(inst: Request[FoundryInstanceSpec]) -> SecretKeyRef:
    """The user's admin key Secret, else the one the platform generates for this instance."""
    return inst.spec.admin_key_secret_ref or SecretKeyRef(name=admin_secret_name(inst.name), key=ADMIN_KEY)


def render_instance(facts: InstanceFacts, d: InstanceDecision) -> dict[str, list[KubeObject]]:
    """The Work's documents by file name."""
    inst, settings, eff, lic = facts.instance, facts.settings, d.effective, d.license.spec
    version = d.version
    worlds = next(plan for plan in d.plans if plan.kind is VolumeKind.WORLDS)
    guard = Step("version-guard", Script.VERSION_GUARD, (worlds.place, version.resolved.version))
    volume_steps = [step for plan in d.plans for step in plan.steps]
    storage = render_storage(
        StorageRequest(
            ctx=d.ctx,
            license_name=d.license.name,
            storage_class=eff.storage_class.value,
            worlds_size=eff.worlds_size.value,
            config_size=settings.config_volume_size,
            plugins_size=settings.plugins_volume_size,
            retain_claims=settings.pvc_retention == "retain",
            image=version.image,
            image_pull_policy=settings.image_pull_policy,
            scripts=facts.scripts,
        ),
        list(d.plans),
        [*volume_steps, *d.snapshot_steps, guard],
    )
    workload = WorkloadRequest(
        instance=inst.name,
        namespace=inst.namespace,
        license_name=d.license.name,
        hostname=d.hostname,
        image=version.image,
        image_pull_policy=settings.image_pull_policy,
        version=version.resolved.version,
        replicas=1 if d.run else 0,
        proxy_ssl=eff.proxy_ssl.value,
        proxy_port=eff.proxy_port.value,
        telemetry=settings.telemetry,
        cpu=eff.cpu.value,
        memory=eff.memory.value,
        memory_limit=_memory_limit(eff.memory.value, settings.memory_limit_factor),
        license_key=lic.license_secret_ref,
        admin_key=admin_key_ref(inst),
        credentials_secret=lic.credentials_secret_ref.name if lic.credentials_secret_ref else None,
        volumes=storage.volumes,
        mounts=storage.mounts,
        init_containers=storage.init_containers,
        release_cache_claim=settings.release_cache_claim,
        timezone=settings.timezone,
        world=inst.spec.world,
    )
    return {
        "serviceaccount.yaml": [render_service_account(workload)],
        "storage.yaml": storage.objects,
        "deployment.yaml": [render_deployment(workload)],
        "service.yaml": [render_service(workload)],
    }


def _memory_limit(memory: str, factor: int) -> str:
    digits = "".join(c for c in memory if c.isdigit())
    return f"{int(digits) * factor}{memory[len(digits) :]}"
