"""The Discord front end through discord.py's real command tree and buttons: test doubles stand in
for the Interaction only (Discord builds those), kmock's Kubernetes emulator sits behind the real
client. Commands run off the event loop, which keeps serving the emulator. The approval buttons and
messages: tests/test_discord_approvals.py."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import urllib.request
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import discord
import kmock
import pytest
from conftest import emulated_api, serve_kinds, write_kubeconfig
from discord import app_commands

from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.kube import (
    EVENT,
    FOUNDRY_INSTANCE,
    FOUNDRY_KINDS,
    FOUNDRY_LICENSE,
)
from foundry_platform.cli import main
from services.commands.settings import CommandSettings
from services.discord_bot.app import Bot, build_tree
from services.discord_bot.runner import BotDeps

NS = "tabletop"
NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
SETTINGS = CommandSettings.from_env({"FOUNDRY_DISCORD_NAMESPACES": NS, "FOUNDRY_DISCORD_ADMIN_ROLE": "900"})
LICENSE = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryLicense",
    "metadata": {"name": "guild", "namespace": NS},
    "spec": {
        "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
        "baseDomain": "vtt.example.com",
        "ownership": {"discordUserId": "1", "allowedActivators": [{"discordRoleId": "77"}]},
    },
}


class Response:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_message(self, content: str, **kwargs: Any) -> None:
        self.sent.append({"content": content, **kwargs})


class FakeInteraction:
    """What the bot reads of an Interaction: the user, their roles, the options typed so far."""

    def __init__(self, user: int, *roles: int) -> None:
        self.user = SimpleNamespace(id=user, roles=[SimpleNamespace(id=r) for r in roles])
        self.response = Response()
        self.namespace = app_commands.Namespace.__new__(app_commands.Namespace)

    @property
    def said(self) -> dict[str, Any]:
        assert len(self.response.sent) == 1, self.response.sent
        return self.response.sent[0]


@pytest.fixture
async def kube(kmock: kmock.KubernetesEmulator) -> AsyncIterator[KubernetesAPI]:
    serve_kinds(kmock, (*FOUNDRY_KINDS, EVENT))
    api = emulated_api(kmock)
    yield api
    api.close()


@pytest.fixture
def log() -> list[str]:
    return []


@pytest.fixture
def bot(kube: KubernetesAPI, log: list[str]) -> Bot:
    deps = BotDeps(kube, SETTINGS, ("13.348", "12.331"), lambda: NOW, log.append)
    return build_tree(discord.Client(intents=discord.Intents(guilds=True)), deps)


@pytest.fixture
def tree(bot: Bot) -> app_commands.CommandTree[discord.Client]:
    return bot.tree


async def call_command(
    tree: app_commands.CommandTree[discord.Client], command_name: str, who: FakeInteraction, /, **kw: Any
) -> dict[str, Any]:
    command = tree.get_command(command_name)
    assert isinstance(command, app_commands.Command)
    callback: Any = command.callback  # called as discord.py does, with the parsed options
    await callback(who, **kw)
    return who.said


async def _press(item: Any, custom_id: str, who: FakeInteraction) -> dict[str, Any]:
    match = item.__discord_ui_compiled_template__.fullmatch(custom_id)
    assert match, custom_id
    button = await item.from_custom_id(who, None, match)
    await button.callback(who)
    return who.said


def test_the_tree_offers_the_five_commands(tree: app_commands.CommandTree[discord.Client]) -> None:
    assert sorted(c.name for c in tree.get_commands()) == [
        "vtt-create",
        "vtt-delete",
        "vtt-license",
        "vtt-status",
        "vtt-update",
    ]


async def test_create_status_activate_delete_cancel(
    bot: Bot, tree: app_commands.CommandTree[discord.Client], kube: KubernetesAPI, log: list[str]
) -> None:
    await asyncio.to_thread(kube.create, FOUNDRY_LICENSE, NS, LICENSE)
    denied = await call_command(tree, "vtt-create", FakeInteraction(3), name="alpha", license="guild")
    assert denied["ephemeral"] and "only the license owner <@1>" in denied["content"]
    granted = await call_command(
        tree, "vtt-license", FakeInteraction(1), action="grant", license="guild", user=SimpleNamespace(id=3)
    )
    assert "<@3> is now an allowed user of guild" in granted["content"] and not granted["ephemeral"]
    made = await call_command(
        tree, "vtt-create", FakeInteraction(3), name="alpha", license="guild", version="13.x"
    )
    assert made["content"].startswith("created alpha under license guild") and not made["ephemeral"]
    seen = await call_command(tree, "vtt-status", FakeInteraction(5), instance="alpha")
    assert seen["ephemeral"] and seen["content"].startswith("**alpha** (license guild): standby")
    activated = await call_command(
        tree, "vtt-update", FakeInteraction(8, 77), instance="alpha", what="activate"
    )
    assert activated["content"].startswith("requested; license guild") and not activated["ephemeral"]
    assert (await asyncio.to_thread(kube.get, FOUNDRY_LICENSE, NS, "guild") or {})["spec"][
        "activeInstanceName"
    ] == "alpha"
    gone = await call_command(tree, "vtt-delete", FakeInteraction(3), instance="alpha")
    assert "alpha will be deleted at 2026-12-05T20:00:00Z (in 7d)" in gone["content"]
    [button] = gone["view"].children
    assert button.custom_id == "vtt-cancel:tabletop/alpha"
    refused = await _press(bot.cancel, button.custom_id, FakeInteraction(5))
    assert refused["ephemeral"] and "the instance's creator <@3>" in refused["content"]
    cancelled = await _press(bot.cancel, button.custom_id, FakeInteraction(3))
    assert cancelled["content"].startswith("deletion of alpha cancelled")
    annotations = (await asyncio.to_thread(kube.get, FOUNDRY_INSTANCE, NS, "alpha") or {})["metadata"].get(
        "annotations"
    ) or {}
    assert "foundry.platform/delete-at" not in annotations
    assert "discord:3 delete alpha --cancel in tabletop: done" in log
    assert all("licenseKey" not in line for line in log)


async def test_autocomplete_offers_names_from_the_cluster_and_versions_from_the_catalog(
    tree: app_commands.CommandTree[discord.Client], kube: KubernetesAPI
) -> None:
    await asyncio.to_thread(kube.create, FOUNDRY_LICENSE, NS, LICENSE)
    await asyncio.to_thread(
        kube.create,
        FOUNDRY_LICENSE,
        "elsewhere",
        {**LICENSE, "metadata": {"name": "hidden", "namespace": "elsewhere"}},
    )
    create = tree.get_command("vtt-create")
    assert isinstance(create, app_commands.Command)
    licenses = await create._params["license"].autocomplete(FakeInteraction(5), "")  # type: ignore[misc]
    assert [c.value for c in licenses] == ["guild"]
    versions = await create._params["version"].autocomplete(FakeInteraction(5), "13")  # type: ignore[misc]
    assert [c.value for c in versions] == ["13.348"]


async def test_the_process_serves_healthz_keeps_the_token_out_of_the_log_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    """`--no-gateway` keeps the process off Discord, so no network is needed."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "HOME": str(tmp_path),
        "KUBECONFIG": str(write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9", token="t0ken")),
        "DISCORD_TOKEN": "fake-token-s3cret",
        "FOUNDRY_DISCORD_NAMESPACES": NS,
        "FOUNDRY_DISCORD_GUILD_ID": "123",
    }
    args = ["discord-bot", "--no-gateway", "--host", "127.0.0.1", "--port", "0"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from foundry_platform.cli import main; main()",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    line, found = "", None
    while found is None:
        read = (await asyncio.wait_for(process.stderr.readline(), timeout=20)).decode()
        assert read, line
        line += read
        found = re.search(r"serving /healthz on 127\.0\.0\.1:(\d+)", read)
    health = await asyncio.to_thread(_get, f"http://127.0.0.1:{found[1]}/healthz")
    assert health == b"ok\n"
    process.send_signal(signal.SIGTERM)
    rest = (await asyncio.wait_for(process.stderr.read(), timeout=20)).decode()
    assert await process.wait() == 0, line + rest
    assert "stopped" in rest
    assert "s3cret" not in line + rest and "Traceback" not in line + rest


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"FOUNDRY_DISCORD_NAMESPACES": NS}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": "x"}, "FOUNDRY_DISCORD_NAMESPACES is empty"),
        (
            {"DISCORD_TOKEN": "x", "FOUNDRY_DISCORD_NAMESPACES": NS, "FOUNDRY_DISCORD_GUILD_ID": "abc"},
            "digits only",
        ),
        (
            {"DISCORD_TOKEN": "x", "FOUNDRY_DISCORD_NAMESPACES": NS, "FOUNDRY_DISCORD_ADMIN_ROLE": "admins"},
            "FOUNDRY_DISCORD_ADMIN_ROLE: Value error, must be a Discord role id",
        ),
    ],
)
def test_bad_settings_exit_2_naming_the_setting(
    env: dict[str, str],
    says: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key in (
        "DISCORD_TOKEN",
        "FOUNDRY_DISCORD_NAMESPACES",
        "FOUNDRY_DISCORD_GUILD_ID",
        "FOUNDRY_DISCORD_ADMIN_ROLE",
    ):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SystemExit) as exit_:
        main(["discord-bot", "--no-gateway"])
    assert exit_.value.code == 2
    assert says in capsys.readouterr().err


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body
