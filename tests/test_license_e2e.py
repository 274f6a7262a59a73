"""FoundryLicense end to end in the simulator: routing authority, limits, inheritance, independence."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from test_simulator import simulate, snapshot, statestore

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.simulator.state import ClusterState

ROUTES = "foundry-license/tabletop/dungeons-guild/render/routes.yaml"

NOBODY_ON_ALPHA = ("--players", "tabletop/campaign-alpha=0")  # the monitor confirmed zero: switch now
EPHEMERAL = {"ephemeral-storage": "1Gi"}  # what every Foundry container asks for its install


def _docs(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def _license() -> dict[str, Any]:
    return next(
        d for d in _docs(REPO / "examples/dungeons-guild/license.yaml") if d["kind"] == "FoundryLicense"
    )


def _write(tmp_path: Path, name: str, *docs: dict[str, Any]) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump_all(list(docs)))
    return path


def _backends(state: Path) -> dict[str, str]:
    """Instance → the Service its route points at."""
    return {
        r["metadata"]["labels"]["app.kubernetes.io/instance"]: r["spec"]["rules"][0]["backendRefs"][0]["name"]
        for r in statestore(state)[ROUTES]
    }


def _deployment(state: Path, ns: str, name: str) -> dict[str, Any]:
    return statestore(state)[f"foundry-instance/{ns}/{name}/render/deployment.yaml"][0]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    assert simulate(folder, REPO / "examples") == 0
    return folder


def test_one_route_to_the_active_service_and_the_rest_to_standby(state: Path) -> None:
    assert _backends(state) == {
        "campaign-alpha": "foundry-campaign-alpha",
        "campaign-beta": "foundry-standby",
        "campaign-gamma": "foundry-standby",
    }
    cluster = ClusterState(state)
    active = {
        i["metadata"]["name"]: i["status"]["isActive"]
        for i in cluster.of_kind(FOUNDRY_INSTANCE)
        if i["metadata"]["namespace"] == "tabletop"
    }
    assert active == {"campaign-alpha": True, "campaign-beta": False, "campaign-gamma": False}
    status = cluster.get(FOUNDRY_LICENSE, "tabletop", "dungeons-guild")["status"]
    assert status["activeInstance"] == "campaign-alpha"
    assert {e["name"]: e["state"] for e in status["instances"]} == {
        "campaign-alpha": "active",
        "campaign-beta": "standby",
        "campaign-gamma": "standby",
    }


def test_changing_the_active_instance_flips_exactly_two_routes(state: Path, tmp_path: Path) -> None:
    before = _backends(state)
    lic = _license()
    lic["spec"]["activeInstanceName"] = "campaign-beta"
    assert simulate(state, _write(tmp_path, "switch", lic), extra=NOBODY_ON_ALPHA) == 0
    after = _backends(state)
    assert {k for k in before if before[k] != after[k]} == {"campaign-alpha", "campaign-beta"}
    assert after["campaign-beta"] == "foundry-campaign-beta"
    beta = ClusterState(state).get(FOUNDRY_INSTANCE, "tabletop", "campaign-beta")
    assert beta["status"]["isActive"] is True


def test_unknown_active_instance_is_refused_and_routes_stay(state: Path, tmp_path: Path) -> None:
    before = snapshot(state / "statestore")
    lic = _license()
    lic["spec"]["activeInstanceName"] = "campaign-omega"
    assert simulate(state, _write(tmp_path, "bad", lic)) == 0
    assert snapshot(state / "statestore") == before
    status = ClusterState(state).get(FOUNDRY_LICENSE, "tabletop", "dungeons-guild")["status"]
    assert "spec.activeInstanceName" in status["message"] and "campaign-omega" in status["message"]
    assert status["activeInstance"] == "campaign-alpha"


def test_a_fourth_instance_beyond_max_instances_deploys_nothing(state: Path, tmp_path: Path) -> None:
    fourth = copy.deepcopy(_docs(REPO / "examples/dungeons-guild/instances.yaml")[0])
    fourth["metadata"]["name"] = "campaign-delta"
    assert simulate(state, _write(tmp_path, "fourth", fourth), now="2026-11-28T21:00:00Z") == 0
    assert not (state / "statestore/foundry-instance/tabletop/campaign-delta").exists()
    status = ClusterState(state).get(FOUNDRY_INSTANCE, "tabletop", "campaign-delta")["status"]
    assert "maxInstances" in status["message"] and "3" in status["message"]
    assert _backends(state)["campaign-delta"] == "foundry-standby"


def test_deleting_an_older_instance_admits_the_waiting_one(state: Path, tmp_path: Path) -> None:
    instances = _docs(REPO / "examples/dungeons-guild/instances.yaml")
    fourth = copy.deepcopy(instances[0])
    fourth["metadata"]["name"] = "campaign-delta"
    assert simulate(state, _write(tmp_path, "fourth", fourth), now="2026-11-28T21:00:00Z") == 0
    assert simulate(state, _write(tmp_path, "gamma", instances[2]), extra=("--delete",)) == 0
    assert (state / "statestore/foundry-instance/tabletop/campaign-delta/render/deployment.yaml").exists()
    assert "campaign-gamma" not in _backends(state)


def test_defaults_fill_unset_fields_and_the_instance_wins(state: Path) -> None:
    alpha = _deployment(state, "tabletop", "campaign-alpha")["spec"]["template"]["spec"]["containers"][0]
    gamma = _deployment(state, "tabletop", "campaign-gamma")["spec"]["template"]["spec"]["containers"][0]
    assert alpha["resources"]["requests"] == {"cpu": "500m", "memory": "1Gi"} | EPHEMERAL  # license defaults
    assert gamma["resources"]["requests"] == {"cpu": "1", "memory": "2Gi"} | EPHEMERAL  # its own
    cluster = ClusterState(state)
    effective = cluster.get(FOUNDRY_INSTANCE, "tabletop", "campaign-gamma")["status"]["effective"]
    assert effective["cpu"] == {"value": "1", "from": "instance"}
    assert effective["foundryVersion"] == {"value": "14.x", "from": "instance"}
    alpha_eff = cluster.get(FOUNDRY_INSTANCE, "tabletop", "campaign-alpha")["status"]["effective"]
    assert alpha_eff["foundryVersion"] == {"value": "13.x", "from": "license"}
    assert alpha_eff["proxyPort"] == {"value": 443, "from": "platform"}


def test_two_licenses_never_share_a_secret_or_a_route(state: Path) -> None:
    def license_secret(ns: str, name: str) -> str:
        env = _deployment(state, ns, name)["spec"]["template"]["spec"]["containers"][0]["env"]
        return next(e for e in env if e["name"] == "FOUNDRY_LICENSE_KEY")["valueFrom"]["secretKeyRef"]["name"]

    assert license_secret("one-shots", "tomb-of-horrors") == "one-shots-license"
    assert {license_secret("tabletop", n) for n in ("campaign-alpha", "campaign-beta")} == {
        "dungeons-guild-license"
    }
    files = statestore(state)
    guild = {r["metadata"]["name"] for r in files[ROUTES]}
    oneshots = {
        r["metadata"]["name"] for r in files["foundry-license/one-shots/one-shots/render/routes.yaml"]
    }
    assert guild.isdisjoint(oneshots) and oneshots == {"foundry-tomb-of-horrors"}


def test_scale_to_zero_stops_standby_servers_and_starts_the_new_active_one(
    state: Path, tmp_path: Path
) -> None:
    lic = _license()
    lic["spec"]["standby"] = {"scaleToZero": True}
    assert simulate(state, _write(tmp_path, "scale", lic)) == 0
    replicas = {
        n: _deployment(state, "tabletop", n)["spec"]["replicas"] for n in ("campaign-alpha", "campaign-beta")
    }
    assert replicas == {"campaign-alpha": 1, "campaign-beta": 0}
    lic["spec"]["activeInstanceName"] = "campaign-beta"
    assert simulate(state, _write(tmp_path, "switch", lic), extra=NOBODY_ON_ALPHA) == 0
    replicas = {
        n: _deployment(state, "tabletop", n)["spec"]["replicas"] for n in ("campaign-alpha", "campaign-beta")
    }
    assert replicas == {"campaign-alpha": 0, "campaign-beta": 1}


def test_hostname_change_moves_the_route(state: Path, tmp_path: Path) -> None:
    beta = _docs(REPO / "examples/dungeons-guild/instances.yaml")[1]
    beta["spec"]["hostname"] = "beta.example.org"
    assert simulate(state, _write(tmp_path, "beta", beta)) == 0
    route = next(r for r in statestore(state)[ROUTES] if r["metadata"]["name"] == "foundry-campaign-beta")
    assert route["spec"]["hostnames"] == ["beta.example.org"]


def test_license_delete_waits_for_its_instances(state: Path, tmp_path: Path) -> None:
    lic_file = _write(tmp_path, "lic", _license())
    assert simulate(state, lic_file, extra=("--delete",)) == 0
    lic = ClusterState(state).get(FOUNDRY_LICENSE, "tabletop", "dungeons-guild")
    assert lic is not None and "campaign-alpha" in lic["status"]["message"]
    assert ROUTES in statestore(state)
    instances = _write(tmp_path, "all", *_docs(REPO / "examples/dungeons-guild/instances.yaml"))
    assert simulate(state, instances, extra=("--delete",)) == 0
    assert ClusterState(state).get(FOUNDRY_LICENSE, "tabletop", "dungeons-guild") is None
    assert ROUTES not in statestore(state)


def test_deleting_the_active_instance_routes_none_without_refusing(state: Path, tmp_path: Path) -> None:
    alpha, beta, _ = _docs(REPO / "examples/dungeons-guild/instances.yaml")
    del beta["spec"]["volumes"]  # beta lets go of alpha's plugins pool, so alpha may go
    assert simulate(state, _write(tmp_path, "beta", beta)) == 0
    assert simulate(state, _write(tmp_path, "alpha", alpha), extra=("--delete", *NOBODY_ON_ALPHA)) == 0
    status = ClusterState(state).get(FOUNDRY_LICENSE, "tabletop", "dungeons-guild")["status"]
    assert status["activeInstance"] == ""
    assert "no longer exists" in status["message"]
    assert set(_backends(state).values()) == {"foundry-standby"}
