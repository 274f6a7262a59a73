"""The one place an error becomes status and exit code (STYLE §7, DESIGN rule 4).

- success: effects, then outputs, status.yaml and workflow control; exit 0.
- UserError: publish the reason through the API (condition + message), write status.yaml and suspend;
  no output is written, so Kratix keeps the previous Work applied; exit 0.
- WaitError: something must happen first (a copy's source must stop): write status.yaml and
  `retryAfter`, no output (the previous Work stays); exit 0.
- TransientError: publish the reason, exit 1 (Kratix retries; a failed container applies nothing).
- anything else is a bug: publish a short message, print the traceback to the log, exit 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.conditions import condition
from foundry_lib.errors import TransientError, UserError, WaitError
from foundry_lib.kube import Kind, KubeAPI, KubeObject
from foundry_lib.outcome import Outcome, WorkflowControl
from pipelines.effects import apply_effect

Decide = Callable[[KubeObject, KubeAPI, Mapping[str, str], datetime], Outcome]
CONDITION = "Accepted"


def run_workflow(decide: Decide, *, io: KratixIO, kube: KubeAPI, kind: Kind, now: datetime) -> int:
    """Run one workflow against the Kratix files and the API; return the exit code."""
    obj = io.read_object()
    meta = obj.get("metadata") or {}
    namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
    label = f"{kind.kind} {namespace}/{name} {io.action}"
    try:
        outcome = decide(obj, kube, io.env, now)
        if not io.dry_run:
            if outcome.publish_status:  # before effects: whoever they wake up reads the new status
                patch = replacing_patch(obj.get("status") or {}, outcome.status)
                kube.merge_patch_status(kind, namespace, name, patch)
            for effect in outcome.effects:
                apply_effect(kube, effect)
        if outcome.outputs is not None:
            io.write_outputs(outcome.outputs)
        io.write_status(outcome.status)
        if outcome.control is not None:
            io.write_control(outcome.control)
        print(f"{label}: {outcome.status.get('message', 'done')}")
        return 0
    except UserError as err:
        status = {
            "message": err.message,
            "conditions": [condition(CONDITION, False, err.reason, err.message, now)],
        }
        _publish(kube, io, kind, namespace, name, status)
        if not io.dry_run:
            for nudge in err.nudges:
                apply_effect(kube, nudge)
        io.write_status(status)
        io.write_control(WorkflowControl(suspend=True, message=err.message))
        print(f"{label}: refused: {err.message}")
        return 0
    except WaitError as err:
        status = {
            "message": err.message,
            "conditions": [condition(CONDITION, False, err.reason, err.message, now)],
        }
        io.write_status(status)
        io.write_control(WorkflowControl(retry_after=err.retry_after, message=err.message))
        print(f"{label}: waiting: {err.message}")
        return 0
    except TransientError as err:
        message = f"temporary failure, will retry: {err}"
        status = {
            "message": message,
            "conditions": [condition(CONDITION, False, "TransientError", message, now)],
        }
        _publish(kube, io, kind, namespace, name, status)
        print(f"{label}: {message}", file=sys.stderr)
        return 1
    except Exception:
        message = (
            "internal error in the pipeline; the platform team can find the details in the pipeline logs"
        )
        status = {
            "message": message,
            "conditions": [condition(CONDITION, False, "InternalError", message, now)],
        }
        _publish(kube, io, kind, namespace, name, status)
        traceback.print_exc()
        return 1


def replacing_patch(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """A merge patch giving each key of `new` exactly its new value, as Kratix's top-level status merge
    does: keys nested under it that `new` no longer has are deleted (null), not left behind."""
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, Mapping) and isinstance(before, Mapping):
            patch[key] = replacing_patch(before, value) | {k: None for k in before if k not in value}
        else:
            patch[key] = value
    return patch


def _publish(
    kube: KubeAPI, io: KratixIO, kind: Kind, namespace: str, name: str, status: dict[str, Any]
) -> None:
    """Best effort: the API may be what failed; never mask the original error."""
    if io.dry_run:
        return
    try:
        kube.merge_patch_status(kind, namespace, name, status)
    except Exception as err:
        print(f"could not publish status: {err}", file=sys.stderr)


def entrypoint(decide: Decide, kind: Kind, description: str) -> Callable[[], None]:
    """A console script's main(): parse --help, build the real adapters, run, exit."""

    def main(argv: list[str] | None = None) -> None:
        parser = argparse.ArgumentParser(description=description, epilog=_EPILOG)
        parser.parse_args(argv)
        from foundry_lib.adapters.kubernetes_api import KubernetesAPI

        io = KratixIO(Path(os.environ.get("KRATIX_ROOT", "/kratix")), os.environ)
        try:
            kube = KubernetesAPI.from_environment()
        except Exception as err:
            print(f"cannot reach the Kubernetes API: {err}", file=sys.stderr)
            sys.exit(1)
        sys.exit(run_workflow(decide, io=io, kube=kube, kind=kind, now=datetime.now(UTC)))

    return main


_EPILOG = (
    "Runs inside a Kratix pipeline container: reads /kratix/input/object.yaml, writes /kratix/output and "
    "/kratix/metadata (KRATIX_ROOT overrides /kratix). Configuration comes from FOUNDRY_* environment "
    "variables set in the Promise; KRATIX_DRY_RUN=true renders without API side effects."
)
