"""Which instance a license routes, and the route of every instance (DESIGN §2, §7).

The active instance is the desired one when it exists and is admitted; every other admitted instance
is routed to the standby page. A hostname is routed only when the platform serves it and no other
license holds it (`hostname_claims`); a license that stops routing a hostname wakes those refused it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from foundry_lib.errors import UserError
from foundry_lib.hostname_claims import UNROUTED, LicenseRoutes, taken_elsewhere, waiting_for
from foundry_lib.hostnames import check_hostname, hostname_of
from foundry_lib.kube import FOUNDRY_LICENSE, KubeObject
from foundry_lib.license_facts import LicenseFacts
from foundry_lib.manifests.routes import Gateway, StandbyService, render_reference_grant, render_route
from foundry_lib.outcome import Effect, RequestReconcile


@dataclass(frozen=True)
class InstanceRoute:
    name: str
    hostname: str
    state: str  # active | standby | over-limit | hostname-taken | hostname-refused
    version: str | None


def choose_active(facts: LicenseFacts, admitted_names: set[str]) -> tuple[str | None, str]:
    """The instance to route, and a note for the status message."""
    spec, status = facts.license.spec, facts.license.status
    desired, actual = spec.desired_active, status.get("activeInstance") or None
    known = {i.name for i in facts.instances}
    if desired is None:
        return None, "no instance is active"
    if desired not in known:
        if desired == actual or any(i.name == desired for i in facts.deleting):
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


def my_routes(facts: LicenseFacts) -> LicenseRoutes:
    lic = facts.license
    return LicenseRoutes.from_status(lic.namespace, lic.name, lic.creation_timestamp, lic.status)


def _servable(hostname: str, facts: LicenseFacts) -> bool:
    try:
        check_hostname(hostname, facts.settings.base_domains, "spec.hostname")
    except UserError:
        return False
    return True


def plan_routes(facts: LicenseFacts, active: str | None, admitted_names: set[str]) -> list[InstanceRoute]:
    taken = taken_elsewhere(my_routes(facts), facts.others)
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


def hostname_wakes(facts: LicenseFacts, routes: Sequence[InstanceRoute]) -> list[Effect]:
    """Licenses (any namespace) refused a hostname this license stops routing now get their turn."""
    me = my_routes(facts)
    released = set(me.routed) - {r.hostname for r in routes if r.state not in UNROUTED}
    return [
        RequestReconcile(FOUNDRY_LICENSE, ns, name) for ns, name in waiting_for(released, me, facts.others)
    ]


def render_routes(facts: LicenseFacts, routes: Sequence[InstanceRoute]) -> dict[str, list[KubeObject]]:
    """One HTTPRoute per routed instance (active: to its Service, else to the standby page), and a
    ReferenceGrant when the standby page lives in another namespace."""
    lic, settings = facts.license, facts.settings
    gateway = Gateway(
        settings.gateway_name,
        settings.gateway_namespace,
        settings.gateway_section,
        settings.route_request_timeout,
    )
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
    return outputs
