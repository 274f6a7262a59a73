"""/vtt-create and /vtt-update with volumes, resources and auto-update, through discord.py's real
command tree (test doubles for the Interaction only) with kmock's Kubernetes emulator behind the real
client. No pipeline runs here, so replies say the platform has not reported yet."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import kmock
import pytest
from conftest import emulated_api, serve_kinds
from discord import app_commands
from test_discord_bot import LICENSE, NOW, NS, SETTINGS, FakeInteraction, call_command

from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.kube import EVENT, FOUNDRY_INSTANCE, FOUNDRY_KINDS, FOUNDRY_LICENSE
from services.discord_bot.app import build_tree
from services.discord_bot.runner import BotDeps

Tree = app_commands.CommandTree[discord.Client]
ALPHA = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryInstance",
    "metadata": {
        "name": "alpha",
        "namespace": NS,
        "annotations": {"foundry.platform/created-by": "discord:3"},
    },
    "spec": {
        "licenseRef": {"name": "guild"},
        "volumes": {"worlds": {"mode": "copied", "source": {"path": "maps"}}},
    },
}


@pytest.fixture
async def kube(kmock: kmock.KubernetesEmulator) -> AsyncIterator[KubernetesAPI]:
    serve_kinds(kmock, (*FOUNDRY_KINDS, EVENT))
    api = emulated_api(kmock)
    await asyncio.to_thread(api.create, FOUNDRY_LICENSE, NS, LICENSE)
    await asyncio.to_thread(api.create, FOUNDRY_INSTANCE, NS, ALPHA)
    yield api
    api.close()


@pytest.fixture
def tree(kube: KubernetesAPI) -> Tree:
    deps = BotDeps(kube, SETTINGS, ("13.348", "12.331"), lambda: NOW, lambda _: None)
    return build_tree(discord.Client(intents=discord.Intents(guilds=True)), deps).tree


async def _get(kube: KubernetesAPI, name: str) -> dict[str, Any]:
    obj = await asyncio.to_thread(kube.get, FOUNDRY_INSTANCE, NS, name)
    assert obj is not None
    return dict(obj)


def test_the_commands_offer_the_options_within_discord_limits(tree: Tree) -> None:
    for name in ("vtt-create", "vtt-update"):
        command = tree.get_command(name)
        assert isinstance(command, app_commands.Command)
        payload = command.to_dict(tree)
        assert len(payload["description"]) <= 100 and len(payload["options"]) <= 25
        options = {o["name"]: o for o in payload["options"]}
        assert all(1 <= len(o["description"]) <= 100 for o in options.values())
        for volume in ("worlds", "plugins"):
            assert [c["value"] for c in options[volume]["choices"]] == ["new", "copied", "shared"]
            assert options[f"{volume}_source"]["autocomplete"]
        assert {"cpu", "memory"} <= set(options)
    update = tree.get_command("vtt-update")
    assert isinstance(update, app_commands.Command)
    what = {o["name"]: o for o in update.to_dict(tree)["options"]}["what"]
    assert [c["value"] for c in what["choices"]] == [
        "activate",
        "deactivate",
        "version",
        "auto-update",
        "volumes",
        "resources",
    ]


async def test_create_with_a_copied_worlds_a_shared_pool_and_resources(
    tree: Tree, kube: KubernetesAPI
) -> None:
    made = await call_command(
        tree,
        "vtt-create",
        FakeInteraction(1),
        name="beta",
        license="guild",
        worlds="copied",
        worlds_source="alpha",
        plugins="shared",
        plugins_source="path=homebrew",
        cpu="2",
        memory="4Gi",
    )
    assert (
        made["content"] == ("created beta under license guild; the platform has not reported on it yet")
        and not made["ephemeral"]
    )
    assert (await _get(kube, "beta"))["spec"] == {
        "licenseRef": {"name": "guild"},
        "volumes": {
            "worlds": {"mode": "copied", "source": {"instance": "alpha"}},
            "plugins": {"mode": "shared", "source": {"path": "homebrew"}},
        },
        "resources": {"cpu": "2", "memory": "4Gi"},
    }


async def test_update_volumes_resources_and_auto_update(tree: Tree, kube: KubernetesAPI) -> None:
    moved = await call_command(
        tree, "vtt-update", FakeInteraction(3), instance="alpha", what="volumes", worlds="new"
    )
    assert moved["content"].startswith("asked for worlds new, plugins new on alpha; the platform has not")
    assert not moved["ephemeral"]
    assert (await _get(kube, "alpha"))["spec"]["volumes"] == {"worlds": {"mode": "new"}}  # source removed
    sized = await call_command(
        tree, "vtt-update", FakeInteraction(1), instance="alpha", what="resources", memory="3Gi"
    )
    assert sized["content"].startswith("asked for cpu from the license default, memory 3Gi on alpha")
    followed = await call_command(
        tree, "vtt-update", FakeInteraction(9, 900), instance="alpha", what="auto-update", value="generation"
    )
    assert followed["content"].startswith("asked for auto-update generation on alpha")
    spec = (await _get(kube, "alpha"))["spec"]
    assert spec["resources"] == {"memory": "3Gi"} and spec["autoUpdate"] == "generation"


@pytest.mark.parametrize(
    ("case", "who", "options", "says"),
    [
        ("bad cpu", (3,), {"what": "resources", "cpu": "lots"}, "cpu: must be a CPU amount like 500m or 2"),
        (
            "source alone",
            (3,),
            {"what": "volumes", "worlds_source": "beta"},
            "worlds_source needs a worlds mode",
        ),
        (
            "traversal",
            (1,),
            {"what": "volumes", "plugins": "shared", "plugins_source": "path=../../other-guild"},
            "plugins.source.path: '../../other-guild' is not a valid pool path",
        ),
        ("no value", (3,), {"what": "auto-update"}, "update auto-update needs a value"),
        (
            "stranger",
            (5,),
            {"what": "auto-update", "value": "build"},
            "<@5>: only the license owner <@1>, the instance's creator <@3> or a Foundry admin",
        ),
        (
            "activator",
            (8, 77),
            {"what": "volumes", "worlds": "new"},
            "<@8>: only the license owner <@1>, the instance's creator <@3>",
        ),
    ],
)
async def test_refusals_are_private_name_the_option_and_change_nothing(
    tree: Tree, kube: KubernetesAPI, case: str, who: tuple[int, ...], options: dict[str, str], says: str
) -> None:
    before = await _get(kube, "alpha")
    said = await call_command(tree, "vtt-update", FakeInteraction(*who), instance="alpha", **options)
    assert said["ephemeral"] and said["content"].startswith(says), (case, said)
    assert await _get(kube, "alpha") == before


async def test_autocomplete_offers_sources_and_the_values_of_the_chosen_word(tree: Tree) -> None:
    update = tree.get_command("vtt-update")
    assert isinstance(update, app_commands.Command)
    who = FakeInteraction(3)
    sources = await update._params["worlds_source"].autocomplete(who, "al")  # type: ignore[misc]
    assert [c.value for c in sources] == ["alpha"]
    setattr(who.namespace, "what", "auto-update")  # noqa: B010 - what Discord fills in as the user types
    values = await update._params["value"].autocomplete(who, "")  # type: ignore[misc]
    assert [c.value for c in values] == ["none", "build", "generation", "default"]
    setattr(who.namespace, "what", "version")  # noqa: B010
    versions = await update._params["value"].autocomplete(who, "1")  # type: ignore[misc]
    assert [c.value for c in versions] == ["13.348", "12.331"]
