"""FoundryActivationRequest configure: gather the named instance, decide in the core, record it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.activation import ActivationFacts, plan_activation
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, KubeAPI, KubeObject
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import Outcome
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    request = parse_request(obj, FoundryActivationRequestSpec)
    instance = kube.get(FOUNDRY_INSTANCE, request.namespace, request.spec.instance_ref.name)
    return plan_activation(ActivationFacts(request, instance, now))


main = entrypoint(decide, FOUNDRY_ACTIVATION_REQUEST, "FoundryActivationRequest configure pipeline (Kratix).")
