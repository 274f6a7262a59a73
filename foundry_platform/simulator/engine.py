"""Playing Kratix over the embedded state until nothing is left to do (bounded).

What Kratix does, as its source does it (syntasso/kratix: internal/controller/
dynamic_resource_request_controller.go, lib/workflow/reconciler.go, work-creator/):
- configure runs on a new generation or the `kratix.io/manual-reconciliation` label (which Kratix
  removes as it starts the run); a run that asks to suspend waits for a spec change or that label;
  `retryAfter` runs it again when due on the simulated clock, resuming at the pipeline that asked;
- status.yaml is applied when the pipeline exits 0 (top-level keys replace, `conditions` merge by
  type), then Kratix writes its own conditions and `observedGeneration` (see kratix_status);
- a failed pipeline (exit code not 0) applies nothing and is not run again by itself;
- deletion is a finalizer: the object stays, with its deletionTimestamp, until its delete workflow
  succeeds; only the first delete pipeline runs; a delete that suspends is STUCK (nothing changes a
  deleted object's spec); `retryAfter` or the manual-reconciliation label runs it again.
Pipeline logs (what a pod would print) go to `logs/<promise>/<ns>/<name>.log`.
Outputs of a successful run replace the resource's Work in `statestore/` (statestore.py); a
suspended, retrying or failed run leaves the previous files (Kratix skips the Work, the previous one
stays applied). Each settle first writes the installed Promises' dependencies Works, as Kratix's
Promise controller does. People and the monitor: user_actions.py; one pipeline's run: pipeline_run.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.conditions import rfc3339
from foundry_lib.durations import parse_duration
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, Kind, KubeObject
from foundry_lib.outcome import MANUAL_RECONCILIATION
from foundry_platform.simulator import schedule, statestore, user_actions
from foundry_platform.simulator.errors import SimulationError
from foundry_platform.simulator.kratix_status import (
    FINALIZERS,
    SUSPENDED_LABEL,
    Result,
    after_run,
    result_of,
    started_configure,
)
from foundry_platform.simulator.memory_kube import MemoryKube, merge_patch
from foundry_platform.simulator.pipeline_run import Run, kratix_env, kratix_folder, pod_log, read_metadata
from foundry_platform.simulator.state import ClusterState, load_books, save_books
from foundry_platform.simulator.workflows import (
    Pipeline,
    PromiseWorkflows,
    load_workflows,
    platform_settings,
    promise_dependencies,
)
from pipelines.registry import WORKFLOWS
from pipelines.runtime import Decide, run_workflow

MAX_RUNS = 200  # per settle, plus RUNS_PER_RESOURCE for each resource: a loop, not work, beyond that
RUNS_PER_RESOURCE = 4
__all__ = ["Engine", "Run", "SimulationError"]  # what the simulator's callers import from here


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
        self.books = load_books(self.root)

    # -- user actions --------------------------------------------------------------------------
    def apply(self, doc: KubeObject) -> None:
        kind = user_actions.document_kind(doc)
        namespace, name = user_actions.document_address(doc)
        self.state.put(kind, user_actions.applied(self.state.get(kind, namespace, name), doc, self.now))

    def delete(self, doc: KubeObject) -> None:
        kind = user_actions.document_kind(doc)
        namespace, name = user_actions.document_address(doc)
        current = self.state.get(kind, namespace, name)
        if current is not None and kind.kind in self.workflows:
            self.state.put(kind, user_actions.deleted(current, self.now))
        elif current is not None:
            self.state.remove(kind, namespace, name)

    def record_players(self, namespace: str, instance: str, players: int) -> None:
        """What the monitor would write at `now` (user_actions.record_players)."""
        user_actions.record_players(self.kube, namespace, instance, players, self.now)

    # -- the reconcile loop ----------------------------------------------------------------------
    def settle(self) -> None:
        """Run what Kratix would have run by `now`: the installed Promises' dependencies Works, then
        retries that fell due on the way, each at its own time, then everything due now, until
        nothing is left to do (bounded)."""
        self._reconcile_promises()
        self.advance()
        self._settle_now()

    def _reconcile_promises(self) -> None:
        """The Promise controller's part: each installed Promise's dependencies as one Work on the
        Destination (statestore.write_dependencies), from the Promises as the run's settings make them."""
        works = promise_dependencies(self.workflows, self.env_overrides)
        statestore.write_dependencies(self.root / "statestore", works)

    def advance(self) -> None:
        """Move the clock from the last run to `now`, running each `retryAfter` when it falls due."""
        target = self.now
        try:
            for _ in range(MAX_RUNS):
                moment = schedule.earliest_retry(self.books.values(), before=target)
                if moment is None:
                    self.now = target
                    self._monitor_timers()
                    return
                self.now = moment
                self._settle_now()
                self._monitor_timers()
            raise SimulationError(
                f"retries kept falling due before {rfc3339(target)}; the last runs: {self.runs[-5:]}"
            )
        finally:
            self.now = target

    def _monitor_timers(self) -> None:
        """What the monitor's timers do by `now` (user_actions.run_monitor_timers)."""
        flows = self.workflows.get(FOUNDRY_ACTIVATION_REQUEST.kind)
        user_actions.run_monitor_timers(self.kube, platform_settings(flows, self.env_overrides), self.now)

    def _settle_now(self) -> None:
        limit = MAX_RUNS + RUNS_PER_RESOURCE * sum(
            len(list(self.state.of_kind(f.kind))) for f in self.workflows.values()
        )
        for _ in range(limit):
            work = self._next()
            if work is None:
                return
            flows, obj, action = work
            if action == "remove":
                self._remove(flows, obj)
            else:
                self._reconcile(flows, obj, action)
        raise SimulationError(f"workflows did not settle after {limit} runs; the last ones: {self.runs[-5:]}")

    def _next(self) -> tuple[PromiseWorkflows, KubeObject, str] | None:
        """The next workflow due ("configure", "delete"), else the next object to "remove": removing
        a deleted object takes Kratix several reconciles (Works, then finalizers), so it comes after
        every reaction already due (a delete pipeline's nudge is seen while its sender exists)."""
        found = [(f, o) for f in self.workflows.values() for o in self.state.of_kind(f.kind)]
        for flows, obj in found:
            action = schedule.due(obj, self._book(obj), self.now)
            if action is not None:
                return flows, obj, action
        removals = ((f, o, "remove") for f, o in found if schedule.removable(o, self._book(o)))
        return next(removals, None)

    def _reconcile(self, flows: PromiseWorkflows, obj: KubeObject, action: str) -> None:
        meta = obj["metadata"]
        kind, namespace, name = flows.kind, meta["namespace"], meta["name"]
        book = self.books.setdefault(self._key(obj), {})
        resume = schedule.resumes(obj, book)
        # Kratix removes its labels as it starts the run: manual-reconciliation, workflow-suspended.
        self._kratix_labels(kind, namespace, name, {MANUAL_RECONCILIATION: None, SUSPENDED_LABEL: None})
        book.pop("retryAt", None)
        if action == "delete":
            book["deleteFor"] = meta["deletionTimestamp"]
            # Kratix runs only the first delete pipeline (ReconcileDelete in lib/workflow/reconciler.go).
            result = (
                self._run_pipeline(flows, flows.delete[0], action, namespace, name)
                if flows.delete
                else "succeeded"
            )
            book["delete"] = result
            return
        book["generation"] = meta.get("generation")
        current = self.state.get(kind, namespace, name) or {}
        current["metadata"]["finalizers"] = list(FINALIZERS)  # Kratix adds them before any workflow
        self.state.put(kind, {**current, "status": started_configure(current.get("status") or {}, self.now)})
        first = int(book.get("resumeAt", 0)) if resume else 0
        result = "succeeded"
        for index, pipeline in enumerate(flows.configure[first:], first):
            result = self._run_pipeline(flows, pipeline, action, namespace, name)
            book["resumeAt"] = index
            if result != "succeeded":
                break
        book["configure"] = result

    def _remove(self, flows: PromiseWorkflows, obj: KubeObject) -> None:
        namespace, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
        self.books.pop(self._key(obj), None)
        self.state.remove(flows.kind, namespace, name)
        statestore.remove_resource_works(self.root / "statestore", flows.promise, namespace, name)

    def _kratix_labels(self, kind: Kind, namespace: str, name: str, labels: Mapping[str, str | None]) -> None:
        """Kratix's own label writes (not a pipeline's: they are not in the API write journal)."""
        current = self.state.get(kind, namespace, name)
        if current is None:
            return
        merged = merge_patch(current, {"metadata": {"labels": dict(labels)}})
        if merged != current:
            self.state.put(kind, merged)

    def _run_pipeline(
        self, flows: PromiseWorkflows, pipeline: Pipeline, action: str, namespace: str, name: str
    ) -> str:
        _, kind = self.registry[pipeline.command]
        obj = self.state.get(kind, namespace, name)
        assert obj is not None
        env = kratix_env(pipeline, self.env_overrides, action=action, promise=flows.promise, kind=kind)
        with kratix_folder(obj) as root:
            log = self.root / "logs" / flows.promise / namespace / f"{name}.log"
            with pod_log(log, f"--- {rfc3339(self.now)} {action}/{pipeline.name}"):
                code = self._execute(pipeline, root, env)
            control = read_metadata(root, "workflow-control.yaml")
            status = read_metadata(root, "status.yaml")
            result = result_of(code, control)
            self._kratix_after(flows, pipeline, action, obj, status, result)
            if result == "succeeded" and action == "configure":
                # Kratix skips Work creation when a pipeline asks to suspend or retry.
                statestore.replace_resource_work(
                    self.root / "statestore", flows.promise, namespace, name, pipeline.name, root / "output"
                )
        if result == "retry":
            retry_at = self.now + parse_duration(str(control["retryAfter"]))
            self.books[f"{kind.plural}/{namespace}/{name}"]["retryAt"] = rfc3339(retry_at)
        message = str(control.get("message", "")) or str(status.get("message", ""))
        self.runs.append(Run(kind.kind, namespace, name, action, pipeline.name, result, message))
        return result

    def _execute(self, pipeline: Pipeline, root: Path, env: Mapping[str, str]) -> int:
        """Run one pipeline container on a Kratix folder; its exit code. In-process here."""
        decide, kind = self.registry[pipeline.command]
        return run_workflow(decide, io=KratixIO(root, env), kube=self.kube, kind=kind, now=self.now)

    def _kratix_after(
        self,
        flows: PromiseWorkflows,
        pipeline: Pipeline,
        action: str,
        before: KubeObject,
        status_yaml: Mapping[str, Any],
        result: Result,
    ) -> None:
        """Kratix's status writer and controller once a pipeline ended (see kratix_status)."""
        meta = before["metadata"]
        current = self.state.get(flows.kind, meta["namespace"], meta["name"])
        if current is None:
            return
        merged = after_run(
            current.get("status") or {},
            status_yaml,
            result,
            action=action,
            pipeline=pipeline.name,
            last=action != "delete" and pipeline == flows.configure[-1],
            generation=int(current["metadata"].get("generation", 1)),
            now=self.now,
        )
        self.state.put(flows.kind, {**current, "status": merged})
        if result in ("suspended", "retry"):
            self._kratix_labels(flows.kind, meta["namespace"], meta["name"], {SUSPENDED_LABEL: "true"})

    # -- what a user must know ---------------------------------------------------------------------
    def attention(self) -> list[str]:
        """Resources Kratix will not finish by itself (STUCK, FAILED), those waiting for a retry, and
        objects the Destination's GitOps agent would refuse (two Works emit them)."""
        lines = []
        for flows in self.workflows.values():
            for obj in self.state.of_kind(flows.kind):
                what = f"{flows.kind.kind} {obj['metadata']['namespace']}/{obj['metadata']['name']}"
                line = schedule.attention(what, obj, self._book(obj))
                if line:
                    lines.append(line)
        return lines + statestore.duplicate_emitters(self.root / "statestore")

    def save(self) -> None:
        self.state.save()
        save_books(self.root, self.books)

    def _book(self, obj: KubeObject) -> schedule.Book:
        return self.books.get(self._key(obj), {})

    def _key(self, obj: KubeObject) -> str:
        kind = user_actions.document_kind(obj)
        return f"{kind.plural}/{obj['metadata']['namespace']}/{obj['metadata']['name']}"
