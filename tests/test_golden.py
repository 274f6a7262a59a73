"""Golden scenarios that mirror the Kratix filesystem (STYLE §5).

Each folder under tests/scenarios/ holds:
  scenario.yaml        pipeline (console script), now, env
  cluster.yaml         objects the Kubernetes API already holds (optional, multi-document)
  input/object.yaml    the request Kratix hands the pipeline
  expected/output/     exactly the files the pipeline must write to /kratix/output
  expected/metadata/   status.yaml and workflow-control.yaml as written
Run `pytest tests/test_golden.py --update-goldens` to rewrite `expected/` and review the YAML diff.
"""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from manifest_validation import validate_manifest

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.kube import kind_of
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from pipelines.registry import WORKFLOWS
from pipelines.runtime import run_workflow

SCENARIOS = Path(__file__).parent / "scenarios"


def _files(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def run_scenario(folder: Path, work: Path) -> tuple[int, Path, ClusterState]:
    scenario = yaml.safe_load((folder / "scenario.yaml").read_text())
    state = ClusterState(work / "cluster")
    cluster = folder / "cluster.yaml"
    for doc in yaml.safe_load_all(cluster.read_text()) if cluster.exists() else []:
        if doc:
            state.put(kind_of(doc), doc)
    kratix = work / "kratix"
    (kratix / "input").mkdir(parents=True)
    shutil.copy(folder / "input" / "object.yaml", kratix / "input" / "object.yaml")
    decide, kind = WORKFLOWS[scenario["pipeline"]]
    env = {"KRATIX_WORKFLOW_ACTION": scenario.get("action", "configure"), **(scenario.get("env") or {})}
    now = datetime.fromisoformat(str(scenario["now"]).replace("Z", "+00:00"))
    code = run_workflow(decide, io=KratixIO(kratix, env), kube=MemoryKube(state), kind=kind, now=now)
    return code, kratix, state


@pytest.mark.parametrize("folder", sorted(p for p in SCENARIOS.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_scenario(folder: Path, tmp_path: Path, update_goldens: bool) -> None:
    code, kratix, _ = run_scenario(folder, tmp_path)
    assert code == 0
    produced = (
        {f"output/{k}": v for k, v in _files(kratix / "output").items()}
        if (kratix / "output").exists()
        else {}
    )
    produced |= {f"metadata/{k}": v for k, v in _files(kratix / "metadata").items()}
    expected_root = folder / "expected"
    if update_goldens:
        shutil.rmtree(expected_root, ignore_errors=True)
        for rel, text in produced.items():
            (expected_root / rel).parent.mkdir(parents=True, exist_ok=True)
            (expected_root / rel).write_text(text)
    assert produced == _files(expected_root)
    for rel, text in produced.items():
        if rel.startswith("output/"):
            for doc in yaml.safe_load_all(text):
                validate_manifest(doc)
