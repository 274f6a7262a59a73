"""What a license run records: its status message, each instance entry and the switch Event."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from foundry_lib.accepted import ACCEPTED, accepted_record
from foundry_lib.conditions import condition
from foundry_lib.kube import FOUNDRY_LICENSE
from foundry_lib.license_facts import LicenseFacts
from foundry_lib.license_routes import (
    InstanceRoute,
)
from foundry_lib.license_wakes import INSTANCE_INPUTS, instance_inputs
from foundry_lib.outcome import RecordEvent
from foundry_lib.switchover import (
    FORCED_KEY,
    PENDING_KEY,
    Switch,
    event_name,
)


def instance_entry(route: InstanceRoute) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": route.name, "state": route.state, "hostname": route.hostname}
    if route.version:
        entry["version"] = route.version
    return entry


def routing_message(note: str, routes: Sequence[InstanceRoute]) -> str:
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


def recorded(before: Any, now: Mapping[str, Any] | None) -> bool:
    """Whether a waiting decision is the one the previous run recorded (its Event exists)."""
    keys = ("target", "requestedAt", "reason")
    return isinstance(before, Mapping) and now is not None and all(before.get(k) == now.get(k) for k in keys)


def switch_event(facts: LicenseFacts, switch: Switch) -> RecordEvent:
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


def license_status(
    facts: LicenseFacts, switch: Switch, routes: Sequence[InstanceRoute], note: str
) -> dict[str, Any]:
    """The license's status: the routed instance, every instance's route, the switch in progress."""
    lic = facts.license
    message = routing_message(note, routes)
    conditions = [condition("Accepted", True, "Routed", message, facts.now)]
    if switch.guard is not None or switch.cancelled:
        waiting = switch.guard is not None and switch.guard.waits
        reason = switch.guard.reason if switch.guard else "SwitchoverCancelled"
        conditions.append(condition("SwitchoverPending", waiting, reason, switch.message, facts.now))
    status: dict[str, Any] = {
        "activeInstance": switch.route or "",
        INSTANCE_INPUTS: instance_inputs(lic.spec),
        "instances": [instance_entry(r) for r in routes],
        ACCEPTED: accepted_record(lic.spec, lic.generation),
        "message": message,
        "conditions": conditions,
    }
    for key, value in ((PENDING_KEY, switch.pending), (FORCED_KEY, switch.forced)):
        if value or lic.status.get(key):
            status[key] = value or None
    return status


def switch_events(facts: LicenseFacts, switch: Switch) -> list[RecordEvent]:
    """The Event of a switch decision, unless the previous run already recorded this one."""
    if switch.guard is None and not switch.cancelled:
        return []
    if recorded(facts.license.status.get(PENDING_KEY), switch.pending):
        return []
    return [switch_event(facts, switch)]
