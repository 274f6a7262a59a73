"""The app-command tree and the persistent buttons (Cancel deletion here, Approve / Deny in
`approval_buttons`); every dependency comes in through `BotDeps`."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import discord
from discord import app_commands

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeObject
from services.commands import instances, licenses
from services.commands.options import AUTO_UPDATE_VALUES, SOURCE_SYNTAX, options_of
from services.commands.status import status
from services.discord_bot.approval_buttons import Approve, Deny
from services.discord_bot.runner import KEY, BotDeps, Interaction, answer

_MAX_CHOICES = 25  # Discord's autocomplete limit
Mode = Literal["new", "copied", "shared"]
Word = Literal["activate", "deactivate", "version", "auto-update", "volumes", "resources"]


# Discord allows 100 characters per option description.
_OPTION_HELP = {
    "worlds": "worlds volume: new, copied (from a source) or shared (a pool)",
    "worlds_source": SOURCE_SYNTAX,
    "plugins": "plugins volume (Data/modules, Data/systems): new, copied or shared",
    "plugins_source": SOURCE_SYNTAX,
    "cpu": "CPU, like 500m or 2; default = the license's",
    "memory": "memory, like 2Gi (at least 512Mi); default = the license's",
}


class CancelDelete(discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"vtt-cancel:" + KEY):
    """Undoes a scheduled deletion; the custom_id names the instance, so it works after a restart.
    `build_tree` registers a subclass bound to its `deps`."""

    deps: ClassVar[BotDeps]

    def __init__(self, namespace: str, name: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Cancel deletion",
                style=discord.ButtonStyle.secondary,
                custom_id=f"vtt-cancel:{namespace}/{name}",
            )
        )
        self.namespace, self.name = namespace, name

    @classmethod
    async def from_custom_id(
        cls, interaction: Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelDelete:
        return cls(match["namespace"], match["name"])

    async def callback(self, interaction: Interaction) -> None:
        name = self.name
        await answer(
            self.deps,
            interaction,
            self.namespace,
            lambda ctx: instances.delete(ctx, name, cancel=True),
            f"delete {name} --cancel",
            public=True,
        )


def cancel_view(name: str) -> Callable[[str], discord.ui.View]:
    def build(namespace: str) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(CancelDelete(namespace, name))
        return view

    return build


@dataclass(frozen=True)
class Bot:
    """The command tree and the button classes bound to one `BotDeps`, registered on one client."""

    tree: app_commands.CommandTree[discord.Client]
    cancel: type[CancelDelete]
    approve: type[Approve]
    deny: type[Deny]


def build_tree(client: discord.Client, deps: BotDeps) -> Bot:
    """The five slash commands and the persistent buttons on `client`, bound to `deps`. Commands are
    global; `main` copies them to the configured guild so they appear there at once."""

    class BoundCancel(CancelDelete, template=CancelDelete.__discord_ui_compiled_template__):
        pass

    class BoundApprove(Approve, template=Approve.__discord_ui_compiled_template__):
        pass

    class BoundDeny(Deny, template=Deny.__discord_ui_compiled_template__):
        pass

    for item in (BoundCancel, BoundApprove, BoundDeny):
        item.deps = deps
    client.add_dynamic_items(BoundCancel, BoundApprove, BoundDeny)
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)

    async def instance_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        spaces = _spaces(deps, interaction)
        return _choices(
            [o for ns in spaces for o in await asyncio.to_thread(deps.kube.list, FOUNDRY_INSTANCE, ns)],
            current,
        )

    async def license_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        spaces = _spaces(deps, interaction)
        return _choices(
            [o for ns in spaces for o in await asyncio.to_thread(deps.kube.list, FOUNDRY_LICENSE, ns)],
            current,
        )

    async def version_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        found = [v for v in ("latest", *deps.versions) if v.startswith(current)]
        return [app_commands.Choice(name=v, value=v) for v in found[:_MAX_CHOICES]]

    async def value_choices(interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Versions, or the auto-update values when `what` is auto-update."""
        if getattr(interaction.namespace, "what", None) == "auto-update":
            return [app_commands.Choice(name=v, value=v) for v in AUTO_UPDATE_VALUES if v.startswith(current)]
        return await version_choices(interaction, current)

    @tree.command(name="vtt-status", description="An instance in detail, or a summary of your licenses")
    @app_commands.autocomplete(instance=instance_choices)
    async def vtt_status(
        interaction: Interaction, instance: str | None = None, namespace: str | None = None
    ) -> None:
        await answer(
            deps,
            interaction,
            namespace,
            lambda ctx: status(ctx, instance),
            f"status {instance or ''}".strip(),
        )

    @tree.command(name="vtt-create", description="Create an instance under a license")
    @app_commands.autocomplete(
        license=license_choices,
        version=version_choices,
        worlds_source=instance_choices,
        plugins_source=instance_choices,
    )
    @app_commands.describe(**_OPTION_HELP)
    async def vtt_create(
        interaction: Interaction,
        name: str,
        license: str | None = None,
        version: str | None = None,
        worlds: Mode | None = None,
        worlds_source: str | None = None,
        plugins: Mode | None = None,
        plugins_source: str | None = None,
        cpu: str | None = None,
        memory: str | None = None,
        namespace: str | None = None,
    ) -> None:
        await answer(
            deps,
            interaction,
            namespace,
            lambda ctx: instances.create(
                ctx,
                name,
                license,
                version,
                options_of(
                    worlds=worlds,
                    worlds_source=worlds_source,
                    plugins=plugins,
                    plugins_source=plugins_source,
                    cpu=cpu,
                    memory=memory,
                ),
            ),
            f"create {name}",
            public=True,
        )

    @tree.command(name="vtt-delete", description="Schedule an instance's deletion after the grace period")
    @app_commands.autocomplete(instance=instance_choices)
    async def vtt_delete(interaction: Interaction, instance: str, namespace: str | None = None) -> None:
        await answer(
            deps,
            interaction,
            namespace,
            lambda ctx: instances.delete(ctx, instance),
            f"delete {instance}",
            public=True,
            view=cancel_view(instance),
        )

    @tree.command(
        name="vtt-update",
        description="Activate, deactivate, or change the version, auto-update, volumes or resources",
    )
    @app_commands.autocomplete(
        instance=instance_choices,
        value=value_choices,
        worlds_source=instance_choices,
        plugins_source=instance_choices,
    )
    @app_commands.describe(
        value="version: 13.348, 13.x or latest; auto-update: none, build, generation or default",
        **_OPTION_HELP,
    )
    async def vtt_update(
        interaction: Interaction,
        instance: str,
        what: Word,
        value: str | None = None,
        worlds: Mode | None = None,
        worlds_source: str | None = None,
        plugins: Mode | None = None,
        plugins_source: str | None = None,
        cpu: str | None = None,
        memory: str | None = None,
        namespace: str | None = None,
    ) -> None:
        await answer(
            deps,
            interaction,
            namespace,
            lambda ctx: instances.update(
                ctx,
                instance,
                what,
                value,
                options_of(
                    worlds=worlds,
                    worlds_source=worlds_source,
                    plugins=plugins,
                    plugins_source=plugins_source,
                    cpu=cpu,
                    memory=memory,
                ),
            ),
            f"update {instance} {what}",
            public=True,
        )

    @tree.command(name="vtt-license", description="Show a license, or grant or revoke access to it")
    @app_commands.autocomplete(license=license_choices)
    async def vtt_license(
        interaction: Interaction,
        action: Literal["show", "grant", "revoke"],
        license: str,
        user: discord.User | None = None,
        role: discord.Role | None = None,
        as_: Literal["activator", "user"] = "user",
        namespace: str | None = None,
    ) -> None:
        if action == "show":
            await answer(
                deps,
                interaction,
                namespace,
                lambda ctx: licenses.show(ctx, license),
                f"license show {license}",
            )
            return
        change = licenses.grant if action == "grant" else licenses.revoke
        user_id = str(user.id) if user is not None else None
        role_id = str(role.id) if role is not None else None
        await answer(
            deps,
            interaction,
            namespace,
            lambda ctx: change(ctx, license, as_=as_, user=user_id, role=role_id),
            f"license {action} {license}",
            public=True,
        )

    return Bot(tree, BoundCancel, BoundApprove, BoundDeny)


def _spaces(deps: BotDeps, interaction: Interaction) -> list[str]:
    """The namespace the caller picked, or the only served one; nothing outside the served ones."""
    served = deps.settings.access.namespaces
    picked = getattr(interaction.namespace, "namespace", None)
    return [picked] if picked in served else sorted(served) if len(served) == 1 else []


def _choices(objects: list[KubeObject], current: str) -> list[app_commands.Choice[str]]:
    found = sorted(n for o in objects if (n := str(o["metadata"]["name"])).startswith(current))
    return [app_commands.Choice(name=n, value=n) for n in found[:_MAX_CHOICES]]
