"""FoundryInstance delete decision: never lose data, never pull a pool from under its dependents.

Kratix removes the instance's Work once this workflow succeeds. Its claims carry prune-disabled
annotations (kept per the platform's `pvcRetention`) and its NFS volumes use the Retain policy, so
the data stays where status says it is. A pool this instance owns must outlive it while any other
instance still mounts it: the workflow waits (retryAfter, with their names) until they detach or
are deleted themselves. Instances being deleted never block: a whole tenant deleted at once completes.
Deleting the instance its license routes disconnects its players: it asks the switchover guard
(`foundry_lib.switchover`) first, and under `block`/`grace` waits (retryAfter) while players are or may
be on; the license keeps routing it meanwhile. Each guard decision is an Event on the license.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from foundry_lib.conditions import condition, condition_of, rfc3339
from foundry_lib.errors import WaitError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, deleting
from foundry_lib.models.license import Switchover
from foundry_lib.outcome import Effect, Outcome, RecordEvent, RequestReconcile, WorkflowControl
from foundry_lib.pools import mounts_same_pool
from foundry_lib.retry import FIRST_DELAY
from foundry_lib.switchover import Guard, Players, event_name, guard, observe, why
from foundry_lib.volumes import VolumeKind, attached_to


@dataclass(frozen=True)
class DeleteFacts:
    name: str
    namespace: str
    license_name: str | None
    status: Mapping[str, Any]
    others: Sequence[Mapping[str, Any]]  # raw FoundryInstance objects of the namespace
    retain_claims: bool
    now: datetime
    routed_by: RoutedBy | None = None  # set when the license routes this instance right now


@dataclass(frozen=True)
class RoutedBy:
    """The license that routes the instance being deleted: what the switchover guard needs."""

    license_uid: str
    policy: Switchover
    requested_at: datetime  # the instance's deletionTimestamp
    interval: timedelta  # the monitor's poll interval


def _uses(other: Mapping[str, Any], kind: VolumeKind, owner: str, mine: Mapping[str, Any]) -> bool:
    """By its spec or by what it still observes (raw: a deleting owner cannot insist on valid specs),
    and by location: an instance attached by source.path to this instance's pool folder depends on it."""
    observed = ((other.get("status") or {}).get("volumes") or {}).get(str(kind))
    return any(
        attached_to(owner, ((other.get(part) or {}).get("volumes") or {}).get(str(kind)))
        for part in ("spec", "status")
    ) or mounts_same_pool((mine.get("volumes") or {}).get(str(kind)), observed)


def plan_instance_delete(facts: DeleteFacts) -> Outcome:
    waiting = {
        str(other["metadata"]["name"]): kind
        for kind in VolumeKind
        for other in facts.others
        if other["metadata"]["name"] != facts.name
        and not deleting(other)
        and _uses(other, kind, facts.name, facts.status)
    }
    if waiting:
        names = ", ".join(f"{n} ({k})" for n, k in sorted(waiting.items()))
        raise WaitError(
            f"cannot delete {facts.name!r} yet: other instances use its shared pools: {names}; detach them "
            "(mode new or copied) or delete them, this deletion completes by itself when they do",
            reason="PoolInUse",
            retry_after=FIRST_DELAY,
        )
    guarded = _guard(facts)
    if guarded is not None and guarded[0].waits:
        return _waiting(facts, *guarded)
    volumes = facts.status.get("volumes") or {}
    kept = "; ".join(f"{k} at {v.get('location')}" for k, v in sorted(volumes.items()) if isinstance(v, dict))
    retention = "claims kept (prune disabled)" if facts.retain_claims else "claims deleted with the Work"
    message = f"deleted; data retained: {kept or 'nothing was created'} ({retention} for the pvc backend)"
    effects: list[Effect] = []
    if guarded is not None:
        decision, players = guarded
        gone = f"{facts.name} deleted while routed; " + (
            players.disconnected(facts.name, why(decision.reason))
            if decision.disconnected
            else f"nobody was playing on {facts.name}"
        )
        message = f"{gone}; {message}"
        effects.append(_event(facts, decision, gone))
    if facts.license_name:
        effects.append(RequestReconcile(FOUNDRY_LICENSE, facts.namespace, facts.license_name))
    sources = {
        str((v.get("source") or {}).get("instance"))
        for v in volumes.values()
        if isinstance(v, dict) and (v.get("source") or {}).get("instance")
    }
    effects += [RequestReconcile(FOUNDRY_INSTANCE, facts.namespace, s) for s in sorted(sources)]
    status = {
        "message": message,
        "conditions": [condition("Deleted", True, "DataRetained", message, facts.now)],
    }
    return Outcome(outputs=None, status=status, effects=tuple(effects))


def _guard(facts: DeleteFacts) -> tuple[Guard, Players] | None:
    routed = facts.routed_by
    if routed is None:
        return None
    players = observe(facts.status, facts.now, routed.interval)
    decision = guard(
        routed.policy, players, requested_at=routed.requested_at, now=facts.now, interval=routed.interval
    )
    return decision, players


def _waiting(facts: DeleteFacts, decision: Guard, players: Players) -> Outcome:
    if decision.deadline is not None:
        when = f"it goes at {decision.deadline.strftime('%H:%M')} UTC unless they leave earlier"
    else:
        when = "it goes when they leave (switchover policy block)"
    message = (
        f"deleting {facts.name!r} waits: {players.describe(facts.name)} and its license routes it; {when}; "
        "the license keeps routing it meanwhile"
    )
    assert decision.retry_after is not None
    return Outcome(
        outputs=None,
        status={
            "message": message,
            "conditions": [condition("Deleted", False, decision.reason, message, facts.now)],
        },
        control=WorkflowControl(retry_after=decision.retry_after, message=message),
        effects=() if _recorded(facts.status, decision) else (_event(facts, decision, message),),
    )


def _recorded(status: Mapping[str, Any], decision: Guard) -> bool:
    """Whether the previous run already waited for the same reason (its Event exists)."""
    return condition_of(status, "Deleted").get("reason") == decision.reason


def _event(facts: DeleteFacts, decision: Guard, message: str) -> RecordEvent:
    assert facts.routed_by is not None and facts.license_name is not None
    return RecordEvent(
        regarding=FOUNDRY_LICENSE,
        namespace=facts.namespace,
        regarding_name=facts.license_name,
        regarding_uid=facts.routed_by.license_uid,
        name=event_name(
            facts.license_name, "delete", facts.name, decision.reason, rfc3339(facts.routed_by.requested_at)
        ),
        reason=f"Delete{decision.reason}",
        message=message,
        warning=decision.disconnected,
        at=facts.now,
        component="foundry-instance-delete-pipeline",
    )
