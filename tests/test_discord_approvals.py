"""The approval message's lifecycle: posted once with Approve / Deny, edited to show who decided and
the outcome (by a press, or by the announcer when decided elsewhere), once per change, never after a
final state, also across a restart. kmock's Kubernetes emulator sits behind the real client; test
doubles stand in for the Discord interaction, channel and message only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import discord
import kmock
import pytest
from conftest import emulated_api, serve_kinds
from test_discord_bot import NOW, NS, SETTINGS

from foundry_lib.access import Principal
from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.kube import (
    EVENT,
    FOUNDRY_ACTIVATION_REQUEST,
    FOUNDRY_INSTANCE,
    FOUNDRY_KINDS,
    FOUNDRY_LICENSE,
)
from services.commands.approvals import decide_request
from services.commands.context import Context
from services.commands.settings import CommandSettings
from services.discord_bot.announce import announce, post_pending, update_posted
from services.discord_bot.app import Bot, build_tree
from services.discord_bot.approval_messages import MESSAGE, POSTED, SHOWN, announcement, decided_text
from services.discord_bot.main import FoundryBot
from services.discord_bot.runner import BotDeps

CHANNEL = 4242
OWNERSHIP = {"discordUserId": "1", "allowedActivators": [{"discordRoleId": "77"}]}


class Message:
    """A message in the approval channel: its text, its buttons and every edit's arguments."""

    def __init__(self, channel: Channel, message_id: int, content: str, view: discord.ui.View | None) -> None:
        self.channel, self.id, self.content, self.view = channel, message_id, content, view
        self.edits: list[dict[str, Any]] = []
        self.deleted = False

    async def edit(self, **kwargs: Any) -> None:
        if self.deleted:
            raise discord.NotFound(SimpleNamespace(status=404, reason="Not Found"), "Unknown Message")
        if self.channel.down:
            raise discord.HTTPException(SimpleNamespace(status=503, reason="Service Unavailable"), "down")
        self.edits.append(kwargs)
        self.content, self.view = kwargs["content"], kwargs["view"]

    @property
    def buttons(self) -> list[str]:
        children: list[Any] = self.view.children if self.view is not None else []
        return [c.custom_id for c in children]


class Channel:
    """The approval channel (what `post_pending` sends to) and the client's partial-message lookup
    (what `update_posted` edits through)."""

    def __init__(self) -> None:
        self.id = CHANNEL
        self.messages: list[Message] = []
        self.sent: list[dict[str, Any]] = []
        self.down = False  # Discord answers 503
        self.refused: set[str] = set()  # Discord answers 400 to a post with a button naming one of these

    async def send(self, content: str, **kwargs: Any) -> Message:
        buttons = kwargs["view"].children if "view" in kwargs else []
        if any(len(b.custom_id) > 100 for b in buttons):  # Discord's limit
            raise discord.HTTPException(SimpleNamespace(status=400, reason="Bad Request"), "custom_id")
        if self.down or any(r in b.custom_id for r in self.refused for b in buttons):
            raise discord.HTTPException(SimpleNamespace(status=400, reason="Bad Request"), "refused")
        self.sent.append({"content": content, **kwargs})
        self.messages.append(Message(self, 9000 + len(self.messages), content, kwargs.get("view")))
        return self.messages[-1]

    def get_partial_messageable(self, channel_id: int) -> Channel:
        assert channel_id == self.id
        return self

    def get_partial_message(self, message_id: int) -> Message:
        [found] = [m for m in self.messages if m.id == message_id]
        return found

    @property
    def edits(self) -> int:
        return sum(len(m.edits) for m in self.messages)


class Response:
    """An interaction's one response: a new message, or an edit of the message the button is on."""

    def __init__(self, message: Message) -> None:
        self.message = message
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, content: str, **kwargs: Any) -> None:
        self.sent.append({"content": content, **kwargs})

    async def edit_message(self, **kwargs: Any) -> None:
        await self.message.edit(**kwargs)


class Followup:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send(self, content: str, **kwargs: Any) -> None:
        self.sent.append({"content": content, **kwargs})


class Press:
    """A button press on `message` by a user holding `roles`."""

    def __init__(self, message: Message, user: int, *roles: int) -> None:
        self.user = SimpleNamespace(id=user, roles=[SimpleNamespace(id=r) for r in roles])
        self.message = message
        self.response = Response(message)
        self.followup = Followup()


