"""The simulated Destination's state store: where Works land, and whether a GitOps agent could apply them.

Kratix (syntasso/kratix, `getDir` in internal/controller/workplacement_controller.go) writes a
Destination's files to
    <destination>/resources/<rr-namespace>/<promise>/<rr-name>/<pipeline>/<dir-sha>/<file>
    <destination>/dependencies/<promise>/<pipeline>/<dir-sha>/<file>
A Promise's `spec.dependencies` become one Work (`applyWorkForStaticDependencies` in
promise_controller.go, `NewPromiseDependenciesWork` in api/v1alpha1/work_types.go): no resource and
no pipeline name, one file `static/<promise>-dependencies.yaml` holding the objects, scheduled to
every Destination matching the Promise's `destinationSelectors`; it is updated when the Promise
changes and deleted with the Promise or when its dependencies become empty.

The simulator has one Destination, matching every selector, whose folder is `statestore/`. Resource
Works keep the simulator's layout `<promise>/<ns>/<name>/<pipeline>/<file>` (no `resources/` level,
no dir-sha: one workload group per pipeline). Dependencies mirror Kratix's scheme the same way:
`dependencies/<promise>/static/<promise>-dependencies.yaml` (no pipeline name, as in Kratix; no
dir-sha). No Promise is named `dependencies`, so the two never meet.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

DEPENDENCIES = "dependencies"  # Kratix's dependenciesDir


def resource_work(store: Path, promise: str, namespace: str, name: str, pipeline: str) -> Path:
    """The folder holding what one pipeline of one resource last wrote to /kratix/output."""
    return store / promise / namespace / name / pipeline


def replace_resource_work(
    store: Path, promise: str, namespace: str, name: str, pipeline: str, output: Path
) -> None:
    target = resource_work(store, promise, namespace, name, pipeline)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(output, target)


def remove_resource_works(store: Path, promise: str, namespace: str, name: str) -> None:
    """Kratix deletes a deleted resource's Works before it removes the resource's finalizers."""
    shutil.rmtree(store / promise / namespace / name, ignore_errors=True)


def dependencies_file(store: Path, promise: str) -> Path:
    return store / DEPENDENCIES / promise / "static" / f"{promise}-dependencies.yaml"


def write_dependencies(store: Path, works: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
    """Each Promise's dependencies Work, as the Promise controller keeps it: written when missing or
    different, left alone when equal (idempotent), removed for a Promise that has none (or is gone)."""
    for promise, objects in works.items():
        if not objects:
            continue
        path = dependencies_file(store, promise)
        text = yaml.safe_dump_all(list(objects), sort_keys=False)
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    base = store / DEPENDENCIES
    for folder in sorted(base.iterdir()) if base.is_dir() else []:
        if not works.get(folder.name):
            shutil.rmtree(folder)


def works(store: Path) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """Every file in the state store as (Work, file, objects), in path order. A Work is named as a
    user finds it: `<promise> <ns>/<name> <pipeline>` for a resource's, `<promise> dependencies`."""
    for path in sorted(store.rglob("*.yaml")) if store.is_dir() else []:
        parts = path.relative_to(store).parts
        if parts[0] == DEPENDENCIES:
            work, file = f"{parts[1]} {DEPENDENCIES}", "/".join(parts[2:])
        else:
            work, file = f"{parts[0]} {parts[1]}/{parts[2]} {parts[3]}", "/".join(parts[4:])
        objects = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
        yield work, file, objects


def duplicate_emitters(store: Path) -> list[str]:
    """A FAILED line for every object two Works (or one Work twice) emit: the GitOps agent would
    refuse them (Flux: duplicate IDs) or two Kustomizations would fight over it (DESIGN rule 1)."""
    emitters: dict[tuple[str, str, str, str], list[str]] = {}
    for work, file, objects in works(store):
        for obj in objects:
            meta = obj.get("metadata") or {}
            group = str(obj.get("apiVersion", "")).rpartition("/")[0]
            key = (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name")))
            emitters.setdefault(key, []).append(f"{work} ({file})")
    lines = []
    for (group, kind, namespace, name), found in emitters.items():
        if len(found) > 1:
            what = f"{kind}{'.' + group if group else ''} {namespace + '/' if namespace else ''}{name}"
            lines.append(
                f"FAILED: {what} is emitted by {len(found)} Works: {' and '.join(found)}; Flux refuses "
                "a duplicate ID (and two Kustomizations applying one object fight over it): one emitter "
                "per object"
            )
    return lines
