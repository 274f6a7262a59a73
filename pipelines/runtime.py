"""The one place an error becomes status and exit code (STYLE §7, DESIGN rules 2-4).

- success: effects, then outputs, status.yaml and workflow control; exit 0.
- UserError in a configure workflow: status.yaml (message + condition) and suspend; no output, so
  Kratix keeps the previous Work applied; exit 0 (Kratix applies status.yaml only after a zero exit:
  its status writer is the Job's main container, after the pipeline's init containers succeed).
- WaitError, and a UserError in a delete workflow: requeue (a suspended delete never resumes: a
  deleted object's spec cannot change).
- TransientError (5xx, timeouts, 409) and ForbiddenError (401/403, reason PlatformMisconfigured):
  requeue too; fixing RBAC changes no spec, so suspending would strand the resource.
- anything else is a bug: patch only `message` through the API (a failing container applies no
  status.yaml), print the traceback to the log, exit 1.

A requeue writes status.yaml (message, condition, attempt counter) and `retryAfter` with a bounded
backoff, no output, exit 0. Every status write is checked against the status ownership table
(foundry_lib.models.status): `conditions` never go through the API, and no writer writes another's keys.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from foundry_lib.adapters.kratix import KratixIO
from foundry_lib.conditions import condition
from foundry_lib.errors import ForbiddenError, FoundryError, TransientError, UserError, WaitError
from foundry_lib.kube import Kind, KubeAPI, KubeObject
from foundry_lib.models.status import CONDITIONS, Writer, check_status_write, pipeline_writer
from foundry_lib.outcome import Outcome, PatchStatus, WorkflowControl
from foundry_lib.retry import FIRST_DELAY, requeue, reset
from pipelines.effects import apply_effect

Decide = Callable[[KubeObject, KubeAPI, Mapping[str, str], datetime], Outcome]
BUG_MESSAGE = "internal error in the pipeline; the platform team can find the details in the pipeline logs"


def run_workflow(decide: Decide, *, io: KratixIO, kube: KubeAPI, kind: Kind, now: datetime) -> int:
    """Run one workflow against the Kratix files and the API; return the exit code."""
    obj = io.read_object()
    meta = obj.get("metadata") or {}
    namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name") or "")
    label = f"{kind.kind} {namespace}/{name} {io.action}"
    writer = pipeline_writer(kind)
    deleting = io.action == "delete"
    condition_type = "Deleted" if deleting else "Accepted"
    previous: Mapping[str, Any] = obj.get("status") or {}

    def wait(reason: str, message: str, first: timedelta = FIRST_DELAY, *, failed: bool = False) -> int:
        again = requeue(
            previous, condition_type=condition_type, reason=reason, message=message, first=first, now=now
        )
        check_status_write(kind, writer, again.status, via_api=False)
        io.write_status(again.status)
        io.write_control(again.control)
        print(f"{label}: {again.status['message']}", file=sys.stderr if failed else sys.stdout)
        return 0

    try:
        outcome = decide(obj, kube, io.env, now)
        status = reset(outcome.status, previous)
        _check_outcome(kind, writer, outcome, status)
        if not io.dry_run:
            if outcome.publish_status:  # before effects: whoever they wake up reads the new status
                published = {k: v for k, v in status.items() if k != CONDITIONS}
                kube.merge_patch_status(kind, namespace, name, replacing_patch(previous, published))
            for effect in outcome.effects:
                apply_effect(kube, effect)
        if outcome.outputs is not None:
            io.write_outputs(outcome.outputs)
        io.write_status(status)
        if outcome.control is not None:
            io.write_control(outcome.control)
        print(f"{label}: {status.get('message', 'done')}")
        return 0
    except WaitError as err:
        return wait(err.reason, err.message, err.retry_after)
    except UserError as err:
        _nudge(kube, io, err)
        if deleting:
            return wait(err.reason, err.message)
        refused = {
            "message": err.message,
            CONDITIONS: [condition(condition_type, False, err.reason, err.message, now)],
        }
        check_status_write(kind, writer, refused, via_api=False)
        io.write_status(refused)
        io.write_control(WorkflowControl(suspend=True, message=err.message))
        print(f"{label}: refused: {err.message}")
        return 0
    except ForbiddenError as err:
        return wait("PlatformMisconfigured", err.message, failed=True)
    except TransientError as err:
        return wait("TransientError", f"temporary failure, will retry: {err}", failed=True)
    except Exception:
        _publish_message(kube, io, kind, namespace, name, BUG_MESSAGE)
        traceback.print_exc()
        return 1


def _check_outcome(kind: Kind, writer: Writer, outcome: Outcome, status: Mapping[str, Any]) -> None:
    """Every status write of a successful run, against the ownership table (a violation is a bug)."""
    check_status_write(kind, writer, status, via_api=False)
    if outcome.publish_status:
        check_status_write(kind, writer, {k: v for k, v in status.items() if k != CONDITIONS}, via_api=True)
    for effect in outcome.effects:
        if isinstance(effect, PatchStatus):
            check_status_write(effect.kind, writer, effect.status, via_api=True)


def _nudge(kube: KubeAPI, io: KratixIO, err: UserError) -> None:
    """A refusal's safe re-run requests; best effort, the refusal stands either way."""
    if io.dry_run:
        return
    for nudge in err.nudges:
        try:
            apply_effect(kube, nudge)
        except FoundryError as failed:
            print(f"could not ask {nudge.kind.kind} {nudge.name} to re-run: {failed}", file=sys.stderr)


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


def _publish_message(
    kube: KubeAPI, io: KratixIO, kind: Kind, namespace: str, name: str, message: str
) -> None:
    """Before a failing exit (no status.yaml applies): `message` alone, never `conditions`.
    Best effort: the API may be what failed; never mask the original error."""
    if io.dry_run:
        return
    try:
        kube.merge_patch_status(kind, namespace, name, {"message": message})
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
