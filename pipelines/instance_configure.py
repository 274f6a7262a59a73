"""FoundryInstance configure: Deployment, Service, storage and status for one Foundry server."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.adapters.catalog_files import load_catalog
from foundry_lib.adapters.scripts import read_script
from foundry_lib.instance_plan import InstanceFacts, plan_instance
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeAPI, KubeObject
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import Outcome
from foundry_lib.pools import LicenseRoot
from foundry_lib.settings import PlatformSettings
from foundry_lib.volumes import Script
from pipelines.gather import instances_and_peers, load_license, with_self
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    instance = parse_request(obj, FoundryInstanceSpec)
    settings = PlatformSettings.from_env(env)
    license_name = instance.spec.license_ref.name
    license_req = load_license(kube, instance.namespace, license_name)
    others, peers = instances_and_peers(kube, instance.namespace, license_name)
    facts = InstanceFacts(
        instance=instance,
        license=license_req,
        siblings=with_self(others, instance),
        settings=settings,
        catalog=load_catalog(settings.catalog_overlay),
        scripts={script: read_script(script) for script in Script},
        now=now,
        peers=peers,
        license_roots=[
            r
            for o in kube.list(FOUNDRY_LICENSE, instance.namespace)
            if (r := LicenseRoot.from_object(o)) is not None
        ],
    )
    return plan_instance(facts)


main = entrypoint(decide, FOUNDRY_INSTANCE, "FoundryInstance configure pipeline (Kratix).")