@pytest.fixture
async def kube(kmock: kmock.KubernetesEmulator) -> AsyncIterator[KubernetesAPI]:
    serve_kinds(kmock, (*FOUNDRY_KINDS, EVENT))
    api = emulated_api(kmock)
    yield api
    api.close()


@pytest.fixture
def log() -> list[str]:
    return []


def _bot(kube: KubernetesAPI, log: list[str]) -> tuple[BotDeps, Bot]:
    """A bot process: its deps and its client's buttons (a new one is a restart)."""
    deps = BotDeps(kube, SETTINGS, (), lambda: NOW, log.append)
    return deps, build_tree(discord.Client(intents=discord.Intents(guilds=True)), deps)


@pytest.fixture
def bot(kube: KubernetesAPI, log: list[str]) -> tuple[BotDeps, Bot]:
    return _bot(kube, log)


@pytest.fixture
async def posted(kube: KubernetesAPI, bot: tuple[BotDeps, Bot]) -> tuple[Channel, Message]:
    """A license, its instance alpha and one activation request `ask`, posted to the channel."""
    await _create(kube, FOUNDRY_LICENSE, "guild", {"licenseSecretRef": {"name": "k"}, "ownership": OWNERSHIP})
    await _create(kube, FOUNDRY_INSTANCE, "alpha", {"licenseRef": {"name": "guild"}})
    await _create(kube, FOUNDRY_ACTIVATION_REQUEST, "ask", _spec(reason="session tonight"))
    channel = Channel()
    assert await post_pending(bot[0], channel) == 1  # type: ignore[arg-type]
    return channel, channel.messages[0]


async def _create(kube: KubernetesAPI, kind: Any, name: str, spec: dict[str, Any], **meta: Any) -> None:
    body = {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {"name": name, "namespace": NS, **meta},
        "spec": spec,
    }
    await asyncio.to_thread(kube.create, kind, NS, body)


def _spec(**fields: Any) -> dict[str, Any]:
    return {
        "instanceRef": {"name": "alpha"},
        "requestedBy": {"source": "standby-page", "displayName": "Mira"},
        **fields,
    }


async def _request(kube: KubernetesAPI, name: str = "ask") -> dict[str, Any]:
    found = await asyncio.to_thread(kube.get, FOUNDRY_ACTIVATION_REQUEST, NS, name)
    assert found is not None
    return found


async def _press(bot: Bot, verb: str, press: Press, name: str = "ask") -> None:
    item: Any = bot.approve if verb == "approve" else bot.deny
    match = item.__discord_ui_compiled_template__.fullmatch(f"vtt-{verb}:{NS}/{name}")
    button = await item.from_custom_id(press, None, match)
    await button.callback(press)


def _no_pings(kwargs: dict[str, Any]) -> bool:
    mentions = kwargs["allowed_mentions"]
    return isinstance(mentions, discord.AllowedMentions) and mentions.to_dict() == {"parse": []}


async def test_a_request_is_posted_once_with_its_buttons_and_where_it_went(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot], log: list[str]
) -> None:
    channel, message = posted
    assert (
        message.content
        == "Mira asks to activate **alpha** (tabletop, from the standby page): session tonight"
    )
    assert message.buttons == [f"vtt-approve:{NS}/ask", f"vtt-deny:{NS}/ask"]
    assert message.view is not None and message.view.is_persistent()
    assert _no_pings(channel.sent[0])
    annotations = (await _request(kube))["metadata"]["annotations"]
    assert annotations == {POSTED: "2026-11-28T20:00:00Z", MESSAGE: f"{CHANNEL}/9000"}
    assert await post_pending(bot[0], channel) == 0  # type: ignore[arg-type]
    assert await update_posted(bot[0], channel) == 0  # type: ignore[arg-type]  # open: nothing to show
    assert log == [f"posted activation request {NS}/ask for approval"]


