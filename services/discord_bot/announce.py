"""Open activation requests (from the standby page, or `update activate` by users who may only ask)
posted once each to the approval channel (FOUNDRY_DISCORD_APPROVAL_CHANNEL) with Approve / Deny.

A request is marked posted by an annotation, so a restarted bot does not post it again; the buttons
it posted keep working after a restart because their custom_ids name the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import discord

from foundry_lib.conditions import rfc3339
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST
from services.discord_bot.app import BotDeps, approval_view

POSTED = "foundry.platform/discord-posted"
_OPEN = ("", "Pending")

Send = Callable[[str, discord.ui.View], Awaitable[None]]


def announcement(request: Mapping[str, Any]) -> str:
    """What the channel reads: who asks (a mention or the name they typed), for what, why."""
    meta, spec = request.get("metadata") or {}, request.get("spec") or {}
    by = spec.get("requestedBy") or {}
    who = f"<@{by['discordUserId']}>" if by.get("discordUserId") else (by.get("displayName") or "someone")
    source = "the standby page" if by.get("source") == "standby-page" else str(by.get("source") or "")
    instance = (spec.get("instanceRef") or {}).get("name")
    text = f"{who} asks to activate **{instance}** ({meta.get('namespace')}, from {source})"
    reason = str(spec.get("reason") or "")
    return f"{text}: {reason[:500]}" if reason else text


async def post_pending(deps: BotDeps, send: Send) -> int:
    """Posts every open, undecided, not yet posted request in the served namespaces; returns how many."""
    posted = 0
    for namespace in sorted(deps.settings.access.namespaces):
        for request in await asyncio.to_thread(deps.kube.list, FOUNDRY_ACTIVATION_REQUEST, namespace):
            meta, spec = request.get("metadata") or {}, request.get("spec") or {}
            phase = str((request.get("status") or {}).get("phase") or "")
            if spec.get("decision") or phase not in _OPEN or POSTED in (meta.get("annotations") or {}):
                continue
            name = str(meta["name"])
            await send(announcement(request), approval_view(namespace, name))
            patch = {"metadata": {"annotations": {POSTED: rfc3339(deps.clock())}}}
            await asyncio.to_thread(deps.kube.merge_patch, FOUNDRY_ACTIVATION_REQUEST, namespace, name, patch)
            deps.log(f"posted activation request {namespace}/{name} for approval")
            posted += 1
    return posted
