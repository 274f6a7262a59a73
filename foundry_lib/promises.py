"""The three Kratix Promises as plain data, assembled from their parts (DESIGN §3, STYLE 2).

Each Promise carries its resource API as a CRD generated from the spec model (`promise_crd`) and two
resource workflows (`promise_pipelines`, with the permissions of `pipeline_permissions`). Every Promise
is scheduled by the same `destinationSelectors`, names the Promises it needs (`requiredPromises`) and
carries the release version (`kratix.io/promise-version`) (`promise_release`). The license Promise also
ships, as `dependencies`, the standby page's namespace and Service its routes point at
(`manifests.standby`): Kratix writes them to every Destination the Promise schedules to. What differs
between the three is in `promise_definitions`.
"""

from __future__ import annotations

from typing import Any

from foundry_lib.promise_crd import render_crd
from foundry_lib.promise_definitions import PROMISE_NAMES, PROMISES, Action
from foundry_lib.promise_pipelines import render_pipeline
from foundry_lib.promise_release import PROMISE_VERSION_LABEL, PromiseRelease
from foundry_lib.settings import PlatformSettings


def all_promises(image: str, release: PromiseRelease | None = None) -> dict[str, dict[str, Any]]:
    """Every Promise, keyed by its name, in a fixed order."""
    return {name: render_promise(name, image=image, release=release) for name in PROMISE_NAMES}


def render_promise(name: str, *, image: str, release: PromiseRelease | None = None) -> dict[str, Any]:
    """One `platform.kratix.io/v1alpha1` Promise: the CRD of its kind and its two workflows."""
    definition = next((p for p in PROMISES if p.name == name), None)
    if definition is None:
        raise KeyError(f"unknown Promise {name!r}; known: {', '.join(PROMISE_NAMES)}")
    release = release or PromiseRelease()
    labels = {"app.kubernetes.io/part-of": "foundry-platform"}
    version = release.promise_version
    if version:
        labels[PROMISE_VERSION_LABEL] = version
    spec: dict[str, Any] = {"api": render_crd(definition)}
    if definition.dependencies is not None:
        # The pipelines' env defaults (`pipeline_env`) and these objects come from the same settings.
        spec["dependencies"] = definition.dependencies(PlatformSettings())
    spec["destinationSelectors"] = [{"matchLabels": dict(release.destination_selector)}]
    if definition.requires:
        spec["requiredPromises"] = [
            {"name": required} | ({"version": version} if version else {}) for required in definition.requires
        ]
    spec["workflows"] = {
        "resource": {action.value: [render_pipeline(definition, action, image)] for action in Action}
    }
    return {
        "apiVersion": "platform.kratix.io/v1alpha1",
        "kind": "Promise",
        "metadata": {"name": name, "labels": labels},
        "spec": spec,
    }
