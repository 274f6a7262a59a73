"""FoundryLicense delete: waits (retryAfter) while a live instance still references the license."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.license_delete import LicenseDeleteFacts, plan_license_delete
from foundry_lib.outcome import Outcome
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    meta = obj.get("metadata") or {}
    namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
    return plan_license_delete(LicenseDeleteFacts(name, kube.list(FOUNDRY_INSTANCE, namespace)))


main = entrypoint(decide, FOUNDRY_LICENSE, "FoundryLicense delete pipeline (Kratix).")