async def test_decided_or_finished_requests_are_not_posted(
    kube: KubernetesAPI, bot: tuple[BotDeps, Bot]
) -> None:
    await _create(
        kube, FOUNDRY_ACTIVATION_REQUEST, "decided", _spec(decision={"approved": False, "by": "discord:1"})
    )
    await _create(
        kube, FOUNDRY_ACTIVATION_REQUEST, "old", _spec(), annotations={POSTED: "2026-11-28T19:00:00Z"}
    )
    await _create(kube, FOUNDRY_ACTIVATION_REQUEST, "expired", _spec())
    await asyncio.to_thread(
        kube.merge_patch_status, FOUNDRY_ACTIVATION_REQUEST, NS, "expired", {"phase": "Expired"}
    )
    channel = Channel()
    assert await post_pending(bot[0], channel) == 0  # type: ignore[arg-type]
    assert channel.messages == []


async def test_an_allowed_press_edits_the_message_and_decides(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot]
) -> None:
    channel, message = posted
    press = Press(message, 8, 77)
    await _press(bot[1], "approve", press)
    assert press.response.sent == [] and press.followup.sent == []
    assert message.content == (
        "Mira asked to activate **alpha** (tabletop, from the standby page): session tonight\n"
        "**Approved** by <@8> at 2026-11-28 20:00 UTC."
    )
    assert message.view is None and _no_pings(message.edits[0])
    request = await _request(kube)
    assert request["spec"]["decision"] == {
        "approved": True,
        "by": "discord:8",
        "roles": ["77"],
        "at": "2026-11-28T20:00:00Z",
    }
    assert request["metadata"]["annotations"][SHOWN] == "Approved"
    assert await update_posted(bot[0], channel) == 0  # type: ignore[arg-type]  # the press showed it


async def test_a_forbidden_press_is_told_who_can_and_changes_nothing(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot]
) -> None:
    _, message = posted
    before = message.content
    press = Press(message, 5)
    await _press(bot[1], "approve", press)
    [said] = press.response.sent
    assert said["ephemeral"] and _no_pings(said)
    assert "only the license owner <@1>, its activators or a Foundry admin (<@&900>)" in said["content"]
    assert message.content == before and message.edits == []
    assert message.buttons == [f"vtt-approve:{NS}/ask", f"vtt-deny:{NS}/ask"]
    request = await _request(kube)
    assert "decision" not in request["spec"] and SHOWN not in request["metadata"]["annotations"]


async def test_a_press_on_a_decided_request_shows_the_final_state_and_tells_the_presser(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot]
) -> None:
    _, message = posted
    await _decide_by_command(kube, "1", approved=False)
    press = Press(message, 8, 77)
    await _press(bot[1], "approve", press)
    assert message.view is None
    assert message.content.endswith("\n**Denied** by <@1> at 2026-11-28 20:00 UTC.")
    [told] = press.followup.sent
    assert told == {
        "content": "request ask was already denied by <@1>",
        "ephemeral": True,
        "allowed_mentions": told["allowed_mentions"],
    }
    assert _no_pings(told)
    assert (await _request(kube))["spec"]["decision"]["approved"] is False


async def test_a_press_on_a_finished_request_writes_no_decision(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot]
) -> None:
    _, message = posted
    status = {"phase": "Expired", "message": "nobody approved activating alpha in time"}
    await asyncio.to_thread(kube.merge_patch_status, FOUNDRY_ACTIVATION_REQUEST, NS, "ask", status)
    press = Press(message, 1)
    await _press(bot[1], "approve", press)
    assert message.view is None and message.content.endswith(
        "\n**Expired**: nobody approved activating alpha in time"
    )
    assert [s["content"] for s in press.followup.sent] == [
        "request ask is already expired: nobody approved activating alpha in time"
    ]
    assert "decision" not in (await _request(kube))["spec"]


async def test_a_press_on_a_deleted_request_removes_the_dead_buttons(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot]
) -> None:
    _, message = posted
    await asyncio.to_thread(kube.delete, FOUNDRY_ACTIVATION_REQUEST, NS, "ask")
    press = Press(message, 5)
    await _press(bot[1], "deny", press)
    assert (
        message.view is None
        and message.content == "Activation request ask no longer exists: nothing to decide."
    )
    assert [s["content"] for s in press.followup.sent] == [
        f"there is no activation request ask in namespace {NS}"
    ]


async def _decide_by_command(kube: KubernetesAPI, user: str, *, approved: bool) -> None:
    """What the `vtt` CLI does: the command layer, no Discord involved."""
    ctx = Context(kube, Principal(user), NS, SETTINGS, NOW)
    reply = await asyncio.to_thread(decide_request, ctx, "ask", approved=approved)
    assert reply.code == 0, reply.text


