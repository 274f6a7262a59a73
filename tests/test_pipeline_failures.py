"""Pipeline console scripts against the API emulator when things go wrong or must wait.

Run as Kratix runs them (a separate process, KRATIX_ROOT, a kubeconfig): API failures and waiting
deletes requeue with `retryAfter` and a message in status.yaml, exit 0 and write no output.
"""

from __future__ import annotations

from pathlib import Path

import kmock
import pytest
from conftest import resource_key
from test_pipeline_process import (
    INSTANCE,
    NS,
    SCRIPTS,
    _instance,
    _license,
    _path,
    _populate,
    _requests,
    _run_pipeline,
    emulator,
)

from foundry_lib.kube import FOUNDRY_INSTANCE

__all__ = ["emulator"]  # the fixture, shared with the process tests


@pytest.mark.parametrize(
    ("code", "method", "reason", "says"),
    [
        (500, "get", "TransientError", "failed: HTTP 500"),
        (409, "patch", "TransientError", "conflict, the object changed meanwhile"),
        (403, "get", "PlatformMisconfigured", f"may not get foundrylicenses in namespace {NS}: grant it"),
    ],
    ids=["500", "409", "403"],
)
async def test_api_failures_requeue_with_a_message_and_no_output(
    emulator: kmock.KubernetesEmulator, tmp_path: Path, code: int, method: str, reason: str, says: str
) -> None:
    _populate(emulator, _license(), _instance())
    emulator[method] << code << {"kind": "Status", "code": code, "message": "refused"}
    run = await _run_pipeline(emulator, tmp_path, _instance())

    assert run.code == 0, run.stderr
    assert run.files("output") == {}  # Kratix keeps the previous Work
    assert run.read("metadata/workflow-control.yaml")["retryAfter"] == "15s"
    status = run.read("metadata/status.yaml")
    assert says in status["message"] and "next try in 15s" in status["message"]
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("Accepted", "False", reason)
    ]
    assert status["retry"] == {"attempts": 1, "reason": reason}
    status_path = _path(FOUNDRY_INSTANCE, INSTANCE) + "/status"
    assert [r for r in _requests(emulator, "patch") if r.url.path == status_path] == []


async def test_a_license_delete_waits_for_live_instances_only_and_never_suspends(
    emulator: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    gone = _instance()
    gone["metadata"] = {**gone["metadata"], "name": "old", "deletionTimestamp": "2026-11-28T19:00:00Z"}
    lic = _license()
    lic["metadata"] = {**lic["metadata"], "namespace": NS, "deletionTimestamp": "2026-11-28T19:00:00Z"}
    _populate(emulator, lic, _instance(), gone)
    delete = SCRIPTS / "foundry-license-delete"
    waiting = await _run_pipeline(emulator, tmp_path / "first", lic, delete, "delete")

    assert waiting.code == 0, waiting.stderr
    assert waiting.read("metadata/workflow-control.yaml")["retryAfter"] == "15s"
    assert f"still used by {INSTANCE}:" in waiting.read("metadata/status.yaml")["message"]

    del emulator.objects[
        resource_key(FOUNDRY_INSTANCE), NS, INSTANCE
    ]  # the live instance goes; "old" is going
    done = await _run_pipeline(emulator, tmp_path / "again", lic, delete, "delete")
    assert done.code == 0, done.stderr
    assert not (done.root / "metadata" / "workflow-control.yaml").exists()
    assert done.read("metadata/status.yaml")["message"] == "deleted: no instance uses this license"
    assert _requests(emulator, "patch") == []
