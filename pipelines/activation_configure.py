"""FoundryActivationRequest configure: gather the instance, its license, the live instance and the
namespace's requests; decide in the core (foundry_lib.activation); the runtime writes the outcome."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.accepted import accepted_view
from foundry_lib.activation import ActivationFacts, plan_activation
from foundry_lib.kube import (
    FOUNDRY_ACTIVATION_REQUEST,
    FOUNDRY_INSTANCE,
    FOUNDRY_LICENSE,
    KubeAPI,
    KubeObject,
    deleting,
)
from foundry_lib.models.activation import FoundryActivationRequestSpec
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import Outcome
from foundry_lib.settings import PlatformSettings
from pipelines.gather import accepted_license
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    request = parse_request(obj, FoundryActivationRequestSpec)
    namespace = request.namespace
    instance = kube.get(FOUNDRY_INSTANCE, namespace, request.spec.instance_ref.name)
    license_req, license_now, routed = None, None, None
    if instance is not None and not deleting(instance):
        license_name = ((accepted_view(instance).get("spec") or {}).get("licenseRef") or {}).get("name")
        license_now = kube.get(FOUNDRY_LICENSE, namespace, str(license_name or ""))
        license_req = accepted_license(license_now, str(license_name or ""))
        live = license_req.status.get("activeInstance") if license_req else None
        routed = kube.get(FOUNDRY_INSTANCE, namespace, str(live)) if live else None
    facts = ActivationFacts(
        request=request,
        instance=instance,
        license=license_req,
        license_now=license_now or {},
        routed=routed,
        requests=kube.list(FOUNDRY_ACTIVATION_REQUEST, namespace),
        settings=PlatformSettings.from_env(env),
        now=now,
    )
    return plan_activation(facts)


main = entrypoint(decide, FOUNDRY_ACTIVATION_REQUEST, "FoundryActivationRequest configure pipeline (Kratix).")
