"""FoundryLicense delete decision: the license and its routes go once no live instance uses it.

Instances that are themselves being deleted do not count: deleting a whole tenant at once
(namespace deletion, `kubectl delete -f tenant/`) must complete. A license still used by a live
instance waits with `retryAfter` (a delete never suspends: a deleted object's spec cannot change)
and goes by itself once those instances are deleted or move to another license.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from foundry_lib.errors import WaitError
from foundry_lib.kube import deleting
from foundry_lib.outcome import Outcome
from foundry_lib.retry import FIRST_DELAY


@dataclass(frozen=True)
class LicenseDeleteFacts:
    name: str
    instances: Sequence[Mapping[str, Any]]  # raw FoundryInstance objects of the namespace


def users_of(name: str, instances: Sequence[Mapping[str, Any]]) -> list[str]:
    """Live instances whose spec references the license, by name."""
    return sorted(
        str((i.get("metadata") or {}).get("name"))
        for i in instances
        if not deleting(i) and ((i.get("spec") or {}).get("licenseRef") or {}).get("name") == name
    )


def plan_license_delete(facts: LicenseDeleteFacts) -> Outcome:
    users = users_of(facts.name, facts.instances)
    if users:
        raise WaitError(
            f"license {facts.name!r} is still used by {', '.join(users)}: delete those instances or point "
            "them at another license; the license and its routes stay until then, and this deletion "
            "completes by itself",
            reason="LicenseInUse",
            retry_after=FIRST_DELAY,
        )
    return Outcome(outputs=None, status={"message": "deleted: no instance uses this license"})
