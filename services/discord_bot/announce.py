"""The announcer's two passes over the served namespaces' activation requests.

`post_pending` posts each open request (from the standby page, or `update activate` by users who may
only ask) once to the approval channel (FOUNDRY_DISCORD_APPROVAL_CHANNEL) with Approve / Deny, and
records where (annotations, see `approval_messages`), so a restarted bot does not post it again; the
buttons keep working after a restart because their custom_ids name the request.

`update_posted` brings posted messages up to date when their request's outcome changed elsewhere (the
`vtt` commands, kubectl, the request expiring, the activation completing or being refused): the
message shows the outcome and loses its buttons, once per change.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import discord

from foundry_lib.conditions import rfc3339
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST
from services.discord_bot.app import BotDeps, approval_view
from services.discord_bot.approval_messages import (
    POSTED,
    SHOWN,
    announcement,
    decided_text,
    message_ref,
    outcome,
    posted_patch,
    shown_patch,
)

_OPEN = ("", "Pending")

# Posts a text with its buttons; returns (channel id, message id) of the message it made.
Send = Callable[[str, discord.ui.View], Awaitable[tuple[int, int]]]
# Replaces a posted message's text and removes its buttons; False when the message is gone.
Edit = Callable[[int, int, str], Awaitable[bool]]


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
            channel_id, message_id = await send(announcement(request), approval_view(namespace, name))
            patch = posted_patch(rfc3339(deps.clock()), channel_id, message_id)
            await asyncio.to_thread(deps.kube.merge_patch, FOUNDRY_ACTIVATION_REQUEST, namespace, name, patch)
            deps.log(f"posted activation request {namespace}/{name} for approval")
            posted += 1
    return posted


async def update_posted(deps: BotDeps, edit: Edit) -> int:
    """Edits the message of every posted request whose outcome differs from what it shows; returns
    how many it edited."""
    edited = 0
    for namespace in sorted(deps.settings.access.namespaces):
        for request in await asyncio.to_thread(deps.kube.list, FOUNDRY_ACTIVATION_REQUEST, namespace):
            annotations = (request.get("metadata") or {}).get("annotations") or {}
            where, now = message_ref(annotations), outcome(request)
            if where is None or now is None or annotations.get(SHOWN) == now:
                continue
            name = str(request["metadata"]["name"])
            if await edit(*where, decided_text(request)):
                deps.log(f"approval message of {namespace}/{name} now shows {now}")
            else:
                deps.log(f"approval message of {namespace}/{name} is gone; it stays as it was")
            patch = shown_patch(now)
            await asyncio.to_thread(deps.kube.merge_patch, FOUNDRY_ACTIVATION_REQUEST, namespace, name, patch)
            edited += 1
    return edited
