"""The FoundryLicense configure decision: which instance is active, and every route (DESIGN §2, §7).

The license pipeline is the only emitter of routes and the only writer of `status.isActive` on
instances. Desired (`spec.activeInstanceName`) and actual (`status.activeInstance`) are compared
on every run; this module switches at once (the player-aware guard lives in switchover policy).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.conditions import condition
from foundry_lib.errors import UserError
from foundry_lib.hostname_claims import UNROUTED, LicenseRoutes, taken_elsewhere, waiting_for
from foundry_lib.hostnames import check_hostname
from foundry_lib.instance_plan import admitted, hostname_of
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeObject
from foundry_lib.manifests.routes import Gateway, StandbyService, render_reference_grant, render_route
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.outcome import Effect, Outcome, PatchStatus, RequestReconcile
from foundry_lib.pools import LicenseRoot, check_roots_apart, shared_pool_root
from foundry_lib.settings import PlatformSettings


@dataclass(frozen=True)
class LicenseFacts:
    license: Request[FoundryLicenseSpec]
    instances: Sequence[Request[FoundryInstanceSpec]]
    settings: PlatformSettings
    now: datetime
    others: Sequence[LicenseRoutes] = ()  # every other license platform-wide: the hostnames it routes
    roots: Sequence[LicenseRoot] = ()  # shared roots of the other licenses of this namespace


@dataclass(frozen=True)
class InstanceRoute:
    name: str
    hostname: str
    state: str  # active | standby | over-limit | hostname-taken | hostname-refused
    version: str | None


def _active(facts: LicenseFacts, admitted_names: set[str]) -> tuple[str | None, str]:
    """The instance to route, and a note for the status message."""
    spec, status = facts.license.spec, facts.license.status
    desired, actual = spec.desired_active, status.get("activeInstance") or None
    known = {i.name for i in facts.instances}
    if desired is None:
        return None, "no instance is active"
    if desired not in known:
        if desired == actual:
            return None, f"active instance {desired!r} no longer exists; routing none until another is chosen"
        names = ", ".join(sorted(known)) or "none yet"
        raise UserError(
            f"spec.activeInstanceName: {desired!r} is not an instance of license {facts.license.name!r} "
            f"(instances: {names}); nothing was switched",
            reason="UnknownInstance",
            field="spec.activeInstanceName",
        )
    if desired not in admitted_names:
        raise UserError(
            f"spec.activeInstanceName: {desired!r} is beyond restrictions.maxInstances and deploys nothing; "
            "delete an older instance or raise the limit before activating it",
            reason="InstanceLimitReached",
            field="spec.activeInstanceName",
        )
    return desired, f"{desired} is active"


def _my_routes(facts: LicenseFacts) -> LicenseRoutes:
    lic = facts.license
    return LicenseRoutes.from_status(lic.namespace, lic.name, lic.creation_timestamp, lic.status)


def _servable(hostname: str, facts: LicenseFacts) -> bool:
    try:
        check_hostname(hostname, facts.settings.base_domains, "spec.hostname")
    except UserError:
        return False
    return True


def _routes(facts: LicenseFacts, active: str | None, admitted_names: set[str]) -> list[InstanceRoute]:
    taken = taken_elsewhere(_my_routes(facts), facts.others)
    routes = []
    for inst in sorted(facts.instances, key=lambda r: (r.creation_timestamp, r.name)):
        hostname = hostname_of(inst, facts.license.spec)
        version = (inst.status.get("foundryVersion") or {}).get("resolved")
        if not _servable(hostname, facts):
            state = "hostname-refused"
        elif hostname in taken:
            state = "hostname-taken"
        elif inst.name not in admitted_names:
            state = "over-limit"
        else:
            state = "active" if inst.name == active else "standby"
        taken.add(hostname)
        routes.append(InstanceRoute(inst.name, hostname, state, str(version) if version else None))
    return routes


def plan_license(facts: LicenseFacts) -> Outcome:
    lic, settings = facts.license, facts.settings
    root = shared_pool_root(lic.spec.shared_nfs_root, lic.namespace, settings.shared_roots)
    check_roots_apart(root, lic.name, lic.creation_timestamp, facts.roots)
    check_hostname(lic.spec.base_domain, settings.base_domains, "spec.baseDomain")
    limit = lic.spec.restrictions.max_instances
    admitted_names = admitted(facts.instances, limit)
    active, note = _active(facts, admitted_names)
    routes = _routes(facts, active, admitted_names)
    gateway = Gateway(settings.gateway_name, settings.gateway_namespace, settings.gateway_section)
    standby = StandbyService(
        settings.standby_service_name, settings.standby_service_namespace, settings.standby_service_port
    )
    documents: list[KubeObject] = [
        render_route(
            instance=r.name,
            namespace=lic.namespace,
            license_name=lic.name,
            hostname=r.hostname,
            active=r.state == "active",
            gateway=gateway,
            standby=standby,
        )
        for r in routes
        if r.state not in UNROUTED
    ]
    outputs: dict[str, list[KubeObject]] = {"routes.yaml": documents}
    if standby.namespace != lic.namespace:
        outputs["referencegrant.yaml"] = [
            render_reference_grant(namespace=lic.namespace, license_name=lic.name, standby=standby)
        ]
    effects = _instance_effects(facts, routes) + _hostname_wakes(facts, routes)
    message = _message(note, routes)
    status: dict[str, Any] = {
        "observedGeneration": lic.generation,
        "activeInstance": active or "",
        "instances": [_instance_status(r) for r in routes],
        "message": message,
        "conditions": [condition("Accepted", True, "Routed", message, facts.now)],
    }
    return Outcome(outputs=outputs, status=status, effects=tuple(effects))


def _instance_effects(facts: LicenseFacts, routes: Sequence[InstanceRoute]) -> list[Effect]:
    """Tell instances they are (in)active, and re-run those whose rendering depends on this license:
    all of them after a spec change (defaults, limits, domain), admitted ones never rendered yet, and
    every instance that stops on standby (scaleToZero, or a shared worlds pool) whose active state
    flips. Status goes first, so a re-run reads it."""
    lic = facts.license
    by_name = {i.name: i for i in facts.instances}
    before = {str(e.get("name")): e.get("state") for e in lic.status.get("instances") or []}
    spec_changed = lic.status.get("observedGeneration") != lic.generation
    effects: list[Effect] = []
    for r in routes:
        is_active = r.state == "active"
        flipped = by_name[r.name].status.get("isActive") != is_active
        if flipped:
            effects.append(PatchStatus(FOUNDRY_INSTANCE, lic.namespace, r.name, {"isActive": is_active}))
        waiting = before.get(r.name) in ("over-limit", *UNROUTED) or "hostname" not in by_name[r.name].status
        admitted_now = waiting and r.state in ("active", "standby")
        shares_worlds = by_name[r.name].spec.volumes.worlds.mode == "shared"
        stops_on_standby = lic.spec.standby.scale_to_zero or shares_worlds
        if spec_changed or admitted_now or (flipped and stops_on_standby):
            effects.append(RequestReconcile(FOUNDRY_INSTANCE, lic.namespace, r.name))
    return effects


def _hostname_wakes(facts: LicenseFacts, routes: Sequence[InstanceRoute]) -> list[Effect]:
    """Licenses (any namespace) refused a hostname this license stops routing now get their turn."""
    me = _my_routes(facts)
    released = set(me.routed) - {r.hostname for r in routes if r.state not in UNROUTED}
    return [
        RequestReconcile(FOUNDRY_LICENSE, ns, name) for ns, name in waiting_for(released, me, facts.others)
    ]


def _instance_status(route: InstanceRoute) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": route.name, "state": route.state, "hostname": route.hostname}
    if route.version:
        entry["version"] = route.version
    return entry


def _message(note: str, routes: Sequence[InstanceRoute]) -> str:
    standby = sum(r.state == "standby" for r in routes)
    parts = [note, f"{standby} on standby"]
    over = [r.name for r in routes if r.state == "over-limit"]
    if over:
        parts.append(f"over restrictions.maxInstances: {', '.join(over)}")
    taken = [f"{r.name} ({r.hostname})" for r in routes if r.state == "hostname-taken"]
    if taken:
        parts.append(
            "not routed, hostname already taken on this platform (set another spec.hostname): "
            + ", ".join(taken)
        )
    refused = [f"{r.name} ({r.hostname})" for r in routes if r.state == "hostname-refused"]
    if refused:
        parts.append(
            f"not routed, hostname not allowed here (see the instance's status): {', '.join(refused)}"
        )
    return "; ".join(parts)
