"""The FoundryInstance configure decision: facts in, Outcome out, no I/O (DESIGN §2, §4).

Order of checks: license exists and is valid → admitted under maxInstances (an instance that ran
before and is now beyond the limit is rendered stopped) → version resolves and the move to it is safe
→ the data allows it (pool versions, copy sources) → no other server runs on its pools or on a copy
source → render. Any refusal is a UserError; the runtime keeps the previous Work. Waiting for another
server to stop is a WaitError: nothing is rendered until it has stopped. Each step lives in a module
named for it: instance_checks, instance_storage, instance_version, instance_render, instance_status,
instance_effects.
"""

from __future__ import annotations

from foundry_lib.effective import effective_spec
from foundry_lib.hostnames import check_hostname, hostname_of
from foundry_lib.instance_checks import check_data, over_limit, require_license, wait_for_other_servers
from foundry_lib.instance_effects import instance_effects
from foundry_lib.instance_facts import InstanceDecision, InstanceFacts
from foundry_lib.instance_render import render_instance
from foundry_lib.instance_status import instance_status
from foundry_lib.instance_storage import check_nfs, owns, places_of, pools_of, storage_contexts
from foundry_lib.instance_version import choose_version, snapshot
from foundry_lib.instance_volumes import Neighbourhood, plan_volumes
from foundry_lib.live_storage import check_storage_change
from foundry_lib.outcome import Outcome
from foundry_lib.release_source import require_release_source
from foundry_lib.running import wants_to_run

__all__ = ["InstanceFacts", "plan_instance"]  # the pipeline's whole interface: facts in, Outcome out


def plan_instance(facts: InstanceFacts) -> Outcome:
    decision = decide(facts)
    effects, woken = instance_effects(facts, decision)
    return Outcome(
        outputs=render_instance(facts, decision),
        status=instance_status(facts, decision),
        effects=tuple(effects),
        publish_status=bool(woken),
    )


def decide(facts: InstanceFacts) -> InstanceDecision:
    """Every check in order; raises the first refusal (UserError) or wait (WaitError)."""
    inst = facts.instance
    license_req = require_license(facts)
    lic = license_req.spec
    stopped_why = over_limit(facts, license_req)
    require_release_source(license_req, facts.settings)
    eff = effective_spec(inst.spec, lic, facts.settings)
    check_storage_change(eff, inst.status)
    contexts = storage_contexts(facts, lic)
    ctx = contexts[inst.name]
    check_nfs(ctx, ())
    hostname = check_hostname(hostname_of(inst, lic), facts.settings.base_domains, "spec.hostname")
    hood = Neighbourhood(inst, facts.siblings, license_req.name, contexts)
    plans = plan_volumes(hood, facts.now, facts.settings.csi_clone)
    check_nfs(ctx, places_of(plans))
    pools = pools_of(plans, ctx)
    owner_of = {kind: owns(inst, kind) for kind in pools}
    version = choose_version(facts, eff, lic, pools, owner_of)
    check_data(version, plans, pools, owner_of, ctx, facts)
    snapshot_steps, snapshot_record = snapshot(version, inst, plans, ctx, facts)
    run = stopped_why is None and wants_to_run(lic, inst.spec, inst.status.get("isActive") is True)
    if run:
        wait_for_other_servers(plans, pools, ctx, facts)
    return InstanceDecision(
        license=license_req,
        effective=eff,
        hostname=hostname,
        hood=hood,
        ctx=ctx,
        plans=plans,
        owner_of=owner_of,
        version=version,
        snapshot_steps=snapshot_steps,
        snapshot=snapshot_record,
        run=run,
        stopped_why=stopped_why,
    )
