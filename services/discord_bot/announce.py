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
from collections.abc import Sequence

import discord

from foundry_lib.conditions import rfc3339
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, KubeObject
from services.discord_bot.approval_buttons import approval_view
from services.discord_bot.approval_messages import (
    NO_PINGS,
    POSTED,
    SHOWN,
    announcement,
    decided_text,
    message_ref,
    outcome,
    posted_patch,
    shown_patch,
    without_buttons,
)
from services.discord_bot.runner import BotDeps

_OPEN = ("", "Pending")
Requests = Sequence[tuple[str, KubeObject]]  # (namespace, request)


async def served_requests(deps: BotDeps) -> list[tuple[str, KubeObject]]:
    """Every activation request in the served namespaces: one list per namespace, which a pass of
    the announcer reads once for both `post_pending` and `update_posted`."""
    found: list[tuple[str, KubeObject]] = []
    for namespace in sorted(deps.settings.access.namespaces):
        listed = await asyncio.to_thread(deps.kube.list, FOUNDRY_ACTIVATION_REQUEST, namespace)
        found.extend((namespace, request) for request in listed)
    return found


async def post_pending(
    deps: BotDeps, channel: discord.abc.Messageable, requests: Requests | None = None
) -> int:
    """Posts every open, undecided, not yet posted request (of `requests`, else listed in the served
    namespaces); returns how many."""
    posted = 0
    for namespace, request in requests if requests is not None else await served_requests(deps):
        meta, spec = request.get("metadata") or {}, request.get("spec") or {}
        phase = str((request.get("status") or {}).get("phase") or "")
        if spec.get("decision") or phase not in _OPEN or POSTED in (meta.get("annotations") or {}):
            continue
        name = str(meta["name"])
        view = approval_view(namespace, name)
        try:
            if view is None:
                message = await channel.send(without_buttons(request), allowed_mentions=NO_PINGS)
            else:
                message = await channel.send(announcement(request), view=view, allowed_mentions=NO_PINGS)
        except discord.HTTPException as err:  # this one only: the others are still posted
            deps.log(f"could not post activation request {namespace}/{name}: {err}; trying again later")
            continue
        patch = posted_patch(rfc3339(deps.clock()), message.channel.id, message.id)
        await asyncio.to_thread(deps.kube.merge_patch, FOUNDRY_ACTIVATION_REQUEST, namespace, name, patch)
        deps.log(f"posted activation request {namespace}/{name} for approval")
        posted += 1
    return posted


async def update_posted(deps: BotDeps, client: discord.Client, requests: Requests | None = None) -> int:
    """Edits the message of every posted request (of `requests`, else listed in the served
    namespaces) whose outcome differs from what it shows; returns how many it edited. A message
    someone deleted is left alone: nothing is left to edit."""
    edited = 0
    for namespace, request in requests if requests is not None else await served_requests(deps):
        annotations = (request.get("metadata") or {}).get("annotations") or {}
        where, now = message_ref(annotations), outcome(request)
        if where is None or now is None or annotations.get(SHOWN) == now:
            continue
        name = str(request["metadata"]["name"])
        message = client.get_partial_messageable(where[0]).get_partial_message(where[1])
        try:
            await message.edit(content=decided_text(request), view=None, allowed_mentions=NO_PINGS)
            deps.log(f"approval message of {namespace}/{name} now shows {now}")
        except discord.NotFound:
            deps.log(f"approval message of {namespace}/{name} was deleted in Discord; not edited")
        except discord.HTTPException as err:
            deps.log(f"could not edit the approval message of {namespace}/{name}: {err}; trying again later")
            continue
        patch = shown_patch(now)
        await asyncio.to_thread(deps.kube.merge_patch, FOUNDRY_ACTIVATION_REQUEST, namespace, name, patch)
        edited += 1
    return edited


async def announce(
    deps: BotDeps, channel: discord.abc.Messageable, client: discord.Client
) -> tuple[int, int]:
    """One pass of the announcer: the requests listed once, new ones posted, changed ones edited;
    returns (posted, edited)."""
    requests = await served_requests(deps)
    return await post_pending(deps, channel, requests), await update_posted(deps, client, requests)
