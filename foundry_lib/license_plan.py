"""The FoundryLicense configure decision: which instance is active, and every route (DESIGN §2, §7).

The license pipeline is the only emitter of routes and the only writer of `status.isActive` on
instances. Desired (`spec.activeInstanceName`) and actual (`status.activeInstance`) are compared
on every run; a switch away from the routed instance goes through the switchover guard
(`foundry_lib.switchover`): while it waits, the license keeps routing the current instance, records
`status.pendingSwitchover`, and asks Kratix to run it again (`retryAfter`). Kratix skips Work creation
on such a run, which is what waiting wants: the previous Work routes the current instance. A routing
change of another instance made while a switch waits (a new instance, a new hostname) is applied by
the run that ends the wait. The routed instance, while its own delete waits for its players, is still
routed (its delete workflow asks the same guard).
"""

from __future__ import annotations

from foundry_lib.admission import admitted_by
from foundry_lib.durations import parse_duration
from foundry_lib.hostnames import check_hostname
from foundry_lib.license_facts import LicenseFacts
from foundry_lib.license_routes import choose_active, hostname_wakes, plan_routes, render_routes
from foundry_lib.license_status import license_status, switch_events
from foundry_lib.license_wakes import instance_effects, with_waiting_delete
from foundry_lib.outcome import Outcome, WorkflowControl
from foundry_lib.pools import check_roots_apart, shared_pool_root
from foundry_lib.switchover import (
    FORCE_ANNOTATION,
    FORCED_KEY,
    PENDING_KEY,
    Switch,
    SwitchFacts,
    decide_switch,
    observe,
)

__all__ = ["LicenseFacts", "plan_license"]  # the pipeline's whole interface: facts in, Outcome out


def _switch(facts: LicenseFacts, desired: str | None) -> Switch:
    lic = facts.license
    interval = parse_duration(facts.settings.monitor_interval)
    by_name = {i.name: i for i in facts.instances}
    routed = lic.status.get("activeInstance") or None
    current = by_name.get(str(routed)) if routed else None
    players = observe(current.status if current else {}, facts.now, interval)
    return decide_switch(
        SwitchFacts(
            current=current.name if current else None,
            target=desired,
            policy=lic.spec.switchover,
            players=players,
            pending=dict(lic.status.get(PENDING_KEY) or {}),
            force_annotation=lic.annotations.get(FORCE_ANNOTATION),
            forced_record=dict(lic.status.get(FORCED_KEY) or {}),
            now=facts.now,
            interval=interval,
        )
    )


def plan_license(facts: LicenseFacts) -> Outcome:
    _check_license(facts)
    facts, wake_delete = with_waiting_delete(facts)
    admitted_names = admitted_by(facts.license, facts.instances)
    desired, note = choose_active(facts, admitted_names)
    switch = _switch(facts, desired)
    routes = plan_routes(facts, switch.route, admitted_names)
    effects = instance_effects(facts, routes) + hostname_wakes(facts, routes) + wake_delete
    return Outcome(
        outputs=render_routes(facts, routes),
        status=license_status(facts, switch, routes, switch.message or note),
        control=_control(switch),
        effects=(*effects, *switch_events(facts, switch)),
    )


def _check_license(facts: LicenseFacts) -> None:
    """Refuse a shared root outside the namespace's folder or overlapping another license's, and a
    base domain the platform does not serve."""
    lic, settings = facts.license, facts.settings
    root = shared_pool_root(lic.spec.shared_nfs_root, lic.namespace, settings.shared_roots)
    check_roots_apart(root, lic.name, lic.creation_timestamp, facts.roots)
    check_hostname(lic.spec.base_domain, settings.base_domains, "spec.baseDomain")


def _control(switch: Switch) -> WorkflowControl | None:
    """A waiting switch asks Kratix to run the license again after the guard's interval."""
    if switch.guard is not None and switch.guard.retry_after is not None:
        return WorkflowControl(retry_after=switch.guard.retry_after, message=switch.message)
    return None
