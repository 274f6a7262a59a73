"""Promise workflows and dependencies as the simulator needs them, read from the same Promise
definitions `make promises` renders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from foundry_lib.errors import UserError
from foundry_lib.kube import Kind, kind_of
from foundry_lib.promise_definitions import PROMISES
from foundry_lib.promises import all_promises
from foundry_lib.settings import PlatformSettings
from foundry_platform.simulator.errors import SimulationError

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


def promise_dependencies(
    workflows: Mapping[str, PromiseWorkflows], overrides: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """Each Promise's `spec.dependencies` (by Promise name; empty when it has none) as the site's
    settings overlay leaves them: the overlay copies the same settings into the pipelines' env and
    into the dependencies, so they are rendered from the Promise's pipeline env with the run's
    `--set` overrides. With no overrides they are exactly the generated Promise's."""
    out: dict[str, list[dict[str, Any]]] = {}
    for definition in PROMISES:
        flows = workflows[definition.kind.kind]
        if definition.dependencies is None:
            out[definition.name] = []
            continue
        out[definition.name] = definition.dependencies(platform_settings(flows, overrides))
    return out


def platform_settings(flows: PromiseWorkflows | None, overrides: Mapping[str, str]) -> PlatformSettings:
    """The settings a Promise's pipelines run with: its configure pipeline's env and the run's `--set`
    overrides; invalid ones stop the simulation, naming each variable."""
    env = {**(flows.configure[0].env if flows and flows.configure else {}), **overrides}
    try:
        return PlatformSettings.from_env(env)
    except UserError as err:
        raise SimulationError(err.message) from None
