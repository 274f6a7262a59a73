"""The license decision on its own: which instances it tells (isActive) and which it wakes.

Waking an instance (the manual-reconciliation label) restarts its workflow and kills a Job in flight,
so the license wakes only instances whose rendering changed (DESIGN §2 rule 3).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from foundry_lib.kube import FOUNDRY_INSTANCE
from foundry_lib.license_plan import LicenseFacts, plan_license
from foundry_lib.license_wakes import INSTANCE_INPUTS, instance_inputs
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import parse_request
from foundry_lib.outcome import PatchStatus, RecordEvent, RequestReconcile
from foundry_lib.settings import PlatformSettings

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
SPEC: dict[str, Any] = {
    "licenseSecretRef": {"name": "guild-key", "key": "license"},
    "baseDomain": "vtt.example.com",
    "activeInstanceName": "a",
}
NAMES = ("a", "b", "c", "d")


def _license(spec: dict[str, Any], status: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryLicense",
        "metadata": {"name": "guild", "namespace": "tabletop", "generation": 7},
        "spec": spec,
        "status": status,
    }


def _instance(name: str, active: bool, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {
            "name": name,
            "namespace": "tabletop",
            "creationTimestamp": f"2026-11-01T00:0{ord(name) - 97}:00Z",
        },
        "spec": {"licenseRef": {"name": "guild"}, **spec},
        "status": {"hostname": f"{name}.vtt.example.com", "isActive": active},
    }


def _settled(spec: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A license and its instances as the last run left them: `a` active, the rest on standby."""
    lic_spec = FoundryLicenseSpec.model_validate(spec)
    status = {
        "activeInstance": "a",
        INSTANCE_INPUTS: instance_inputs(lic_spec),
        "instances": [
            {"name": n, "state": "active" if n == "a" else "standby", "hostname": f"{n}.vtt.example.com"}
            for n in NAMES
        ],
    }
    return _license(spec, status), [_instance(n, n == "a") for n in NAMES]


def _effects(lic: dict[str, Any], instances: list[dict[str, Any]]) -> tuple[list[str], list[str]]:
    """(names whose isActive is written, names woken)."""
    facts = LicenseFacts(
        license=parse_request(lic, FoundryLicenseSpec),
        instances=[parse_request(i, FoundryInstanceSpec) for i in instances],
        settings=PlatformSettings(),
        now=NOW,
    )
    outcome = plan_license(facts)
    written = [e.name for e in outcome.effects if isinstance(e, PatchStatus)]
    assert all(e.kind == FOUNDRY_INSTANCE for e in outcome.effects if not isinstance(e, RecordEvent))
    woken = [e.name for e in outcome.effects if isinstance(e, RequestReconcile)]
    return written, woken


def _switch(lic: dict[str, Any], instances: list[dict[str, Any]]) -> None:
    lic["spec"]["activeInstanceName"] = "b"
    # the monitor confirmed nobody plays on `a`: the switchover guard lets the switch happen now
    instances[0]["status"] |= {
        "connectedPlayers": 0,
        "foundry": {"reachable": True, "checkedAt": "2026-11-28T20:00:00Z"},
    }


def _switch_scale_to_zero(lic: dict[str, Any], instances: list[dict[str, Any]]) -> None:
    _switch(lic, instances)
    lic["spec"]["standby"] = {"scaleToZero": True}
    lic["status"][INSTANCE_INPUTS] = instance_inputs(FoundryLicenseSpec.model_validate(lic["spec"]))


def _switch_to_shared_pool(lic: dict[str, Any], instances: list[dict[str, Any]]) -> None:
    _switch(lic, instances)
    instances[1]["spec"]["volumes"] = {"worlds": {"mode": "shared"}}


def _policy_only(lic: dict[str, Any], _: list[dict[str, Any]]) -> None:
    lic["spec"]["switchover"] = {"whenPlayersConnected": "force"}
    lic["spec"]["activation"] = {"approval": "auto"}
    lic["spec"]["ownership"] = {"discordUserId": "123"}


def _defaults(lic: dict[str, Any], _: list[dict[str, Any]]) -> None:
    lic["spec"]["defaults"] = {"foundryVersion": "13.x"}


def _domain(lic: dict[str, Any], _: list[dict[str, Any]]) -> None:
    lic["spec"]["baseDomain"] = "games.example.com"


def _unrecorded(lic: dict[str, Any], _: list[dict[str, Any]]) -> None:
    del lic["status"][INSTANCE_INPUTS]  # a license last run by a release without the fingerprint


def _new_instance(_: dict[str, Any], instances: list[dict[str, Any]]) -> None:
    fresh = _instance("e", False)
    fresh["status"] = {}
    instances.append(fresh)


def _refused_instance(_: dict[str, Any], instances: list[dict[str, Any]]) -> None:
    del instances[2]["status"]["hostname"]  # listed before, its own pipeline refused: not the license's


def _nothing(_: dict[str, Any], __: list[dict[str, Any]]) -> None:
    pass


CASES = [
    ("rerun-nothing-changed", _nothing, [], []),
    ("switch-a-to-b", _switch, ["a", "b"], []),
    ("switch-with-scale-to-zero", _switch_scale_to_zero, ["a", "b"], ["a", "b"]),
    ("switch-to-a-shared-worlds-pool", _switch_to_shared_pool, ["a", "b"], ["b"]),
    ("switchover-activation-ownership-change", _policy_only, [], []),
    ("defaults-change", _defaults, [], list(NAMES)),
    ("base-domain-change", _domain, [], list(NAMES)),
    ("no-recorded-fingerprint", _unrecorded, [], list(NAMES)),
    ("new-instance-never-rendered", _new_instance, ["e"], ["e"]),
    ("listed-instance-refused-by-its-pipeline", _refused_instance, [], []),
]


@pytest.mark.parametrize(("change", "written", "woken"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_license_writes_and_wakes_only_what_changed(
    change: Any, written: list[str], woken: list[str]
) -> None:
    lic, instances = _settled(copy.deepcopy(SPEC))
    change(lic, instances)
    assert _effects(lic, instances) == (written, woken)


def test_license_status_records_the_fingerprint_and_leaves_observed_generation_to_kratix() -> None:
    lic, instances = _settled(copy.deepcopy(SPEC))
    facts = LicenseFacts(
        license=parse_request(lic, FoundryLicenseSpec),
        instances=[parse_request(i, FoundryInstanceSpec) for i in instances],
        settings=PlatformSettings(),
        now=NOW,
    )
    status = plan_license(facts).status
    assert "observedGeneration" not in status
    assert status[INSTANCE_INPUTS] == lic["status"][INSTANCE_INPUTS]


def test_fingerprint_ignores_routing_and_policy_but_not_what_instances_render() -> None:
    base = FoundryLicenseSpec.model_validate(SPEC)
    same = FoundryLicenseSpec.model_validate(
        {**SPEC, "activeInstanceName": "", "activation": {"approval": "auto"}}
    )
    other = FoundryLicenseSpec.model_validate(
        {**SPEC, "licenseSecretRef": {"name": "other", "key": "license"}}
    )
    assert instance_inputs(base) == instance_inputs(same)
    assert instance_inputs(base) != instance_inputs(other)
    assert len(instance_inputs(base)) == 16
