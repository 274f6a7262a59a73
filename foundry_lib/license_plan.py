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

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.accepted import ACCEPTED, accepted_record
from foundry_lib.conditions import condition
from foundry_lib.durations import parse_duration
from foundry_lib.errors import UserError
from foundry_lib.instance_plan import admitted, hostname_of
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeObject
from foundry_lib.manifests.routes import Gateway, StandbyService, render_reference_grant, render_route
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import Request
from foundry_lib.outcome import Effect, Outcome, PatchStatus, RecordEvent, RequestReconcile, WorkflowControl
from foundry_lib.pool_paths import validate_root
from foundry_lib.running import stops_on_standby
from foundry_lib.settings import PlatformSettings
from foundry_lib.switchover import (
    FORCE_ANNOTATION,
    FORCED_KEY,
    GUARD_WAIT_REASONS,
    PENDING_KEY,
    Switch,
    SwitchFacts,
    decide_switch,
    event_name,
    guard,
    observe,
)


@dataclass(frozen=True)
class LicenseFacts:
    license: Request[FoundryLicenseSpec]
    instances: Sequence[Request[FoundryInstanceSpec]]
    settings: PlatformSettings
    now: datetime
    deleting: Sequence[Request[FoundryInstanceSpec]] = ()  # instances being deleted (still present)


@dataclass(frozen=True)
class InstanceRoute:
    name: str
    hostname: str
    state: str  # active | standby | over-limit | hostname-taken
    version: str | None


def _active(facts: LicenseFacts, admitted_names: set[str]) -> tuple[str | None, str]:
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


def _routes(facts: LicenseFacts, active: str | None, admitted_names: set[str]) -> list[InstanceRoute]:
    taken: set[str] = set()
    routes = []
    for inst in sorted(facts.instances, key=lambda r: (r.creation_timestamp, r.name)):
        hostname = hostname_of(inst, facts.license.spec)
        version = (inst.status.get("foundryVersion") or {}).get("resolved")
        if hostname in taken:
            state = "hostname-taken"
        elif inst.name not in admitted_names:
            state = "over-limit"
        else:
            state = "active" if inst.name == active else "standby"
        taken.add(hostname)
        routes.append(InstanceRoute(inst.name, hostname, state, str(version) if version else None))
    return routes


def _with_waiting_delete(facts: LicenseFacts) -> tuple[LicenseFacts, list[Effect]]:
    """The routed instance stays routed while its delete waits for its players (same guard as the
    instance's delete workflow, deadline counted from its deletion). Once the guard lets it go, a
    delete still recorded as waiting is woken: the monitor nudges licenses, not deletes."""
    routed = facts.license.status.get("activeInstance") or None
    interval = parse_duration(facts.settings.monitor_interval)
    for inst in facts.deleting:
        if inst.name != routed or any(i.name == inst.name for i in facts.instances):
            continue
        requested = datetime.fromisoformat(inst.deletion_timestamp.replace("Z", "+00:00"))
        players = observe(inst.status, facts.now, interval)
        policy = facts.license.spec.switchover
        if guard(policy, players, requested_at=requested, now=facts.now, interval=interval).waits:
            kept = LicenseFacts(facts.license, [*facts.instances, inst], facts.settings, facts.now)
            return kept, []
        if _delete_waits(inst.status):
            return facts, [RequestReconcile(FOUNDRY_INSTANCE, inst.namespace, inst.name)]
    return facts, []


def _delete_waits(status: Mapping[str, Any]) -> bool:
    return any(
        c.get("type") == "Deleted" and c.get("status") == "False" and c.get("reason") in GUARD_WAIT_REASONS
        for c in status.get("conditions") or []
        if isinstance(c, Mapping)
    )


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
    lic, settings = facts.license, facts.settings
    if lic.spec.shared_nfs_root:
        validate_root(lic.spec.shared_nfs_root, "spec.sharedNfsRoot")
    facts, wake_delete = _with_waiting_delete(facts)
    limit = lic.spec.restrictions.max_instances
    routed = lic.status.get("activeInstance") or None
    admitted_names = admitted(facts.instances, limit, str(routed) if routed else None)
    desired, note = _active(facts, admitted_names)
    switch = _switch(facts, desired)
    active = switch.route
    if switch.message:
        note = switch.message
    routes = _routes(facts, active, admitted_names)
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
        if r.state != "hostname-taken"
    ]
    outputs: dict[str, list[KubeObject]] = {"routes.yaml": documents}
    if standby.namespace != lic.namespace:
        outputs["referencegrant.yaml"] = [
            render_reference_grant(namespace=lic.namespace, license_name=lic.name, standby=standby)
        ]
    effects = _instance_effects(facts, routes) + wake_delete
    message = _message(note, routes)
    conditions = [condition("Accepted", True, "Routed", message, facts.now)]
    status: dict[str, Any] = {
        "activeInstance": active or "",
        INSTANCE_INPUTS: instance_inputs(lic.spec),
        "instances": [_instance_status(r) for r in routes],
        ACCEPTED: accepted_record(lic.spec, lic.generation),
        "message": message,
        "conditions": conditions,
    }
    for key, value in ((PENDING_KEY, switch.pending), (FORCED_KEY, switch.forced)):
        if value or lic.status.get(key):
            status[key] = value or None
    control = None
    if switch.guard is not None or switch.cancelled:
        waiting = switch.guard is not None and switch.guard.waits
        reason = switch.guard.reason if switch.guard else "SwitchoverCancelled"
        conditions.append(condition("SwitchoverPending", waiting, reason, switch.message, facts.now))
        if not _recorded(lic.status.get(PENDING_KEY), switch.pending):
            effects.append(_event(facts, switch))
        if switch.guard is not None and switch.guard.retry_after is not None:
            control = WorkflowControl(retry_after=switch.guard.retry_after, message=switch.message)
    return Outcome(outputs=outputs, status=status, control=control, effects=tuple(effects))


