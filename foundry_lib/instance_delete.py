"""FoundryInstance delete decision: never lose data, never pull a pool from under its dependents.

Kratix removes the instance's Work once this workflow succeeds. Its claims carry prune-disabled
annotations (kept per the platform's `pvcRetention`) and its NFS volumes use the Retain policy, so
the data stays where status says it is. A pool this instance owns must outlive it while any other
instance still mounts it: the workflow refuses (suspended, with their names) until they detach.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.conditions import condition
from foundry_lib.errors import UserError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_lib.outcome import Effect, Outcome, RequestReconcile
from foundry_lib.pools import mounts_same_pool
from foundry_lib.volumes import VolumeKind, attached_to


@dataclass(frozen=True)
class DeleteFacts:
    name: str
    namespace: str
    license_name: str | None
    status: Mapping[str, Any]
    others: Sequence[Mapping[str, Any]]  # raw FoundryInstance objects of the namespace, not deleting
    retain_claims: bool
    now: datetime


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
        if other["metadata"]["name"] != facts.name and _uses(other, kind, facts.name, facts.status)
    }
    if waiting:
        names = ", ".join(f"{n} ({k})" for n, k in sorted(waiting.items()))
        raise UserError(
            f"cannot delete {facts.name!r} yet: other instances use its shared pools: {names}; detach them "
            "(mode new or copied) first, this deletion resumes by itself when they do",
            reason="PoolInUse",
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
