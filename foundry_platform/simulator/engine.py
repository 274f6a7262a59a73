"""Playing Kratix over the embedded state until nothing is left to do (bounded).

Per resource it keeps what Kratix keeps: the generation its configure workflow last completed,
whether that workflow is suspended, and when a `retryAfter` falls due on the simulated clock.
Pipeline logs (what a pod would print) go to `logs/<promise>/<ns>/<name>.log`.
Outputs of a successful run replace `statestore/<promise>/<ns>/<name>/<pipeline>/`; a suspended,
retrying or failed run leaves the previous files, as Kratix then skips the Work and the previous
one stays applied. status.yaml is applied whenever the pipeline exits 0, control or not.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.conditions import condition, rfc3339
from foundry_lib.durations import parse_duration
from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, Kind, KubeObject, kind_of
from foundry_lib.outcome import MANUAL_RECONCILIATION
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from foundry_platform.simulator.workflows import Pipeline, PromiseWorkflows, load_workflows
from pipelines.registry import WORKFLOWS
from pipelines.runtime import Decide, run_workflow

MAX_RUNS = 200


class SimulationError(Exception):
    """The simulation itself could not complete (not a rejected request)."""


@dataclass
class Run:
    kind: str
    namespace: str
    name: str
    action: str
    pipeline: str
    result: str  # succeeded | suspended | retry | failed
    message: str = ""


@dataclass
class Engine:
    root: Path
    now: datetime
    env_overrides: Mapping[str, str] = field(default_factory=dict)
    registry: Mapping[str, tuple[Decide, Kind]] = field(default_factory=lambda: WORKFLOWS)
    state: ClusterState = field(init=False)
    kube: MemoryKube = field(init=False)
    books: dict[str, dict[str, Any]] = field(init=False)
    runs: list[Run] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.state = ClusterState(self.root)
        self.kube = MemoryKube(self.state, lambda: self.now)
        self.workflows = load_workflows()
        books_path = self.root / "kratix" / "workflows.yaml"
        self.books = yaml.safe_load(books_path.read_text()) if books_path.exists() else {}

    # -- user actions --------------------------------------------------------------------------
    def apply(self, doc: KubeObject) -> None:
        kind = self._kind(doc)
        meta = doc.get("metadata") or {}
        namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
        if not name:
            raise SimulationError(f"a {doc.get('kind')} document has no metadata.name")
        current = self.state.get(kind, namespace, name)
        obj: KubeObject = {"apiVersion": doc["apiVersion"], "kind": doc["kind"]}
        new_meta = {k: v for k, v in meta.items() if k in ("name", "labels", "annotations")}
        new_meta["namespace"] = namespace
        if current is None:
            new_meta.update(creationTimestamp=rfc3339(self.now), generation=1)
            obj["metadata"] = new_meta
        else:
            old = current["metadata"]
            changed = current.get("spec") != doc.get("spec")
            keep = {k: old[k] for k in ("uid", "creationTimestamp", "resourceVersion") if k in old}
            new_meta.update(keep, generation=int(old.get("generation", 1)) + (1 if changed else 0))
            obj["metadata"] = new_meta
            if "status" in current:
                obj["status"] = current["status"]
        for key in ("spec", "data", "stringData", "type"):
            if key in doc:
                obj[key] = doc[key]
        self.state.put(kind, obj)

    def delete(self, doc: KubeObject) -> None:
        kind = self._kind(doc)
        meta = doc.get("metadata") or {}
        namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
        current = self.state.get(kind, namespace, name)
        if current is None:
            return
        if kind.kind not in self.workflows:
            self.state.remove(kind, namespace, name)
            return
        current["metadata"].setdefault("deletionTimestamp", rfc3339(self.now))
        self.state.put(kind, current)

    def record_players(self, namespace: str, instance: str, players: int) -> None:
        """What the monitor would write: its own status keys, then a nudge to the license."""
        current = self.state.get(FOUNDRY_INSTANCE, namespace, instance)
        if current is None:
            raise SimulationError(f"--players names {namespace}/{instance}, which is not a FoundryInstance")
        observed: dict[str, Any] = {
            "connectedPlayers": players,
            "foundry": {"reachable": True, "checkedAt": rfc3339(self.now)},
        }
        if players > 0:
            observed["lastPlayerActivity"] = rfc3339(self.now)
        self.kube.merge_patch_status(FOUNDRY_INSTANCE, namespace, instance, observed)
        license_name = ((current.get("spec") or {}).get("licenseRef") or {}).get("name")
        if license_name and self.state.get(FOUNDRY_LICENSE, namespace, license_name):
            self.kube.merge_patch(
                FOUNDRY_LICENSE,
                namespace,
                license_name,
                {"metadata": {"labels": {MANUAL_RECONCILIATION: "true"}}},
            )

    # -- the reconcile loop ----------------------------------------------------------------------
    def settle(self) -> None:
        for _ in range(MAX_RUNS):
            work = self._next()
            if work is None:
                return
            self._reconcile(*work)
        raise SimulationError(
            f"workflows did not settle after {MAX_RUNS} runs; the last ones: {self.runs[-5:]}"
        )

    def _next(self) -> tuple[PromiseWorkflows, KubeObject] | None:
        for flows in self.workflows.values():
            for obj in self.state.of_kind(flows.kind):
                if self._due(obj):
                    return flows, obj
        return None

    def _due(self, obj: KubeObject) -> bool:
        meta = obj["metadata"]
        book = self.books.get(self._key(obj), {})
        if (meta.get("labels") or {}).get(MANUAL_RECONCILIATION) == "true":
            return True
        if meta.get("deletionTimestamp"):
            return book.get("deleteAttemptedAt") != meta["deletionTimestamp"] or _retry_due(book, self.now)
        if book.get("generation") != meta.get("generation"):
            return True
        return _retry_due(book, self.now)

    def _reconcile(self, flows: PromiseWorkflows, obj: KubeObject) -> None:
        meta = obj["metadata"]
        kind, namespace, name = flows.kind, meta["namespace"], meta["name"]
        key = self._key(obj)
        labels = meta.get("labels") or {}
        if MANUAL_RECONCILIATION in labels:
            self.kube.merge_patch(
                kind, namespace, name, {"metadata": {"labels": {MANUAL_RECONCILIATION: None}}}
            )
        book = self.books.setdefault(key, {})
        book.pop("retryAt", None)
        deleting = bool(meta.get("deletionTimestamp"))
        action = "delete" if deleting else "configure"
        result = "succeeded"
        for pipeline in flows.delete if deleting else flows.configure:
            result = self._run_pipeline(flows, pipeline, action, namespace, name)
            if result != "succeeded":
                break
        if deleting:
            book["deleteAttemptedAt"] = meta["deletionTimestamp"]
            if result == "succeeded":
                self.state.remove(kind, namespace, name)
                shutil.rmtree(self.root / "statestore" / flows.promise / namespace / name, ignore_errors=True)
                self.books.pop(key, None)
            return
        book["generation"] = meta.get("generation")
        book["phase"] = result

    def _run_pipeline(
        self, flows: PromiseWorkflows, pipeline: Pipeline, action: str, namespace: str, name: str
    ) -> str:
        decide, kind = self.registry[pipeline.command]
        obj = self.state.get(kind, namespace, name)
        assert obj is not None
        env = {
            **pipeline.env,
            **self.env_overrides,
            "KRATIX_WORKFLOW_ACTION": action,
            "KRATIX_WORKFLOW_TYPE": "resource",
            "KRATIX_PROMISE_NAME": flows.promise,
            "KRATIX_PIPELINE_NAME": pipeline.name,
            "KRATIX_CRD_PLURAL": kind.plural,
        }
        with tempfile.TemporaryDirectory(prefix="kratix-") as tmp:
            root = Path(tmp)
            for sub in ("input", "output", "metadata"):
                (root / sub).mkdir()
            (root / "input" / "object.yaml").write_text(yaml.safe_dump(obj, sort_keys=False))
            log = self.root / "logs" / flows.promise / namespace / f"{name}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a") as sink, redirect_stdout(sink), redirect_stderr(sink):
                print(f"--- {rfc3339(self.now)} {action}/{pipeline.name}")
                code = run_workflow(decide, io=KratixIO(root, env), kube=self.kube, kind=kind, now=self.now)
            control = _read_yaml(root / "metadata" / "workflow-control.yaml")
            status = _read_yaml(root / "metadata" / "status.yaml")
            result = _result(code, control)
            if code == 0 and self.state.get(kind, namespace, name) is not None:
                self._apply_status(kind, namespace, name, status, action, result, control)
            if result == "succeeded" and action == "configure":
                # Kratix skips Work creation when a pipeline asks to suspend or retry.
                target = self.root / "statestore" / flows.promise / namespace / name / pipeline.name
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(root / "output", target)
        if result == "retry":
            due = self.now + parse_duration(str(control["retryAfter"]))
            self.books[f"{kind.plural}/{namespace}/{name}"]["retryAt"] = rfc3339(due)
        self.runs.append(
            Run(kind.kind, namespace, name, action, pipeline.name, result, str(control.get("message", "")))
        )
        if result == "failed":
            raise SimulationError(f"{kind.kind} {namespace}/{name} {action} pipeline {pipeline.name} failed")
        return result

    def _apply_status(
        self,
        kind: Kind,
        namespace: str,
        name: str,
        status: Mapping[str, Any],
        action: str,
        result: str,
        control: Mapping[str, Any],
    ) -> None:
        """Kratix's rule: top-level keys replace; conditions merge by type."""
        current = self.state.get(kind, namespace, name) or {}
        merged = dict(current.get("status") or {})
        for key, value in status.items():
            if key != "conditions":
                merged[key] = value
        workflow_ok = result == "succeeded"
        reason = {
            "succeeded": "PipelinesExecutedSuccessfully",
            "suspended": "Suspended",
            "retry": "RetryScheduled",
        }
        kratix_condition = condition(
            "ConfigureWorkflowCompleted" if action == "configure" else "DeleteWorkflowCompleted",
            workflow_ok,
            reason[result],
            str(control.get("message", "")),
            self.now,
        )
        by_type = {c["type"]: c for c in merged.get("conditions") or []}
        for cond in [*(status.get("conditions") or []), kratix_condition]:
            by_type[cond["type"]] = cond
        merged["conditions"] = list(by_type.values())
        self.state.put(kind, {**current, "status": merged})

    # -- persistence ---------------------------------------------------------------------------------
    def save(self) -> None:
        self.state.save()
        books = self.root / "kratix" / "workflows.yaml"
        books.parent.mkdir(parents=True, exist_ok=True)
        books.write_text(yaml.safe_dump(self.books, sort_keys=True))

    def _kind(self, doc: KubeObject) -> Kind:
        try:
            return kind_of(doc)
        except KeyError:
            raise SimulationError(
                f"unsupported document {doc.get('apiVersion')}/{doc.get('kind')}: the simulator takes "
                "FoundryLicense, FoundryInstance, FoundryActivationRequest and Secret"
            ) from None

    def _key(self, obj: KubeObject) -> str:
        kind = self._kind(obj)
        return f"{kind.plural}/{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def _retry_due(book: Mapping[str, Any], now: datetime) -> bool:
    due = book.get("retryAt")
    return bool(due) and datetime.fromisoformat(str(due).replace("Z", "+00:00")) <= now


def _result(code: int, control: Mapping[str, Any]) -> str:
    if code != 0:
        return "failed"
    if control.get("suspend"):
        return "suspended"
    if control.get("retryAfter"):
        return "retry"
    return "succeeded"


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text())
    return data if isinstance(data, dict) else {}
