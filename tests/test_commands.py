"""The command layer against both KubeAPI implementations: the simulator's MemoryKube and the real
client over HTTP to kmock's Kubernetes emulator. No pipeline runs here: what the commands write
(specs, annotations, grants, audit Events) is checked as a cluster would store it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import kmock
import pytest
from conftest import emulated_api, serve_kinds

from foundry_lib.access import Principal
from foundry_lib.errors import UserError
from foundry_lib.kube import EVENT, FOUNDRY_INSTANCE, FOUNDRY_KINDS, FOUNDRY_LICENSE, KubeAPI
from foundry_platform.simulator.memory_kube import MemoryKube
from foundry_platform.simulator.state import ClusterState
from services.commands import instances, licenses
from services.commands.context import Code, Context, DeniedError
from services.commands.settings import CommandSettings
from services.commands.status import status

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
        "ownership": {"discordUserId": "1"},
    },
}


@pytest.fixture(params=["MemoryKube", "KubernetesAPI"])
def kube(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KubeAPI]:
    if request.param == "MemoryKube":
        yield MemoryKube(ClusterState(tmp_path), lambda: NOW)
        return
    emulator: kmock.KubernetesEmulator = request.getfixturevalue("kmock")
    serve_kinds(emulator, (*FOUNDRY_KINDS, EVENT))
    api = emulated_api(emulator)
    yield api
    api.close()


def _ctx(kube: KubeAPI, user: str, *roles: str, log: list[str] | None = None) -> Context:
    sink = log.append if log is not None else (lambda _: None)
    return Context(kube, Principal(user, frozenset(roles)), NS, SETTINGS, NOW, log=sink)


def _flow(kube: KubeAPI) -> dict[str, Any]:
    kube.create(FOUNDRY_LICENSE, NS, LICENSE)
    log: list[str] = []
    seen: dict[str, Any] = {}
    with pytest.raises(DeniedError):
        instances.create(_ctx(kube, "3"), "alpha", "guild")
    seen["grant"] = licenses.grant(_ctx(kube, "1", log=log), "guild", as_="user", user="3").text
    seen["create"] = instances.create(_ctx(kube, "3", log=log), "alpha", "guild", "13.x").text
    seen["delete"] = instances.delete(_ctx(kube, "3", log=log), "alpha").text
    seen["scheduled"] = (kube.get(FOUNDRY_INSTANCE, NS, "alpha") or {})["metadata"]["annotations"]
    seen["cancel"] = instances.delete(_ctx(kube, "9", "900", log=log), "alpha", cancel=True).text
    seen["cancelled"] = (kube.get(FOUNDRY_INSTANCE, NS, "alpha") or {})["metadata"]["annotations"]
    seen["ownership"] = (kube.get(FOUNDRY_LICENSE, NS, "guild") or {})["spec"]["ownership"]
    seen["status"] = status(_ctx(kube, "5"), "alpha").text
    seen["events"] = sorted(
        (e["involvedObject"]["name"], e["reason"], e["message"]) for e in kube.list(EVENT, NS)
    )
    seen["log"] = log
    return seen


async def test_commands_write_what_a_cluster_stores(kube: KubeAPI) -> None:
    seen = await asyncio.to_thread(_flow, kube)
    assert seen["grant"] == "granted: <@3> is now an allowed user of guild"
    assert seen["create"] == "created alpha under license guild; the platform has not reported on it yet"
    assert seen["delete"] == (
        "alpha will be deleted at 2026-12-05T20:00:00Z (in 7d); `delete alpha --cancel` undoes it"
    )
    assert seen["scheduled"] == {
        "foundry.platform/created-by": "discord:3",
        "foundry.platform/delete-at": "2026-12-05T20:00:00Z",
    }
    assert seen["cancel"].startswith("deletion of alpha cancelled")
    assert seen["cancelled"] == {"foundry.platform/created-by": "discord:3"}
    assert seen["ownership"] == {"discordUserId": "1", "allowedUsers": [{"discordUserId": "3"}]}
    assert seen["status"].startswith("**alpha** (license guild): standby\nplayers: unknown")
    assert seen["events"] == [
        ("alpha", "CreatedFromCommand", "discord:3 created alpha under license guild"),
        ("alpha", "DeletionCancelled", "discord:9 cancelled the deletion of alpha"),
        ("alpha", "DeletionScheduled", "discord:3 scheduled the deletion of alpha at 2026-12-05T20:00:00Z"),
        ("guild", "AccessGranted", "discord:1 granted user to <@3>"),
    ]
    assert seen["log"][0] == "FoundryLicense tabletop/guild AccessGranted: discord:1 granted user to <@3>"


def test_codes_are_the_cli_exit_codes() -> None:
    assert (Code.DONE, Code.USAGE, Code.DENIED) == (0, 2, 3)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        (
            {"FOUNDRY_DISCORD_ADMIN_ROLE": "admins"},
            "FOUNDRY_DISCORD_ADMIN_ROLE: Value error, must be a Discord role id",
        ),
        ({"FOUNDRY_DISCORD_DELETE_GRACE": "a week"}, "FOUNDRY_DISCORD_DELETE_GRACE: String should match"),
    ],
)
def test_bad_settings_name_the_variable(env: dict[str, str], problem: str) -> None:
    with pytest.raises(UserError, match=problem):
        CommandSettings.from_env(env)
