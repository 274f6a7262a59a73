"""What a posted approval message says, and which outcome of its request it shows.

A posted FoundryActivationRequest carries annotations: POSTED (when), MESSAGE ("<channel id>/<message
id>", where it was posted) and, once the message was brought up to date, SHOWN (the outcome the message
shows). Its outcome is the status phase once the activation pipeline has acted (Approved or a finished
phase), else the decision someone wrote (shown under the phase it leads to), else none: still open.
The message is edited whenever the outcome differs from SHOWN; finished phases never change, so after
a final state it is never edited again, and a restarted bot reads the same annotations.

Requesters type the display name and reason, so those (and every status message) are shown as plain
text on one line: markdown escaped, `@` defused, cut to size. Posts and edits also allow no mentions,
and every text fits Discord's 2000 characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import discord

from foundry_lib.activation import FINISHED, Phase
from foundry_lib.activation_policy import parse_time

POSTED = "foundry.platform/discord-posted"
MESSAGE = "foundry.platform/discord-message"
SHOWN = "foundry.platform/discord-shown"
NO_PINGS = discord.AllowedMentions.none()
DISCORD_LIMIT = 2000
_SETTLED = frozenset({Phase.APPROVED.value, *(p.value for p in FINISHED)})
_ID = re.compile(r"[0-9]{1,20}")
_PERSON = re.compile(r"discord:([0-9]{1,20})\b")


def announcement(request: Mapping[str, Any], *, decided: bool = False) -> str:
    """The request: who asks (a mention or the name they typed), for what, from where, why."""
    meta, spec = request.get("metadata") or {}, request.get("spec") or {}
    by = spec.get("requestedBy") or {}
    user = str(by.get("discordUserId") or "")
    who = f"<@{user}>" if _ID.fullmatch(user) else _plain(by.get("displayName") or "someone", 100)
    source = by.get("source")
    where = "the standby page" if source == "standby-page" else _plain(source, 40)
    instance = _plain((spec.get("instanceRef") or {}).get("name"), 253)
    verb = "asked" if decided else "asks"
    place = _plain(meta.get("namespace"), 63) + (f", from {where}" if where else "")
    text = f"{who} {verb} to activate **{instance}** ({place})"
    reason = _plain(spec.get("reason"), 500)
    return _fit(f"{text}: {reason}" if reason else text)


def without_buttons(request: Mapping[str, Any]) -> str:
    """The announcement when buttons cannot name the request (see `approval_buttons.approval_view`):
    an activator activates the instance instead, which completes the request."""
    instance = _plain(((request.get("spec") or {}).get("instanceRef") or {}).get("name"), 253)
    hint = (
        "No Approve / Deny buttons: this request's name is too long for them. An activator approves it "
        f"by activating {instance}: /vtt-update instance:{instance} what:activate"
    )
    return _fit(f"{announcement(request)}\n{hint}")


def outcome(request: Mapping[str, Any]) -> str | None:
    """The outcome a posted message should show, None while the request is open and undecided."""
    phase = str((request.get("status") or {}).get("phase") or "")
    if phase in _SETTLED:
        return phase
    decision = (request.get("spec") or {}).get("decision")
    if isinstance(decision, Mapping):
        return Phase.APPROVED.value if decision.get("approved") is True else Phase.DENIED.value
    return None


def decided_text(request: Mapping[str, Any]) -> str:
    """The message once decided: the request, who decided and when, and what the platform says."""
    spec, status = request.get("spec") or {}, request.get("status") or {}
    lines = [announcement(request, decided=True)]
    decision = spec.get("decision")
    if isinstance(decision, Mapping):
        verb = "Approved" if decision.get("approved") is True else "Denied"
        by = str(decision.get("by") or "")
        who = f"<@{found[1]}>" if (found := _PERSON.fullmatch(by)) else _plain(by or "someone", 100)
        at = parse_time(decision.get("at")) or parse_time(status.get("decidedAt"))
        when = f" at {at:%Y-%m-%d %H:%M} UTC" if at is not None else ""
        lines.append(f"**{verb}** by {who}{when}.")
    phase = str(status.get("phase") or "")
    if phase in _SETTLED and not (phase == Phase.DENIED and isinstance(decision, Mapping)):
        # (a Denied phase's message only repeats the decision above)
        said = _plain(status.get("message"), 600)
        said = _PERSON.sub(r"<@\1>", said)
        lines.append(f"**{phase}**: {said}" if said else f"**{phase}**")
    return _fit("\n".join(lines))


def gone_text(name: str) -> str:
    """A pressed message whose request was deleted before anyone decided it."""
    return f"Activation request {_plain(name, 253)} no longer exists: nothing to decide."


def message_ref(annotations: Mapping[str, Any]) -> tuple[int, int] | None:
    """The (channel id, message id) a request was posted as, None when unknown or unreadable."""
    found = re.fullmatch(r"([0-9]{1,20})/([0-9]{1,20})", str(annotations.get(MESSAGE) or ""))
    return (int(found[1]), int(found[2])) if found else None


def posted_patch(at: str, channel_id: int, message_id: int) -> dict[str, Any]:
    return {"metadata": {"annotations": {POSTED: at, MESSAGE: f"{channel_id}/{message_id}"}}}


def shown_patch(shown: str) -> dict[str, Any]:
    return {"metadata": {"annotations": {SHOWN: shown}}}


def _plain(value: object, limit: int) -> str:
    """Someone's text as one line of plain text: no markdown, no mentions, at most `limit` characters
    before escaping."""
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return discord.utils.escape_markdown(text).replace("@", "@\u200b")


def _fit(text: str) -> str:
    return text if len(text) <= DISCORD_LIMIT else text[: DISCORD_LIMIT - 1] + "…"