def _recorded(before: Any, now: Mapping[str, Any] | None) -> bool:
    """Whether a waiting decision is the one the previous run recorded (its Event exists)."""
    keys = ("target", "requestedAt", "reason")
    return isinstance(before, Mapping) and now is not None and all(before.get(k) == now.get(k) for k in keys)


def _event(facts: LicenseFacts, switch: Switch) -> RecordEvent:
    """One Event per decision: a waiting switch records once per (reason, target, request)."""
    lic = facts.license
    pending = switch.pending or dict(lic.status.get(PENDING_KEY) or {})
    target = str(pending.get("target") or switch.route or "")
    requested = str(pending.get("requestedAt") or "") if pending else ""
    moment = requested or str(facts.now.isoformat())
    disconnected = switch.guard is not None and switch.guard.disconnected
    return RecordEvent(
        regarding=FOUNDRY_LICENSE,
        namespace=lic.namespace,
        regarding_name=lic.name,
        regarding_uid=lic.uid,
        name=event_name(lic.name, switch.event_reason, target, moment),
        reason=switch.event_reason,
        message=switch.message,
        warning=disconnected,
        at=facts.now,
        component="foundry-license-pipeline",
    )


# License fields no instance renders from: routing and activation policy. Every other field (and any
# field added later) counts, so a new field can only wake too much, never too little.
_NOT_RENDERED_BY_INSTANCES = frozenset({"active_instance_name", "switchover", "activation", "ownership"})
INSTANCE_INPUTS = "instanceInputs"  # license status key, owned by the license pipeline


def instance_inputs(spec: FoundryLicenseSpec) -> str:
    """A short fingerprint of what instances render from their license (defaults, restrictions,
    domain, storage root, standby, Secret references). Recorded in `status.instanceInputs`: a run whose
    fingerprint differs from the recorded one re-runs every instance; a switch of the active instance
    does not change it."""
    data = spec.model_dump(mode="json", by_alias=True, exclude=set(_NOT_RENDERED_BY_INSTANCES))
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _instance_effects(facts: LicenseFacts, routes: Sequence[InstanceRoute]) -> list[Effect]:
    """Tell instances they are (in)active, and wake (manual-reconciliation label) only those whose
    rendering changed: all of them when `instance_inputs` differs from the recorded fingerprint,
    instances this license now admits that have not rendered yet, and an instance that stops on standby
    (`running.stops_on_standby`) whose active state flips. A switch A→B thus writes and wakes
    A and B at most; a rerun with nothing changed writes nothing. Status goes first, so a re-run reads
    it."""
    lic = facts.license
    by_name = {i.name: i for i in facts.instances}
    before = {str(e.get("name")): e.get("state") for e in lic.status.get("instances") or []}
    inputs_changed = lic.status.get(INSTANCE_INPUTS) != instance_inputs(lic.spec)
    effects: list[Effect] = []
    for r in routes:
        inst = by_name[r.name]
        is_active = r.state == "active"
        flipped = inst.status.get("isActive") != is_active
        if flipped:
            effects.append(PatchStatus(FOUNDRY_INSTANCE, lic.namespace, r.name, {"isActive": is_active}))
        was_waiting = before.get(r.name) in ("over-limit", "hostname-taken")
        never_rendered = r.name not in before and "hostname" not in inst.status
        admitted_now = (was_waiting or never_rendered) and r.state in ("active", "standby")
        if inputs_changed or admitted_now or (flipped and stops_on_standby(lic.spec, inst.spec)):
            effects.append(RequestReconcile(FOUNDRY_INSTANCE, lic.namespace, r.name))
    return effects


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
    taken = [r.name for r in routes if r.state == "hostname-taken"]
    if taken:
        parts.append(f"not routed, hostname already used by an older instance: {', '.join(taken)}")
    return "; ".join(parts)
