"""Whom a license run wakes, and what it writes on its instances (DESIGN §2, §7).

The license pipeline is the only writer of `status.isActive` on instances. It wakes an instance only
when what that instance renders from changed (`instance_inputs`), and keeps the routed instance routed
while its own delete waits for its players.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from foundry_lib.conditions import condition_of
from foundry_lib.durations import parse_duration
from foundry_lib.hostname_claims import UNROUTED
from foundry_lib.kube import FOUNDRY_INSTANCE
from foundry_lib.license_facts import LicenseFacts
from foundry_lib.license_routes import (
    InstanceRoute,
)
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.outcome import Effect, PatchStatus, RequestReconcile
from foundry_lib.running import stops_on_standby
from foundry_lib.switchover import (
    GUARD_WAIT_REASONS,
    guard,
    observe,
)


def with_waiting_delete(facts: LicenseFacts) -> tuple[LicenseFacts, list[Effect]]:
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
    deleted = condition_of(status, "Deleted")
    return deleted.get("status") == "False" and deleted.get("reason") in GUARD_WAIT_REASONS


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


def instance_effects(facts: LicenseFacts, routes: Sequence[InstanceRoute]) -> list[Effect]:
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
        was_waiting = before.get(r.name) in ("over-limit", *UNROUTED)
        never_rendered = r.name not in before and "hostname" not in inst.status
        admitted_now = (was_waiting or never_rendered) and r.state in ("active", "standby")
        if inputs_changed or admitted_now or (flipped and stops_on_standby(lic.spec, inst.spec)):
            effects.append(RequestReconcile(FOUNDRY_INSTANCE, lic.namespace, r.name))
    return effects