async def test_outcomes_decided_elsewhere_are_shown_once_per_change_and_survive_a_restart(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot], log: list[str]
) -> None:
    channel, message = posted
    deps = bot[0]
    await _decide_by_command(kube, "1", approved=True)
    assert await update_posted(deps, channel) == 1  # type: ignore[arg-type]
    assert message.view is None and message.content.endswith(
        "\n**Approved** by <@1> at 2026-11-28 20:00 UTC."
    )
    assert await update_posted(deps, channel) == 0  # type: ignore[arg-type]
    status = {
        "phase": "Approved",
        "message": "approved by discord:1; alpha goes live once the switch is done",
    }
    await asyncio.to_thread(kube.merge_patch_status, FOUNDRY_ACTIVATION_REQUEST, NS, "ask", status)
    assert await update_posted(deps, channel) == 0  # type: ignore[arg-type]  # the same outcome
    final = {"phase": "Completed", "message": "alpha is live"}
    await asyncio.to_thread(kube.merge_patch_status, FOUNDRY_ACTIVATION_REQUEST, NS, "ask", final)
    assert await update_posted(deps, channel) == 1  # type: ignore[arg-type]
    assert message.content.endswith(
        "**Approved** by <@1> at 2026-11-28 20:00 UTC.\n**Completed**: alpha is live"
    )
    restarted, _ = _bot(kube, log)
    assert await post_pending(restarted, channel) == 0  # type: ignore[arg-type]
    assert await update_posted(restarted, channel) == 0  # type: ignore[arg-type]
    assert channel.edits == 2 and len(channel.messages) == 1
    assert log[-2:] == [
        f"approval message of {NS}/ask now shows Approved",
        f"approval message of {NS}/ask now shows Completed",
    ]


@pytest.mark.parametrize(
    ("status", "shows"),
    [
        (
            {"phase": "Expired", "message": "nobody approved activating alpha in time"},
            "**Expired**: nobody approved activating alpha in time",
        ),
        (
            {"phase": "Failed", "message": "alpha was deleted, so it cannot be activated"},
            "**Failed**: alpha was deleted",
        ),
        (
            {
                "phase": "Folded",
                "message": "a request to activate alpha is already open (first); this one joins it",
            },
            "**Folded**: a request to activate alpha is already open (first)",
        ),
        ({"phase": "Completed", "message": "alpha is live"}, "**Completed**: alpha is live"),
        ({"phase": "Denied", "message": "denied by discord:3"}, "**Denied**: denied by <@3>"),
    ],
    ids=["expired", "failed", "folded", "auto-approved-and-live", "denied-by-kubectl"],
)
async def test_the_pipelines_outcome_is_shown_in_plain_words_and_never_edited_again(
    kube: KubernetesAPI,
    posted: tuple[Channel, Message],
    bot: tuple[BotDeps, Bot],
    status: dict[str, str],
    shows: str,
) -> None:
    channel, message = posted
    await asyncio.to_thread(kube.merge_patch_status, FOUNDRY_ACTIVATION_REQUEST, NS, "ask", status)
    assert await update_posted(bot[0], channel) == 1  # type: ignore[arg-type]
    assert shows in message.content and message.view is None
    assert message.content.startswith("Mira asked to activate **alpha**")
    assert (await _request(kube))["metadata"]["annotations"][SHOWN] == status["phase"]
    assert await update_posted(bot[0], channel) == 0  # type: ignore[arg-type]


async def test_a_deleted_message_is_not_retried(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot], log: list[str]
) -> None:
    channel, message = posted
    message.deleted = True
    await _decide_by_command(kube, "1", approved=True)
    assert await update_posted(bot[0], channel) == 1  # type: ignore[arg-type]
    assert await update_posted(bot[0], channel) == 0  # type: ignore[arg-type]
    assert log[-1] == f"approval message of {NS}/ask was deleted in Discord; not edited"


HOSTILE = {
    "instanceRef": {"name": "alpha"},
    "requestedBy": {
        "source": "standby-page",
        "displayName": "@everyone **boss** <@&900>\n**Approved** by admin",
    },
    "reason": "@here please\n" + "x" * 3000,
}


