"""FoundryActivationRequest configure decision: validate the request against its instance, record it.

Approval policy (auto, autoWhenIdle, approvers) is decided in its own issue; until then a valid
request is recorded as Pending and says how to activate by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from foundry_lib.conditions import condition
from foundry_lib.errors import UserError
from foundry_lib.kube import deleting
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.request import Request
from foundry_lib.outcome import Outcome


@dataclass(frozen=True)
class ActivationFacts:
    request: Request[FoundryActivationRequestSpec]
    instance: Mapping[str, Any] | None  # the raw FoundryInstance it names, None when absent
    now: datetime


def plan_activation(facts: ActivationFacts) -> Outcome:
    request, target = facts.request, facts.request.spec.instance_ref.name
    if facts.instance is None or deleting(facts.instance):
        gone = "there is no" if facts.instance is None else "being deleted:"
        raise UserError(
            f"spec.instanceRef.name: {gone} FoundryInstance {target!r} in namespace {request.namespace!r}",
            reason="InstanceNotFound",
            field="spec.instanceRef.name",
        )
    license_name = ((facts.instance.get("spec") or {}).get("licenseRef") or {}).get("name", "")
    message = (
        f"recorded: activate {target!r}; a license owner or approver activates it by setting "
        f"spec.activeInstanceName: {target} on FoundryLicense {license_name!r}"
    )
    return Outcome(
        outputs=None,
        status={
            "phase": "Pending",
            "message": message,
            "conditions": [condition("Accepted", True, "Recorded", message, facts.now)],
        },
    )
