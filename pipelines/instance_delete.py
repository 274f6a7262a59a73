"""FoundryInstance delete: data stays; waits while other instances use its pools; unroutes it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.durations import parse_duration
from foundry_lib.errors import UserError
from foundry_lib.instance_delete import DeleteFacts, RoutedBy, plan_instance_delete
from foundry_lib.kube import FOUNDRY_INSTANCE, KubeAPI, KubeObject
from foundry_lib.outcome import Outcome
from foundry_lib.settings import PlatformSettings
from pipelines.gather import load_license
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
        routed_by=_routed_by(kube, obj, settings, now) if license_name else None,
    )
    return plan_instance_delete(facts)


def _routed_by(kube: KubeAPI, obj: KubeObject, settings: PlatformSettings, now: datetime) -> RoutedBy | None:
    """The license, when it routes this instance now (a license being deleted protects nobody)."""
    meta = obj.get("metadata") or {}
    license_name = str(((obj.get("spec") or {}).get("licenseRef") or {}).get("name"))
    try:
        lic = load_license(kube, str(meta.get("namespace") or "default"), license_name)
    except UserError:
        return None  # an invalid license routes by its last accepted spec; nothing to read here
    if lic is None or lic.status.get("activeInstance") != meta.get("name"):
        return None
    requested = str(meta.get("deletionTimestamp") or "")
    return RoutedBy(
        license_uid=lic.uid,
        policy=lic.spec.switchover,
        requested_at=datetime.fromisoformat(requested.replace("Z", "+00:00")) if requested else now,
        interval=parse_duration(settings.monitor_interval),
    )


main = entrypoint(decide, FOUNDRY_INSTANCE, "FoundryInstance delete pipeline (Kratix).")
