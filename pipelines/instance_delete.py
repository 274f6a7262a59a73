"""FoundryInstance delete: data stays (retained claims, Retain NFS volumes); the license drops the route."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.outcome import Outcome, RequestReconcile
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    meta = obj.get("metadata") or {}
    namespace = str(meta.get("namespace") or "default")
    license_name = str(((obj.get("spec") or {}).get("licenseRef") or {}).get("name") or "")
    effects = (RequestReconcile(FOUNDRY_LICENSE, namespace, license_name),) if license_name else ()
    return Outcome(
        outputs=None,
        status={"message": "deleted; its data is retained by the platform"},
        effects=effects,
    )


main = entrypoint(decide, FOUNDRY_INSTANCE, "FoundryInstance delete pipeline (Kratix).")
