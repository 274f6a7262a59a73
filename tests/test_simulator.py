"""The simulator end to end over examples/: what Kratix would deploy, validated against real schemas."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from manifest_validation import validate_manifest

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.cli import main as cli_main
from foundry_platform.simulator.state import ClusterState
from foundry_platform.simulator.statestore import duplicate_emitters

NOW = "2026-11-28T20:00:00Z"
NFS = "FOUNDRY_NFS_SERVER=nas.example.internal"


def simulate(state: Path, *paths: str | Path, now: str = NOW, extra: tuple[str, ...] = ()) -> int:
    argv = ["simulate", "--state", str(state), "--now", now, "--set", NFS, *extra, *map(str, paths)]
    with pytest.raises(SystemExit) as exit_info:
        cli_main(argv)
    return int(exit_info.value.code or 0)


def statestore(state: Path) -> dict[str, list[dict[str, Any]]]:
    return {
        str(p.relative_to(state / "statestore")): [d for d in yaml.safe_load_all(p.read_text()) if d]
        for p in sorted((state / "statestore").rglob("*.yaml"))
    }


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("demo")
    assert simulate(state, REPO / "examples") == 0
    return state


def test_every_example_instance_gets_valid_workload_service_and_storage(demo: Path) -> None:
    files = statestore(demo)
    instances = list(ClusterState(demo).of_kind(FOUNDRY_INSTANCE))
    assert len(instances) >= 3
    for inst in instances:
        ns, name = inst["metadata"]["namespace"], inst["metadata"]["name"]
        folder = f"foundry-instance/{ns}/{name}/render"
        kinds = {d["kind"] for f, docs in files.items() if f.startswith(folder) for d in docs}
        assert {"Deployment", "Service", "PersistentVolumeClaim", "ServiceAccount"} <= kinds, name
        assert inst["status"]["hostname"] and inst["status"]["url"].startswith("http"), name
    for docs in files.values():
        for doc in docs:
            validate_manifest(doc)


def test_every_object_has_exactly_one_emitter(demo: Path) -> None:
    seen = Counter(
        (d["apiVersion"], d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        for docs in statestore(demo).values()
        for d in docs
    )
    assert [key for key, count in seen.items() if count > 1] == []
    assert duplicate_emitters(demo / "statestore") == []  # the simulator's own check agrees


def test_no_secret_kind_is_ever_emitted(demo: Path) -> None:
    assert all(d["kind"] != "Secret" for docs in statestore(demo).values() for d in docs)


def test_planted_secret_values_appear_nowhere_in_the_state_folder(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples)
    planted = []
    for path in examples.rglob("*.yaml"):
        docs = list(yaml.safe_load_all(path.read_text()))
        for doc in docs:
            if doc and doc["kind"] == "Secret":
                for key in doc["stringData"]:
                    doc["stringData"][key] = value = f"PLANTED-{len(planted)}-c0ffee-s3cr3t"
                    planted.append(value)
        path.write_text(yaml.safe_dump_all(docs))
    assert planted
    state = tmp_path / "state"
    assert simulate(state, examples) == 0
    everything = b"".join(snapshot(state).values())
    for value in planted:
        assert value.encode() not in everything
    for secret in (state / "objects" / "secrets").rglob("*.yaml"):
        data = yaml.safe_load(secret.read_text())["data"]
        assert set(data.values()) == {""}, secret  # generated admin keys are kept nowhere either


def _instance_doc(name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "foundry.platform/v1alpha1",
        "kind": "FoundryInstance",
        "metadata": {"name": name, "namespace": "tabletop"},
        "spec": {"licenseRef": {"name": "dungeons-guild"}, **spec},
    }


@pytest.mark.parametrize(
    ("case", "spec", "field"),
    [
        ("unknown field", {"worldz": {"mode": "new"}}, "spec.worldz"),
        ("bad version syntax", {"foundryVersion": "13.three"}, "spec.foundryVersion"),
        ("unknown license", {"licenseRef": {"name": "no-such-license"}}, "spec.licenseRef.name"),
        (
            "pool path escaping its root",
            {"volumes": {"plugins": {"mode": "shared", "source": {"path": "../x"}}}},
            "spec.volumes.plugins",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_invalid_update_is_refused_and_keeps_previous_outputs(
    tmp_path: Path, case: str, spec: dict[str, Any], field: str
) -> None:
    state = tmp_path / "state"
    assert simulate(state, REPO / "examples") == 0
    before = snapshot(state / "statestore")
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_instance_doc("campaign-alpha", **spec)))
    assert simulate(state, bad, now="2026-11-28T20:05:00Z") == 0
    assert snapshot(state / "statestore") == before
    status = ClusterState(state).get(FOUNDRY_INSTANCE, "tabletop", "campaign-alpha")["status"]
    assert field in status["message"]
    accepted = next(c for c in status["conditions"] if c["type"] == "Accepted")
    assert accepted["status"] == "False"
    assert status["hostname"] == "campaign-alpha.dungeons.example.com"  # last good observation kept


def test_invalid_name_for_a_new_instance_deploys_nothing(tmp_path: Path) -> None:
    state = tmp_path / "state"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(_instance_doc("a" * 64)))
    assert simulate(state, REPO / "examples", bad) == 0
    assert not (state / "statestore" / "foundry-instance" / "tabletop" / ("a" * 64)).exists()
    status = ClusterState(state).get(FOUNDRY_INSTANCE, "tabletop", "a" * 64)["status"]
    assert "metadata.name" in status["message"] and "63" in status["message"]


def test_deleting_an_instance_removes_its_work_and_route(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert simulate(state, REPO / "examples") == 0
    doc = tmp_path / "gone.yaml"
    doc.write_text(yaml.safe_dump(_instance_doc("campaign-beta")))
    assert simulate(state, doc, extra=("--delete",)) == 0
    assert not (state / "statestore" / "foundry-instance" / "tabletop" / "campaign-beta").exists()
    routes = statestore(state)["foundry-license/tabletop/dungeons-guild/render/routes.yaml"]
    assert "foundry-campaign-beta" not in {r["metadata"]["name"] for r in routes}
    assert ClusterState(state).get(FOUNDRY_INSTANCE, "tabletop", "campaign-beta") is None


def test_players_are_recorded_as_the_monitor_would(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert simulate(state, REPO / "examples", extra=("--players", "tabletop/campaign-alpha=3")) == 0
    status = ClusterState(state).get(FOUNDRY_INSTANCE, "tabletop", "campaign-alpha")["status"]
    assert status["connectedPlayers"] == 3
    assert status["lastPlayerActivity"] == NOW


@pytest.mark.parametrize(
    ("case", "args", "message"),
    [
        ("missing path", ["does-not-exist.yaml"], "no such file"),
        ("bad players", ["--players", "tabletop/campaign-alpha=many"], "NAMESPACE/INSTANCE=N"),
        ("bad clock", ["--now", "yesterday"], "RFC 3339"),
        ("unknown instance for players", ["--players", "tabletop/nobody=1"], "not a FoundryInstance"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_bad_simulator_input_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str, args: list[str], message: str
) -> None:
    assert simulate(tmp_path / "state", *args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_unparsable_yaml_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: [unclosed")
    assert simulate(tmp_path / "state", bad) == 2
    assert re.search(r"bad\.yaml: not valid YAML", capsys.readouterr().err)


def test_the_simulation_is_idempotent(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert simulate(state, REPO / "examples") == 0
    before = snapshot(state / "statestore")
    license_before = ClusterState(state).get(FOUNDRY_LICENSE, "tabletop", "dungeons-guild")
    assert simulate(state, REPO / "examples") == 0
    assert snapshot(state / "statestore") == before
    assert (
        ClusterState(state).get(FOUNDRY_LICENSE, "tabletop", "dungeons-guild")["status"]
        == license_before["status"]
    )
