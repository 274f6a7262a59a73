"""The readable summary `simulate` prints: one line per resource, what a user wants to know."""

from __future__ import annotations

from typing import Any

from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.simulator.state import ClusterState


def _phase(obj: dict[str, Any]) -> str:
    status = obj.get("status") or {}
    if (obj.get("metadata") or {}).get("deletionTimestamp"):
        return "Deleting"
    if "phase" in status:
        return str(status["phase"])
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    accepted = conditions.get("Accepted")
    workflow = conditions.get("ConfigureWorkflowCompleted") or {}
    reconciled = conditions.get("Reconciled") or {}
    if workflow.get("reason") == "ConfigureWorkflowFailed":
        return "Failed"
    if accepted and accepted.get("status") == "False":
        return "Refused" if accepted.get("reason") != "TransientError" else "Retrying"
    if reconciled.get("reason") == "WorkflowSuspended":
        return "Waiting"
    return "Ready" if accepted else "Pending"


def _volumes(status: dict[str, Any]) -> str:
    volumes = status.get("volumes") or {}
    return ",".join(f"{k}={(v or {}).get('mode', '?')}" for k, v in sorted(volumes.items())) or "-"


def summarize(state: ClusterState) -> str:
    lines = []
    for lic in state.of_kind(FOUNDRY_LICENSE):
        status = lic.get("status") or {}
        lines.append(
            f"FoundryLicense  {lic['metadata']['namespace']}/{lic['metadata']['name']}  [{_phase(lic)}]  "
            f"active={status.get('activeInstance') or '-'}  {status.get('message', '')}"
        )
    for inst in state.of_kind(FOUNDRY_INSTANCE):
        status = inst.get("status") or {}
        version = (status.get("foundryVersion") or {}).get("resolved", "-")
        active = "active" if status.get("isActive") else "standby"
        players = status.get("connectedPlayers")
        lines.append(
            f"FoundryInstance {inst['metadata']['namespace']}/{inst['metadata']['name']}  [{_phase(inst)}]  "
            f"{active}  version={version}  volumes={_volumes(status)}"
            + (f"  players={players}" if players is not None else "")
            + f"  {status.get('url', '')}\n    {status.get('message', '')}"
        )
    for req in state.of_kind(FOUNDRY_ACTIVATION_REQUEST):
        status = req.get("status") or {}
        lines.append(
            f"FoundryActivationRequest {req['metadata']['namespace']}/{req['metadata']['name']}  "
            f"[{_phase(req)}]  {status.get('message', '')}"
        )
    return "\n".join(lines) if lines else "(no resources)"
