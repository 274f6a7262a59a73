"""The effects of a FoundryInstance run: the generated admin key Secret, and whom it wakes (its
license, to route it; instances whose data or version depends on this one)."""

from __future__ import annotations

from collections.abc import Mapping

from foundry_lib.instance_facts import InstanceDecision, InstanceFacts
from foundry_lib.instance_render import ADMIN_KEY, admin_key_ref
from foundry_lib.instance_volumes import Neighbourhood, dependents_of, detached_sources
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.manifests.labels import INSTANCE_LABEL, PART_OF
from foundry_lib.outcome import Effect, EnsureSecret, RequestReconcile
from foundry_lib.running import runs
from foundry_lib.versions import VersionDecision
from foundry_lib.volumes import VolumeKind


def instance_effects(facts: InstanceFacts, d: InstanceDecision) -> tuple[list[Effect], list[str]]:
    """The effects in order, and the instances woken (their wake needs this run's status published)."""
    inst, license_name = facts.instance, d.license.name
    effects: list[Effect] = []
    if inst.spec.admin_key_secret_ref is None:
        labels = {INSTANCE_LABEL: inst.name, "app.kubernetes.io/part-of": PART_OF}
        effects.append(EnsureSecret(inst.namespace, admin_key_ref(inst).name, ADMIN_KEY, labels))
    routed_by = inst.status.get("license")
    if inst.status.get("hostname") != d.hostname or routed_by != license_name:
        # The license pipeline is the only emitter of routes: ask it to route the new hostname.
        effects.append(RequestReconcile(FOUNDRY_LICENSE, inst.namespace, license_name))
    if routed_by and routed_by != license_name:
        # Moved to another license: the old one must drop its route to this instance.
        effects.append(RequestReconcile(FOUNDRY_LICENSE, inst.namespace, str(routed_by)))
    woken = _woken(facts, d.hood, d.version, d.owner_of, stopping=runs(inst.status) and not d.run)
    effects += [RequestReconcile(FOUNDRY_INSTANCE, inst.namespace, name) for name in woken]
    return effects, woken


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