async def test_hostile_fields_stay_plain_text_inside_the_limit(
    kube: KubernetesAPI, bot: tuple[BotDeps, Bot]
) -> None:
    await _create(kube, FOUNDRY_LICENSE, "guild", {"licenseSecretRef": {"name": "k"}, "ownership": OWNERSHIP})
    await _create(kube, FOUNDRY_INSTANCE, "alpha", {"licenseRef": {"name": "guild"}})
    await _create(kube, FOUNDRY_ACTIVATION_REQUEST, "ask", HOSTILE)
    channel = Channel()
    assert await post_pending(bot[0], channel) == 1  # type: ignore[arg-type]
    [message] = channel.messages
    for text in (message.content, decided_text(await _request(kube))):
        assert len(text) <= 2000
        assert "@everyone" not in text and "@here" not in text and "<@&900>" not in text
        assert "**boss**" not in text and "\n**Approved** by admin" not in text
    assert "\n" not in message.content and _no_pings(channel.sent[0])
    long_status = {"phase": "Failed", "message": "@everyone " + "y" * 5000}
    await asyncio.to_thread(kube.merge_patch_status, FOUNDRY_ACTIVATION_REQUEST, NS, "ask", long_status)
    assert await update_posted(bot[0], channel) == 1  # type: ignore[arg-type]
    assert len(message.content) <= 2000 and "@everyone" not in message.content and _no_pings(message.edits[0])
    assert message.content.count("\n") == 1  # the request, the outcome: nothing forged in between


@pytest.mark.parametrize(
    ("by", "shows"),
    [
        ({"source": "discord", "discordUserId": "123456789012345678"}, "<@123456789012345678> asks"),
        ({"source": "discord", "discordUserId": "<@&1>"}, "someone asks"),
        (
            {"source": "kubectl", "displayName": "Mira"},
            "Mira asks to activate **alpha** (tabletop, from kubectl)",
        ),
        ({"source": "kubectl"}, "someone asks"),
        ({}, "someone asks to activate **alpha** (tabletop)"),
    ],
    ids=["discord-user", "not-an-id", "kubectl", "nameless", "sourceless"],
)
def test_the_announcement_names_who_asks(by: dict[str, str], shows: str) -> None:
    request = {"metadata": {"namespace": NS}, "spec": {"instanceRef": {"name": "alpha"}, "requestedBy": by}}
    assert announcement(request).startswith(shows)


async def test_a_refused_post_or_failed_edit_holds_up_nothing_else_and_is_tried_again(
    kube: KubernetesAPI, posted: tuple[Channel, Message], bot: tuple[BotDeps, Bot], log: list[str]
) -> None:
    channel, message = posted
    await _create(kube, FOUNDRY_ACTIVATION_REQUEST, "aaa", _spec())
    await _create(kube, FOUNDRY_ACTIVATION_REQUEST, "bbb", _spec())
    channel.refused = {"/aaa"}
    assert await post_pending(bot[0], channel) == 1  # type: ignore[arg-type]
    assert channel.messages[-1].buttons == [f"vtt-approve:{NS}/bbb", f"vtt-deny:{NS}/bbb"]
    assert POSTED not in ((await _request(kube, "aaa"))["metadata"].get("annotations") or {})
    assert log[-2].startswith(f"could not post activation request {NS}/aaa: 400 Bad Request")
    channel.refused = set()
    assert await post_pending(bot[0], channel) == 1  # type: ignore[arg-type]
    await _decide_by_command(kube, "1", approved=False)
    channel.down = True
    assert await update_posted(bot[0], channel) == 0  # type: ignore[arg-type]
    assert message.edits == [] and SHOWN not in (await _request(kube))["metadata"]["annotations"]
    channel.down = False
    assert await update_posted(bot[0], channel) == 1  # type: ignore[arg-type]
    assert message.content.endswith("**Denied** by <@1> at 2026-11-28 20:00 UTC.")


