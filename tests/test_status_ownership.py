"""Every pipeline path writes only the status keys its writer owns, and never `conditions` via the API.

The cluster is built with the simulator; then each path runs one workflow through the runtime as
Kratix would (object.yaml in, status.yaml and workflow-control.yaml out) against a recording KubeAPI.
Each status.yaml and API status patch is checked against the ownership table, so a new key, a new
path or a status merged in the wrong place fails here.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_volumes_e2e import LICENSE, ROOT, instance

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.errors import ForbiddenError, TransientError
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE, Kind, KubeObject
from foundry_lib.models.status import (
    KRATIX_CONDITIONS,
    STATUS_MODELS,
    Writer,
    check_status_write,
    foreign_keys,
    pipeline_writer,
)
from foundry_platform.simulator.engine import Engine
from pipelines.registry import WORKFLOWS
from pipelines.runtime import run_workflow

NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
NS = "guild"
REQUEST = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryActivationRequest",
    "metadata": {"name": "play-beta", "namespace": NS},
    "spec": {"instanceRef": {"name": "beta"}, "requestedBy": {"source": "kubectl"}},
}


class Recorder:
    """The KubeAPI port over the simulator's, keeping every status patch; can fail reads."""

    def __init__(self, inner: Any, fail_with: Exception | None) -> None:
        self.inner, self.fail_with = inner, fail_with
        self.patches: list[tuple[Kind, str, dict[str, Any]]] = []

    def get(self, kind: Kind, namespace: str, name: str) -> KubeObject | None:
        if self.fail_with:
            raise self.fail_with
        return self.inner.get(kind, namespace, name)  # type: ignore[no-any-return]

    def list(self, kind: Kind, namespace: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        if self.fail_with:
            raise self.fail_with
        return self.inner.list(kind, namespace, labels)  # type: ignore[no-any-return]

    def list_all(self, kind: Kind) -> list[KubeObject]:
        if self.fail_with:
            raise self.fail_with
        return self.inner.list_all(kind)  # type: ignore[no-any-return]

    def create(self, kind: Kind, namespace: str, body: KubeObject) -> KubeObject:
        return self.inner.create(kind, namespace, body)  # type: ignore[no-any-return]

    def merge_patch(self, kind: Kind, namespace: str, name: str, patch: KubeObject) -> KubeObject:
        assert "status" not in patch, "status goes through the status subresource"
        return self.inner.merge_patch(kind, namespace, name, patch)  # type: ignore[no-any-return]

    def merge_patch_status(self, kind: Kind, namespace: str, name: str, status: KubeObject) -> KubeObject:
        self.patches.append((kind, name, dict(status)))
        return self.inner.merge_patch_status(kind, namespace, name, status)  # type: ignore[no-any-return]

    def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        return self.inner.delete(kind, namespace, name)  # type: ignore[no-any-return]


BETA = instance("beta")
ENV = {"FOUNDRY_NFS_SERVER": "nas", "FOUNDRY_NFS_INSTANCE_ROOT": ROOT}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A license, a copy, a plugins pool with a dependent, and an activation request (built once)."""
    root = tmp_path_factory.mktemp("ownership") / "state"
    sim = Engine(root, NOW, ENV)
    copied = {"mode": "copied", "source": {"instance": "alpha"}}
    for doc in (
        LICENSE,
        instance("alpha", plugins={"mode": "shared"}),
        instance("beta", copied, copied),
        instance("gamma", plugins={"mode": "shared", "source": {"instance": "alpha"}}),
        REQUEST,
    ):
        sim.apply(doc)
        sim.settle()
    sim.save()
    return root


@pytest.fixture
def engine(built: Path, tmp_path: Path) -> Engine:
    shutil.copytree(built, tmp_path / "state")
    return Engine(tmp_path / "state", NOW, ENV)


@dataclass(frozen=True)
class Written:
    code: int
    status: dict[str, Any] | None
    control: dict[str, Any] | None
    patches: list[tuple[Kind, str, dict[str, Any]]]


def _run(engine: Engine, command: str, name: str, fail_with: Exception | None = None) -> Written:
    decide, kind = WORKFLOWS[command]
    obj = engine.state.get(kind, NS, name)
    assert obj is not None
    root = engine.root / "run" / command / name
    for sub in ("input", "output", "metadata"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "input" / "object.yaml").write_text(yaml.safe_dump(obj))
    action = "delete" if command.endswith("-delete") else "configure"
    env = {"KRATIX_WORKFLOW_ACTION": action, **ENV}
    kube = Recorder(engine.kube, fail_with)
    code = run_workflow(decide, io=KratixIO(root, env), kube=kube, kind=kind, now=NOW)

    def read(file: str) -> dict[str, Any] | None:
        path = root / "metadata" / file
        return yaml.safe_load(path.read_text()) if path.exists() else None

    return Written(code, read("status.yaml"), read("workflow-control.yaml"), kube.patches)


def _switch_to_beta(engine: Engine) -> None:
    engine.record_players(LICENSE["metadata"]["namespace"], "alpha", 0)  # nobody on: switch at once
    engine.apply({**LICENSE, "spec": {**LICENSE["spec"], "activeInstanceName": "beta"}})


def _delete(*docs: dict[str, Any]) -> Callable[[Engine], None]:
    def mark(engine: Engine) -> None:
        for doc in docs:
            engine.delete(doc)

    return mark


def _nothing(engine: Engine) -> None:
    return None


@dataclass(frozen=True)
class Case:
    case: str
    setup: Callable[[Engine], None]
    command: str
    name: str
    code: int = 0
    control: str | None = None  # suspend | retryAfter | None
    fail_with: Exception | None = None
    api_writes: bool = False  # the path must patch status through the API (so it is exercised)


ALL = (LICENSE, instance("alpha"), instance("beta"), instance("gamma"))
CASES = [
    Case("license-configure", _nothing, "foundry-license-configure", "guild"),
    Case(
        "license-switch-patches-isActive",
        _switch_to_beta,
        "foundry-license-configure",
        "guild",
        api_writes=True,
    ),
    Case("instance-configure", _nothing, "foundry-instance-configure", "alpha"),
    Case(
        "instance-detach-publishes-volumes",
        lambda e: e.apply(instance("gamma")),
        "foundry-instance-configure",
        "gamma",
        api_writes=True,
    ),
    Case(
        "instance-refusal",
        lambda e: e.apply({**BETA, "spec": {**BETA["spec"], "foundryVersion": "13.999"}}),
        "foundry-instance-configure",
        "beta",
        control="suspend",
    ),
    Case("activation-configure", _nothing, "foundry-activation-configure", "play-beta", control="retryAfter"),
    Case(
        "instance-delete-waits",
        _delete(instance("alpha")),
        "foundry-instance-delete",
        "alpha",
        control="retryAfter",
    ),
    Case("instance-delete", _delete(instance("beta")), "foundry-instance-delete", "beta"),
    Case("license-delete-waits", _delete(LICENSE), "foundry-license-delete", "guild", control="retryAfter"),
    Case("license-delete-with-its-tenant", _delete(*ALL), "foundry-license-delete", "guild"),
    Case("activation-delete", _delete(REQUEST), "foundry-activation-delete", "play-beta"),
    Case(
        "transient",
        _nothing,
        "foundry-instance-configure",
        "alpha",
        control="retryAfter",
        fail_with=TransientError("HTTP 503"),
    ),
    Case(
        "forbidden",
        _nothing,
        "foundry-license-configure",
        "guild",
        control="retryAfter",
        fail_with=ForbiddenError("list", "foundryinstances", NS),
    ),
    Case(
        "transient-in-a-delete",
        _delete(instance("beta")),
        "foundry-instance-delete",
        "beta",
        control="retryAfter",
        fail_with=TransientError("timed out"),
    ),
    Case(
        "bug",
        _nothing,
        "foundry-activation-configure",
        "play-beta",
        code=1,
        fail_with=RuntimeError("boom"),
        api_writes=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.case)
def test_every_path_writes_only_keys_its_writer_owns(engine: Engine, case: Case) -> None:
    case.setup(engine)
    _, kind = WORKFLOWS[case.command]
    writer = pipeline_writer(kind)

    done = _run(engine, case.command, case.name, case.fail_with)

    assert done.code == case.code
    control = done.control or {}
    assert next((key for key in ("suspend", "retryAfter") if key in control), None) == case.control
    if done.status is not None:
        assert foreign_keys(kind, writer, done.status, via_api=False) == []
    assert bool(done.patches) is case.api_writes
    for target, name, patch in done.patches:
        assert "conditions" not in patch, f"{case.case} sent conditions through the API to {name}"
        assert foreign_keys(target, writer, patch, via_api=True) == []


@pytest.mark.parametrize(
    ("kind", "writer", "status", "via_api", "offending"),
    [
        (FOUNDRY_INSTANCE, Writer.INSTANCE_PIPELINE, {"hostname": "h", "volumes": {}}, False, []),
        (FOUNDRY_INSTANCE, Writer.INSTANCE_PIPELINE, {"isActive": True}, True, ["isActive"]),
        (FOUNDRY_INSTANCE, Writer.LICENSE_PIPELINE, {"isActive": True}, True, []),
        (FOUNDRY_INSTANCE, Writer.LICENSE_PIPELINE, {"isActive": True, "message": "m"}, True, ["message"]),
        (FOUNDRY_INSTANCE, Writer.MONITOR, {"connectedPlayers": 2, "foundry": {}}, True, []),
        (
            FOUNDRY_INSTANCE,
            Writer.INSTANCE_PIPELINE,
            {"message": "m", "conditions": []},
            True,
            ["conditions"],
        ),
        (FOUNDRY_INSTANCE, Writer.INSTANCE_PIPELINE, {"newKey": 1}, False, ["newKey"]),
        (FOUNDRY_LICENSE, Writer.LICENSE_PIPELINE, {"observedGeneration": 3}, False, ["observedGeneration"]),
        (FOUNDRY_LICENSE, Writer.LICENSE_PIPELINE, {"kratix": {}}, False, ["kratix"]),
        (
            FOUNDRY_LICENSE,
            Writer.LICENSE_PIPELINE,
            {"conditions": [{"type": "Accepted"}, {"type": "Reconciled"}]},
            False,
            ["conditions[type=Reconciled]"],
        ),
        (
            FOUNDRY_ACTIVATION_REQUEST,
            Writer.ACTIVATION_PIPELINE,
            {"phase": "Pending", "retry": {}},
            False,
            [],
        ),
        (FOUNDRY_ACTIVATION_REQUEST, Writer.LICENSE_PIPELINE, {"phase": "Approved"}, True, ["phase"]),
    ],
)
def test_the_ownership_table_decides_each_write(
    kind: Kind, writer: Writer, status: dict[str, Any], via_api: bool, offending: list[str]
) -> None:
    assert foreign_keys(kind, writer, status, via_api=via_api) == offending
    if offending:
        with pytest.raises(Exception, match=offending[0].replace("[", r"\[")):
            check_status_write(kind, writer, status, via_api=via_api)


def test_every_resource_names_one_writer_per_key_and_kratix_owns_its_own() -> None:
    for model in STATUS_MODELS.values():
        assert model.owners["observedGeneration"] is Writer.KRATIX
        assert model.owners["message"] is model.owners["conditions"] is model.pipeline
    assert {"ConfigureWorkflowCompleted", "WorksSucceeded", "Reconciled"} <= KRATIX_CONDITIONS
