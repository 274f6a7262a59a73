"""FoundryLicense configure: the active instance, every instance's route, license status."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.kube import FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.license_plan import LicenseFacts, plan_license
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import Outcome
from foundry_lib.settings import PlatformSettings
from pipelines.gather import instances_and_deleting
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    license_req = parse_request(obj, FoundryLicenseSpec)
    instances, deleting = instances_and_deleting(kube, license_req.namespace, license_req.name)
    facts = LicenseFacts(
        license=license_req,
        instances=instances,
        settings=PlatformSettings.from_env(env),
        now=now,
        deleting=deleting,
    )
    return plan_license(facts)


main = entrypoint(decide, FOUNDRY_LICENSE, "FoundryLicense configure pipeline (Kratix).")
