"""The simulator plays Kratix's Promise dependencies: the license Promise's standby namespace and Service
land once on the simulated Destination, where its routes' standby backendRefs find them, and an
object two Works emit is reported (DESIGN rule 1)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from test_simulator import simulate, snapshot, statestore

from foundry_lib.promises import render_promise
from foundry_platform.simulator.statestore import dependencies_file, duplicate_emitters, write_dependencies

DEPENDENCIES = "dependencies/foundry-license/static/foundry-license-dependencies.yaml"
OVERRIDES = (
    "--set",
    "FOUNDRY_STANDBY_SERVICE_NAME=standby-page",
    "--set",
    "FOUNDRY_STANDBY_SERVICE_NAMESPACE=foundry-standby",
    "--set",
    "FOUNDRY_STANDBY_SERVICE_PORT=9090",
)


def _objects(state: Path) -> list[tuple[str, dict[str, Any]]]:
    return [(path, doc) for path, docs in statestore(state).items() for doc in docs]


def _services(state: Path) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (d["metadata"]["namespace"], d["metadata"]["name"]): d
        for _, d in _objects(state)
        if d["kind"] == "Service"
    }


@pytest.mark.parametrize(
    ("case", "extra", "standby"),
    [
        ("default settings", (), ("foundry-system", "foundry-standby", 8080)),
        ("--set overrides", OVERRIDES, ("foundry-standby", "standby-page", 9090)),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_the_standby_service_lands_once_where_every_route_backend_finds_it(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    case: str,
    extra: tuple[str, ...],
    standby: tuple[str, str, int],
) -> None:
    state = tmp_path / "state"
    assert simulate(state, REPO / "examples", extra=extra) == 0
    assert "FAILED" not in capsys.readouterr().out
    namespace, name, port = standby
    emitted = Counter(
        (path, d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        for path, d in _objects(state)
    )
    standby_objects = {("Namespace", "", namespace), ("Service", namespace, name)}
    assert {key: n for key, n in emitted.items() if key[1:] in standby_objects} == {
        (DEPENDENCIES, *key): 1 for key in standby_objects
    }  # exactly once each, from the license Promise's dependencies Work

    services = _services(state)
    assert [p["port"] for p in services[namespace, name]["spec"]["ports"]] == [port]
    standby_refs = []
    for route in (d for _, d in _objects(state) if d["kind"] == "HTTPRoute"):
        for rule in route["spec"]["rules"]:
            for ref in rule["backendRefs"]:
                key = (ref.get("namespace", route["metadata"]["namespace"]), ref["name"])
                assert key in services, (
                    f"{route['metadata']['name']} → {key}: no such Service on the Destination"
                )
                assert ref["port"] in [p["port"] for p in services[key]["spec"]["ports"]], key
                if route["metadata"]["annotations"]["foundry.platform/state"] != "active":
                    standby_refs.append((*key, ref["port"]))
    assert standby_refs and set(standby_refs) == {standby}


def test_without_overrides_the_dependencies_are_the_generated_promises(demo: Path) -> None:
    written = statestore(demo)[DEPENDENCIES]
    assert written == render_promise("foundry-license", image="any")["spec"]["dependencies"]
    assert not [p for p in statestore(demo) if p.startswith("dependencies/") and p != DEPENDENCIES]


def test_dependencies_are_written_once_and_follow_the_settings(tmp_path: Path) -> None:
    state = tmp_path / "state"
    assert simulate(state) == 0  # the Promises are installed: their dependencies land before any request
    path = dependencies_file(state / "statestore", "foundry-license")
    first = path.stat().st_mtime_ns
    assert simulate(state, REPO / "examples") == 0
    assert path.stat().st_mtime_ns == first  # unchanged Promise: the Work is left alone
    before = snapshot(state / "statestore")
    assert simulate(state, extra=OVERRIDES) == 0  # the site changes its settings: Kratix updates the Work
    names = {(d["kind"], d["metadata"]["name"]) for d in yaml.safe_load_all(path.read_text())}
    assert names == {("Namespace", "foundry-standby"), ("Service", "standby-page")}
    assert snapshot(state / "statestore") != before


def test_a_standby_service_named_like_an_instances_is_reported_naming_both_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clash = (
        "--set",
        "FOUNDRY_STANDBY_SERVICE_NAMESPACE=tabletop",
        "--set",
        "FOUNDRY_STANDBY_SERVICE_NAME=foundry-campaign-alpha",
    )
    assert simulate(tmp_path / "state", REPO / "examples", extra=clash) == 0
    failed = [line for line in capsys.readouterr().out.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1
    assert "Service tabletop/foundry-campaign-alpha" in failed[0]
    assert "foundry-license dependencies" in failed[0]
    assert "foundry-instance tabletop/campaign-alpha render (service.yaml)" in failed[0]


def test_a_bad_standby_setting_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate(tmp_path / "state", extra=("--set", "FOUNDRY_STANDBY_SERVICE_PORT=0")) == 2
    err = capsys.readouterr().err
    assert "FOUNDRY_STANDBY_SERVICE_PORT" in err and "Traceback" not in err


def _service(namespace: str, name: str, kind: str = "Service") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace}}


@pytest.mark.parametrize(
    ("case", "files", "emitters"),
    [
        (
            "two resource Works",
            {
                "foundry-instance/ns/a/render/service.yaml": [_service("ns", "web")],
                "foundry-instance/ns/b/render/service.yaml": [_service("ns", "web")],
            },
            [["foundry-instance ns/a render (service.yaml)", "foundry-instance ns/b render (service.yaml)"]],
        ),
        (
            "the dependencies Work and a resource Work",
            {
                DEPENDENCIES: [_service("ns", "web")],
                "foundry-license/ns/l/render/routes.yaml": [_service("ns", "web")],
            },
            [
                [
                    "foundry-license dependencies (static/foundry-license-dependencies.yaml)",
                    "foundry-license ns/l",
                ]
            ],
        ),
        (
            "one Work twice",
            {"foundry-instance/ns/a/render/service.yaml": [_service("ns", "web"), _service("ns", "web")]},
            [["foundry-instance ns/a render (service.yaml)"]],
        ),
        (
            "same name, other namespace or kind",
            {
                "foundry-instance/ns/a/render/service.yaml": [
                    _service("ns", "web"),
                    _service("ns", "web", "ConfigMap"),
                ],
                "foundry-instance/other/a/render/service.yaml": [_service("other", "web")],
            },
            [],
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_every_object_two_works_emit_is_a_failed_line_naming_both(
    tmp_path: Path, case: str, files: dict[str, list[dict[str, Any]]], emitters: list[list[str]]
) -> None:
    for path, docs in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(yaml.safe_dump_all(docs))
    lines = duplicate_emitters(tmp_path)
    assert len(lines) == len(emitters)
    for line, names in zip(lines, emitters, strict=True):
        assert line.startswith("FAILED: Service ns/web is emitted by 2 Works: ")
        assert all(name in line for name in names)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    state = tmp_path_factory.mktemp("demo")
    assert simulate(state, REPO / "examples") == 0
    return state


def test_a_promise_without_dependencies_has_no_dependencies_work(tmp_path: Path) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}
    write_dependencies(tmp_path, {"foundry-license": [namespace], "foundry-instance": []})
    assert [str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.yaml")] == [DEPENDENCIES]
    write_dependencies(
        tmp_path, {"foundry-license": [], "foundry-instance": []}
    )  # emptied: Kratix deletes it
    assert not list(tmp_path.rglob("*.yaml"))
    write_dependencies(tmp_path, {"foundry-license": [namespace]})
    write_dependencies(tmp_path, {"foundry-instance": []})  # the Promise is gone: so is its Work
    assert not list(tmp_path.rglob("*.yaml"))
