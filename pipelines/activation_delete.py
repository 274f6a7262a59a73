"""FoundryActivationRequest delete: a withdrawn request leaves nothing behind."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, KubeAPI, KubeObject
from foundry_lib.outcome import Outcome
from pipelines.runtime import entrypoint


def decide(obj: KubeObject, kube: KubeAPI, env: Mapping[str, str], now: datetime) -> Outcome:
    return Outcome(outputs=None, status={"message": "withdrawn"})


main = entrypoint(decide, FOUNDRY_ACTIVATION_REQUEST, "FoundryActivationRequest delete pipeline (Kratix).")