@pytest.mark.parametrize(
    ("status", "lines"),
    [
        ({}, ["**Approved** by <@8> at 2026-11-28 20:00 UTC."]),
        (
            {
                "phase": "Approved",
                "message": "approved by discord:8; alpha goes live once the switch is done",
            },
            [
                "**Approved** by <@8> at 2026-11-28 20:00 UTC.",
                "**Approved**: approved by <@8>; alpha goes live once the switch is done",
            ],
        ),
        (
            {"phase": "Expired", "message": "nobody approved activating alpha in time; <@8> may not approve"},
            [
                "**Approved** by <@8> at 2026-11-28 20:00 UTC.",
                "**Expired**: nobody approved activating alpha in time; <@\u200b8> may not approve",
            ],
        ),
    ],
    ids=["not-yet-acted-on", "approved", "refused-then-expired"],
)
def test_the_decided_message_says_who_when_and_what_status_says(
    status: dict[str, str], lines: list[str]
) -> None:
    request = {
        "metadata": {"namespace": NS},
        "spec": {**_spec(), "decision": {"approved": True, "by": "discord:8", "at": "2026-11-28T20:00:00Z"}},
        "status": status,
    }
    assert decided_text(request).split("\n")[1:] == lines


def test_a_denial_is_said_once() -> None:
    request = {
        "metadata": {"namespace": NS},
        "spec": {**_spec(), "decision": {"approved": False, "by": "discord:1"}},
        "status": {"phase": "Denied", "message": "denied by discord:1", "decidedAt": "2026-11-28T20:05:00Z"},
    }
    assert decided_text(request).split("\n")[1:] == ["**Denied** by <@1> at 2026-11-28 20:05 UTC."]


async def test_a_request_too_long_for_buttons_is_posted_with_what_to_do_instead(
    kube: KubernetesAPI, log: list[str]
) -> None:
    long_ns = "n" * 40
    deps = BotDeps(
        kube, CommandSettings.from_env({"FOUNDRY_DISCORD_NAMESPACES": long_ns}), (), lambda: NOW, print
    )
    name = "a" * 50 + "-0123abcd"
    body = {
        "apiVersion": FOUNDRY_ACTIVATION_REQUEST.api_version,
        "kind": FOUNDRY_ACTIVATION_REQUEST.kind,
        "metadata": {"name": name, "namespace": long_ns},
        "spec": {**_spec(), "instanceRef": {"name": "a" * 50}},
    }
    await asyncio.to_thread(kube.create, FOUNDRY_ACTIVATION_REQUEST, long_ns, body)
    channel = Channel()
    assert await post_pending(deps, channel) == 1  # type: ignore[arg-type]
    [message] = channel.messages
    assert message.view is None and "view" not in channel.sent[0] and _no_pings(channel.sent[0])
    assert message.content.endswith(f"/vtt-update instance:{'a' * 50} what:activate")
    assert (
        POSTED
        in (await asyncio.to_thread(kube.get, FOUNDRY_ACTIVATION_REQUEST, long_ns, name) or {})["metadata"][
            "annotations"
        ]
    )


async def test_the_client_pings_nobody_by_default(kube: KubernetesAPI, log: list[str]) -> None:
    """A reply that forgets allowed_mentions still pings nobody: user text is echoed in replies."""
    deps = BotDeps(kube, SETTINGS, (), lambda: NOW, log.append)
    client = FoundryBot(deps, guild_id=None, approval_channel=None)
    try:
        mentions = client.allowed_mentions
        assert mentions is not None
        assert (mentions.everyone, mentions.users, mentions.roles, mentions.replied_user) == (
            False,
            False,
            False,
            False,
        )
    finally:
        await client.close()


class CountingLists:
    """The real client, counting its list calls (how often a pass reads the cluster)."""

    def __init__(self, inner: KubernetesAPI) -> None:
        self.inner, self.lists = inner, 0

    def list(self, *args: Any, **kwargs: Any) -> Any:
        self.lists += 1
        return self.inner.list(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_pass_lists_the_requests_once_and_both_posts_and_edits(
    kube: KubernetesAPI, posted: tuple[Channel, Message], log: list[str]
) -> None:
    """A new request is posted and a decided one edited in the same pass, from one list call."""
    channel, message = posted
    await _create(kube, FOUNDRY_ACTIVATION_REQUEST, "again", _spec(reason="next week"))
    await _decide_by_command(kube, "1", approved=False)
    counting = CountingLists(kube)
    deps = BotDeps(counting, SETTINGS, (), lambda: NOW, log.append)  # type: ignore[arg-type]
    assert await announce(deps, channel, channel) == (1, 1)  # type: ignore[arg-type]
    assert counting.lists == 1
    assert message.view is None and "**Denied** by <@1>" in message.content
    assert channel.messages[-1].buttons == [f"vtt-approve:{NS}/again", f"vtt-deny:{NS}/again"]
