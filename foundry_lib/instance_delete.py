"""FoundryInstance delete decision: never lose data, never pull a pool from under its dependents.

Kratix removes the instance's Work once this workflow succeeds. Its claims carry prune-disabled
annotations (kept per the platform's `pvcRetention`) and its NFS volumes use the Retain policy, so
the data stays where status says it is. A pool this instance owns must outlive it while any other
instance still mounts it: the workflow waits (retryAfter, with their names) until they detach or
are deleted themselves. Instances being deleted never block: a whole tenant deleted at once completes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.conditions import condition
from foundry_lib.errors import WaitError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, deleting
from foundry_lib.outcome import Effect, Outcome, RequestReconcile
from foundry_lib.retry import FIRST_DELAY
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


def _uses(other: Mapping[str, Any], kind: VolumeKind, owner: str) -> bool:
    """By its spec or by what it still observes (raw: a deleting owner cannot insist on valid specs)."""
    return any(
        attached_to(owner, ((other.get(part) or {}).get("volumes") or {}).get(str(kind)))
        for part in ("spec", "status")
    )


def plan_instance_delete(facts: DeleteFacts) -> Outcome:
    waiting = {
        str(other["metadata"]["name"]): kind
        for kind in VolumeKind
        for other in facts.others
        if other["metadata"]["name"] != facts.name and not deleting(other) and _uses(other, kind, facts.name)
    }
    if waiting:
        names = ", ".join(f"{n} ({k})" for n, k in sorted(waiting.items()))
        raise WaitError(
            f"cannot delete {facts.name!r} yet: other instances use its shared pools: {names}; detach them "
            "(mode new or copied) or delete them, this deletion completes by itself when they do",
            reason="PoolInUse",
            retry_after=FIRST_DELAY,
        )
    volumes = facts.status.get("volumes") or {}
    kept = "; ".join(f"{k} at {v.get('location')}" for k, v in sorted(volumes.items()) if isinstance(v, dict))
    retention = "claims kept (prune disabled)" if facts.retain_claims else "claims deleted with the Work"
    message = f"deleted; data retained: {kept or 'nothing was created'} ({retention} for the pvc backend)"
    effects: list[Effect] = []
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
