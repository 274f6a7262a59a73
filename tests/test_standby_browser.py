"""A player's whole path in a real browser: headless Chromium opens a standby instance's page served
against the Kubernetes API emulator, clicks "Request Activation", sees Pending; the approval and the
license's switch are played by patching statuses through the emulator, and the page moves on by
itself (no reload), then sends the player on once the server answers. Screenshots are kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import kmock
import pytest
from chromium import chromium, find_chromium
from conftest import emulated_api, serve_kinds
from standby_world import DOMAIN, host, served, tabletop

from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from services.standby_page.app import create_app
from services.standby_page.settings import Settings
from services.standby_page.store import KubeStore

BETA = host("beta")
STATE = "document.getElementById('state').dataset.state"


@asynccontextmanager
async def _page_server(kmock: kmock.KubernetesEmulator) -> AsyncIterator[tuple[str, KubernetesAPI, int]]:
    """Chromium, the emulator's API seeded with the tabletop tenant, and the page served on loopback."""
    binary = find_chromium()
    if binary is None:
        pytest.skip("no chromium on PATH: install Debian's `chromium` (.ci/run does) to run the browser test")
    serve_kinds(kmock)
    api = emulated_api(kmock)
    await asyncio.to_thread(tabletop, api)
    store = KubeStore(api, interval=0.2)
    await asyncio.to_thread(store.start)
    try:
        with served(create_app(store, Settings(secret="browser-test-secret-0123456789"))) as port:
            yield binary, api, port
    finally:
        await asyncio.to_thread(store.stop)
        api.close()


@pytest.mark.slow
async def test_a_player_requests_activation_and_the_page_moves_on(
    kmock: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    async with _page_server(kmock) as (binary, api, port):
        shots = await asyncio.to_thread(_play, binary, api, port, tmp_path)
    for shot in shots:
        print(f"standby page screenshot: {shot}")
        assert shot.stat().st_size > 1000


def _play(binary: str, api: KubernetesAPI, port: int, tmp: Path) -> list[Path]:
    with chromium(binary, tmp / "profile", map_to_localhost=f"*.{DOMAIN}") as browser:
        browser.open(f"http://{BETA}:{port}/")
        assert browser.evaluate(STATE) == "standby"
        assert browser.evaluate("document.getElementById('live').textContent") == "alpha"
        standby = browser.screenshot(tmp / "standby.png")

        browser.click("displayName")
        browser.send("Input.insertText", text="Morgan <b>the bold</b>")
        browser.click("ask-button")
        browser.wait_for(
            "document.getElementById('phase') && document.getElementById('phase').textContent === 'Pending'"
        )
        assert browser.evaluate("document.getElementById('by').textContent") == "Morgan <b>the bold</b>"
        assert browser.evaluate("document.getElementById('ask').hidden") is True
        pending = browser.screenshot(tmp / "pending.png")
        [made] = api.list_all(FOUNDRY_ACTIVATION_REQUEST)
        assert made["metadata"]["namespace"] == "tabletop" and made["spec"]["instanceRef"] == {"name": "beta"}

        browser.evaluate("window.__notReloaded = true")
        _approve_while_players_stay(api, made["metadata"]["name"])
        browser.wait_for(f"{STATE} === 'switching'")
        assert browser.evaluate("document.getElementById('switchover').hidden") is False
        said = browser.evaluate("document.getElementById('switchover').textContent")
        assert said == "alpha has 3 players; switching when they leave or at 21:15 UTC"
        switching = browser.screenshot(tmp / "switching.png")
        _route(api)
        browser.wait_for(f"{STATE} === 'starting'")
        assert browser.evaluate("window.__notReloaded") is True, (
            "the page reloaded instead of refreshing itself"
        )
        starting = browser.screenshot(tmp / "starting.png")

        answering = f"http://127.0.0.1:{port}/healthz"  # stands in for Foundry behind the switched route
        api.merge_patch_status(
            FOUNDRY_INSTANCE, "tabletop", "beta", {"foundry": {"reachable": True}, "url": answering}
        )
        browser.wait_for(f"location.href === {answering!r}")
        return [standby, pending, switching, starting]


def _approve_while_players_stay(api: KubernetesAPI, request: str) -> None:
    """The workflow approves; the license's switchover guard holds the switch while alpha has players."""
    api.merge_patch_status(FOUNDRY_ACTIVATION_REQUEST, "tabletop", request, {"phase": "Approved"})
    api.merge_patch(FOUNDRY_LICENSE, "tabletop", "guild", {"spec": {"activeInstanceName": "beta"}})
    pending = {"target": "beta", "deadline": "2026-11-28T21:15:00Z", "players": 3, "reason": "GracePeriod"}
    api.merge_patch_status(FOUNDRY_LICENSE, "tabletop", "guild", {"pendingSwitchover": pending})


def _route(api: KubernetesAPI) -> None:
    """The players left: the license pipeline routes beta (what it and the monitor would write)."""
    routes = [
        {"name": "alpha", "state": "standby", "hostname": host("alpha")},
        {"name": "beta", "state": "active", "hostname": BETA},
    ]
    status = {"activeInstance": "beta", "instances": routes, "pendingSwitchover": None}
    api.merge_patch_status(FOUNDRY_LICENSE, "tabletop", "guild", status)
    api.merge_patch_status(FOUNDRY_INSTANCE, "tabletop", "alpha", {"isActive": False, "connectedPlayers": 0})
    api.merge_patch_status(
        FOUNDRY_INSTANCE, "tabletop", "beta", {"isActive": True, "foundry": {"reachable": False}}
    )


@pytest.mark.slow
async def test_without_javascript_the_form_still_posts(
    kmock: kmock.KubernetesEmulator, tmp_path: Path
) -> None:
    async with _page_server(kmock) as (binary, api, port):
        shot = await asyncio.to_thread(_post_without_script, binary, port, tmp_path)
        [made] = await asyncio.to_thread(api.list_all, FOUNDRY_ACTIVATION_REQUEST)
    print(f"standby page without JavaScript: {shot}")
    assert made["spec"]["instanceRef"] == {"name": "delta"} and made["metadata"]["namespace"] == "rivals"


def _post_without_script(binary: str, port: int, tmp: Path) -> Path:
    with chromium(binary, tmp / "profile", map_to_localhost=f"*.{DOMAIN}") as browser:
        browser.send("Emulation.setScriptExecutionDisabled", value=True)
        browser.open(f"http://{host('delta')}:{port}/")
        browser.click("ask-button")
        browser.wait_for(
            "document.getElementById('phase') && document.getElementById('phase').textContent === 'Pending'"
        )
        assert browser.evaluate("document.querySelector('meta[http-equiv=refresh]') !== null")
        return browser.screenshot(tmp / "no-script-pending.png")
