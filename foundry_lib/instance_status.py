"""What a FoundryInstance run records in its status (the keys the instance pipeline owns)."""

from __future__ import annotations

from typing import Any

from foundry_lib.accepted import ACCEPTED, accepted_record
from foundry_lib.conditions import condition
from foundry_lib.hostnames import url_of
from foundry_lib.instance_facts import InstanceDecision, InstanceFacts
from foundry_lib.instance_version import update_condition, version_status
from foundry_lib.release_source import release_source
from foundry_lib.running import REPLICAS


def instance_status(facts: InstanceFacts, d: InstanceDecision) -> dict[str, Any]:
    inst, eff, version = facts.instance, d.effective, d.version
    url = url_of(d.hostname, eff.proxy_ssl.value, eff.proxy_port.value)
    if d.stopped_why:
        message = f"Foundry {version.resolved.version} stopped: {d.stopped_why}"
        accepted = condition("Accepted", False, "InstanceLimitReached", message, facts.now)
    else:
        message = f"Foundry {version.resolved.version} serving {url}" + (
            "" if d.run else " (stopped while on standby)"
        )
        accepted = condition("Accepted", True, "Rendered", message, facts.now)
    recorded_version = version_status(version, inst.status.get("foundryVersion") or {})
    if d.snapshot:
        recorded_version["snapshot"] = d.snapshot
    return {
        "license": d.license.name,
        "hostname": d.hostname,
        "url": url,
        "foundryVersion": recorded_version,
        "effective": eff.to_status() | {"releaseSource": release_source(d.license.spec, facts.settings)},
        "volumes": {str(plan.kind): plan.status for plan in d.plans},
        REPLICAS: 1 if d.run else 0,
        ACCEPTED: accepted_record(inst.spec, inst.generation),
        "message": message,
        "conditions": [accepted, update_condition(version, facts)],
    }
