"""Kratix played over kmock's Kubernetes API emulator, for the contract suite.

The simulator's Engine decides what Kratix runs when (kratix_status and engine hold those rules,
each traced to Kratix's source); this driver keeps the cluster in the emulator instead of the
simulator's folder and runs each pipeline as Kratix does: the installed console script as a separate
process, with `KRATIX_ROOT` holding input/object.yaml and a kubeconfig pointing at the emulator.
`in_process=True` runs the pipeline in this process but still through the real HTTP client, for
scenarios too large to spawn a process per run.

Kratix's own writes (labels, status after a workflow) go straight into the emulator's store: they
are not pipeline API calls, so the emulator's request log holds exactly what the pipelines sent.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import kmock
from conftest import emulated_api, resource_key, write_kubeconfig

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.kube import FOUNDRY_KINDS, Kind, KubeObject
from foundry_platform.simulator.engine import Engine
from foundry_platform.simulator.memory_kube import MemoryKube, Write
from foundry_platform.simulator.state import ClusterState, _uid
from foundry_platform.simulator.workflows import Pipeline
from pipelines.runtime import run_workflow

BIN = Path(sys.executable).parent
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z|\d{8}T\d{6}Z")


class EmulatorState(ClusterState):
    """The ClusterState interface over the emulator's object store."""

    def __init__(self, root: Path, emulator: kmock.KubernetesEmulator) -> None:
        super().__init__(root)
        self.emulator = emulator

    def get(self, kind: Kind, namespace: str, name: str) -> KubeObject | None:
        try:
            return copy.deepcopy(self.emulator.objects[resource_key(kind), namespace, name].raw)
        except (KeyError, ValueError, AttributeError):  # never there, or soft-deleted
            return None

    def put(self, kind: Kind, obj: KubeObject) -> KubeObject:
        self._version += 1
        meta = obj.setdefault("metadata", {})
        meta["resourceVersion"] = str(self._version)
        meta.setdefault("uid", _uid(kind, meta["namespace"], meta["name"]))
        self.emulator.objects[resource_key(kind), meta["namespace"], meta["name"]] = copy.deepcopy(obj)
        return obj

    def remove(self, kind: Kind, namespace: str, name: str) -> None:
        try:
            del self.emulator.objects[resource_key(kind), namespace, name]
        except KeyError:
            return

    def of_kind(self, kind: Kind) -> Iterator[KubeObject]:
        found = []
        for key, obj in list(self.emulator.objects.items()):
            plural, group = getattr(key[0], "plural", None), getattr(key[0], "group", None) or ""
            if obj is None or (plural, group) != (kind.plural, kind.group):
                continue
            try:
                found.append(((str(key[1]), str(key[2])), copy.deepcopy(obj.raw)))
            except ValueError:  # soft-deleted
                continue
        for _, raw in sorted(found, key=lambda pair: pair[0]):
            yield raw

    def save(self) -> None:
        return None


class EmulatorKratix(Engine):
    """The Engine's Kratix over the emulator, running pipelines as processes (or over HTTP)."""

    def __init__(
        self,
        root: Path,
        now: datetime,
        overrides: Mapping[str, str],
        emulator: kmock.KubernetesEmulator,
        *,
        in_process: bool = False,
    ) -> None:
        super().__init__(root, now, overrides)
        self.state = EmulatorState(root, emulator)
        self.kube = MemoryKube(self.state, lambda: self.now)
        self.emulator = emulator
        self.in_process = in_process
        root.mkdir(parents=True, exist_ok=True)
        self.kubeconfig = write_kubeconfig(root / "kubeconfig", str(emulator.url), token="t0ken")
        self.http = emulated_api(emulator)

    def _execute(self, pipeline: Pipeline, root: Path, env: Mapping[str, str]) -> int:
        specs = self._specs()
        try:
            return self._spawn(pipeline, root, env)
        finally:
            self._new_generations(specs)

    def _specs(self) -> dict[tuple[Kind, str, str], Any]:
        return {
            (kind, obj["metadata"]["namespace"], obj["metadata"]["name"]): obj.get("spec")
            for kind in FOUNDRY_KINDS
            for obj in self.state.of_kind(kind)
        }

    def _new_generations(self, before: Mapping[tuple[Kind, str, str], Any]) -> None:
        """The API server's part the emulator leaves out: a spec change by a pipeline (an approved
        activation request setting a license's activeInstanceName) is a new generation."""
        for (kind, namespace, name), spec in self._specs().items():
            if (kind, namespace, name) in before and before[kind, namespace, name] != spec:
                obj = self.state.get(kind, namespace, name)
                if obj is not None:
                    obj["metadata"]["generation"] = int(obj["metadata"].get("generation") or 1) + 1
                    self.state.put(kind, obj)

    def _spawn(self, pipeline: Pipeline, root: Path, env: Mapping[str, str]) -> int:
        if self.in_process:
            decide, kind = self.registry[pipeline.command]
            return run_workflow(decide, io=KratixIO(root, env), kube=self.http, kind=kind, now=self.now)
        full = {
            "PATH": os.environ.get("PATH", ""),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
            "HOME": str(self.root),
            **env,
            "KRATIX_ROOT": str(root),
            "KUBECONFIG": str(self.kubeconfig),
        }
        done = subprocess.run(
            [str(BIN / pipeline.command)], env=full, capture_output=True, text=True, timeout=60, check=False
        )
        sys.stdout.write(done.stdout)
        sys.stderr.write(done.stderr)
        return done.returncode

    def writes(self) -> list[Write]:
        """Every write the pipelines sent to the emulator, in order."""
        view = self.emulator["post"] | self.emulator["patch"] | self.emulator["put"] | self.emulator["delete"]
        sent = list(view)
        return [Write(r.method.upper(), r.url.path, r.data) for r in sent]


def normalized(value: Any) -> Any:
    """Times and secret values out of the way: processes read the real clock, keys are random."""
    if isinstance(value, str):
        return TIME.sub("<time>", value)
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, Mapping):
        out = {k: normalized(v) for k, v in value.items()}
        if value.get("kind") == "Secret":
            for field in ("data", "stringData"):
                if isinstance(out.get(field), Mapping):
                    out[field] = dict.fromkeys(out[field], "<secret>")
        return out
    return value


def statestore(root: Path) -> dict[str, str]:
    base = root / "statestore"
    return {
        str(p.relative_to(base)): TIME.sub("<time>", p.read_text())
        for p in sorted(base.rglob("*"))
        if p.is_file()
    }


def statuses(engine: Engine) -> dict[str, Any]:
    out = {}
    for flows in engine.workflows.values():
        for obj in engine.state.of_kind(flows.kind):
            meta = obj["metadata"]
            out[f"{flows.kind.kind} {meta['namespace']}/{meta['name']}"] = normalized(obj.get("status") or {})
    return out
