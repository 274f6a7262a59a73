"""Promise workflows as the simulator needs them, read from the same Promise definitions we ship."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from foundry_lib.kube import Kind, kind_of
from foundry_lib.promises import all_promises

DEFAULT_IMAGE = "foundry-platform:simulator"


@dataclass(frozen=True)
class Pipeline:
    name: str
    command: str
    env: dict[str, str]


@dataclass(frozen=True)
class PromiseWorkflows:
    promise: str
    kind: Kind
    configure: tuple[Pipeline, ...]
    delete: tuple[Pipeline, ...]


def _pipelines(promise: dict[str, Any], action: str) -> tuple[Pipeline, ...]:
    found = []
    for pipeline in promise["spec"]["workflows"]["resource"].get(action) or []:
        container = pipeline["spec"]["containers"][0]
        env = {e["name"]: str(e.get("value", "")) for e in container.get("env") or [] if "value" in e}
        found.append(Pipeline(pipeline["metadata"]["name"], container["command"][0], env))
    return tuple(found)


def load_workflows() -> dict[str, PromiseWorkflows]:
    """By CRD kind name (FoundryInstance, ...)."""
    out = {}
    for name, promise in all_promises(DEFAULT_IMAGE).items():
        crd = promise["spec"]["api"]
        kind = kind_of(
            {
                "apiVersion": f"{crd['spec']['group']}/{crd['spec']['versions'][0]['name']}",
                "kind": crd["spec"]["names"]["kind"],
            }
        )
        out[kind.kind] = PromiseWorkflows(
            name, kind, _pipelines(promise, "configure"), _pipelines(promise, "delete")
        )
    return out
