"""Wires `foundry-platform standby-page` to a real cluster or to the simulator's `--state` folder."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.kube import KubeAPI, KubeObject
from foundry_platform.simulator.engine import Engine
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from services.standby_page.serve import serve


def _kube(kubeconfig: str | None) -> KubeAPI:
    return KubernetesAPI.from_environment(config_file=kubeconfig, timeout=10.0)


def _simulator(root: Path) -> tuple[Callable[[], KubeAPI], Callable[[KubeObject], None]]:
    """Read the folder afresh on every call; apply a request as `foundry-platform simulate` would."""

    def load() -> KubeAPI:
        return MemoryKube(ClusterState(root))

    def apply(doc: KubeObject) -> None:
        engine = Engine(root, datetime.now(UTC).replace(microsecond=0))
        engine.advance()
        engine.apply(doc)
        engine.settle()
        engine.save()

    return load, apply


def standby_page(args: argparse.Namespace) -> int:
    return serve(args, _kube, _simulator)
