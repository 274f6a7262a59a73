"""FoundryActivationRequest configure: validate the request against its instance and record it.

Approval policy (auto, autoWhenIdle, approvers) is decided in its own issue; until then a valid
request is recorded as Pending and says how to activate by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.conditions import condition
from foundry_lib.errors import UserError
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, KubeAPI, KubeObject
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import Outcome
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    request = parse_request(obj, FoundryActivationRequestSpec)
    target = request.spec.instance_ref.name
    instance = kube.get(FOUNDRY_INSTANCE, request.namespace, target)
    if instance is None:
        raise UserError(
            f"spec.instanceRef.name: there is no FoundryInstance {target!r} "
            f"in namespace {request.namespace!r}",
            reason="InstanceNotFound",
            field="spec.instanceRef.name",
        )
    license_name = ((instance.get("spec") or {}).get("licenseRef") or {}).get("name", "")
    message = (
        f"recorded: activate {target!r}; a license owner or approver activates it by setting "
        f"spec.activeInstanceName: {target} on FoundryLicense {license_name!r}"
    )
    return Outcome(
        outputs=None,
        status={
            "phase": "Pending",
            "message": message,
            "conditions": [condition("Accepted", True, "Recorded", message, now)],
        },
    )


main = entrypoint(decide, FOUNDRY_ACTIVATION_REQUEST, "FoundryActivationRequest configure pipeline (Kratix).")
