"""One pipeline container's run, as Kratix sets it up: its env, its /kratix folder, its log, what it
left in metadata/, and the record the simulator keeps of it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from foundry_lib.kube import Kind, KubeObject
from foundry_platform.simulator.workflows import Pipeline


@dataclass
class Run:
    kind: str
    namespace: str
    name: str
    action: str
    pipeline: str
    result: str  # succeeded | suspended | retry | failed
    message: str = ""


def kratix_env(
    pipeline: Pipeline, overrides: Mapping[str, str], *, action: str, promise: str, kind: Kind
) -> dict[str, str]:
    """The Promise's pipeline env, the run's `--set` overrides, and what Kratix adds."""
    return {
        **pipeline.env,
        **overrides,
        "KRATIX_WORKFLOW_ACTION": action,
        "KRATIX_WORKFLOW_TYPE": "resource",
        "KRATIX_PROMISE_NAME": promise,
        "KRATIX_PIPELINE_NAME": pipeline.name,
        "KRATIX_CRD_PLURAL": kind.plural,
    }


@contextmanager
def kratix_folder(obj: KubeObject) -> Iterator[Path]:
    """A fresh /kratix: input/object.yaml, empty output/ and metadata/; gone when the run is done."""
    with tempfile.TemporaryDirectory(prefix="kratix-") as tmp:
        root = Path(tmp)
        for sub in ("input", "output", "metadata"):
            (root / sub).mkdir()
        (root / "input" / "object.yaml").write_text(yaml.safe_dump(obj, sort_keys=False))
        yield root


@contextmanager
def pod_log(path: Path, header: str) -> Iterator[None]:
    """What the pipeline prints goes where `kubectl logs` would show it: appended to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as sink, redirect_stdout(sink), redirect_stderr(sink):
        print(header)
        yield


def read_metadata(root: Path, name: str) -> dict[str, Any]:
    """metadata/<name> (status.yaml, workflow-control.yaml) as written, or {} if absent."""
    path = root / "metadata" / name
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text())
    return data if isinstance(data, dict) else {}
