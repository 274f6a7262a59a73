"""FoundryLicense delete: refused (suspended) while any instance still references the license."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.errors import UserError
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.outcome import Outcome
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    meta = obj.get("metadata") or {}
    namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
    users = sorted(
        str(i["metadata"]["name"])
        for i in kube.list(FOUNDRY_INSTANCE, namespace)
        if ((i.get("spec") or {}).get("licenseRef") or {}).get("name") == name
    )
    if users:
        raise UserError(
            f"license {name!r} is still used by {', '.join(users)}; delete or move those instances first "
            "(the license and its routes stay in place until then)",
            reason="LicenseInUse",
        )
    return Outcome(outputs=None, status={"message": "deleted: no instance uses this license"})


main = entrypoint(decide, FOUNDRY_LICENSE, "FoundryLicense delete pipeline (Kratix).")
