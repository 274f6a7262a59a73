"""FoundryInstance delete: data stays; waits while other instances use its pools; unroutes it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

from foundry_lib.activation import requests_to_wake
from foundry_lib.instance_delete import DeleteFacts, plan_instance_delete
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, KubeAPI, KubeObject
from foundry_lib.outcome import Outcome, RequestReconcile
from foundry_lib.settings import PlatformSettings
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    meta = obj.get("metadata") or {}
    namespace = str(meta.get("namespace") or "default")
    license_name = ((obj.get("spec") or {}).get("licenseRef") or {}).get("name")
    settings = PlatformSettings.from_env(env)
    facts = DeleteFacts(
        name=str(meta.get("name") or ""),
        namespace=namespace,
        license_name=str(license_name) if license_name else None,
        status=obj.get("status") or {},
        others=kube.list(FOUNDRY_INSTANCE, namespace),
        retain_claims=settings.pvc_retention == "retain",
        now=now,
    )
    outcome = plan_instance_delete(facts)
    # Open activation requests for this instance fail now (they would only notice at their next look).
    wake = [
        RequestReconcile(FOUNDRY_ACTIVATION_REQUEST, namespace, name)
        for name in requests_to_wake(kube.list(FOUNDRY_ACTIVATION_REQUEST, namespace), facts.name)
    ]
    return replace(outcome, effects=(*outcome.effects, *wake))


main = entrypoint(decide, FOUNDRY_INSTANCE, "FoundryInstance delete pipeline (Kratix).")
