"""A small cluster as the standby page sees it, and a real uvicorn server for the page in a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette

from foundry_lib.kube import FOUNDRY_INSTANCE, FOUNDRY_LICENSE, KubeAPI

DOMAIN = "games.example.com"


def license_obj(name: str, namespace: str, *, active: str, routes: dict[str, str]) -> dict[str, Any]:
    """A license whose pipeline routed `routes` (instance → state) under its base domain."""
    return {
        "apiVersion": FOUNDRY_LICENSE.api_version,
        "kind": FOUNDRY_LICENSE.kind,
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": "2026-11-28T19:00:00Z"},
        "spec": {
            "licenseSecretRef": {"name": "key", "key": "key"},
            "credentialsSecretRef": {"name": "account"},
            "baseDomain": DOMAIN,
            "activeInstanceName": active,
        },
        "status": {
            "activeInstance": active,
            "instances": [
                {"name": inst, "state": state, "hostname": host(inst, namespace), "version": "13.351"}
                for inst, state in routes.items()
            ],
            "message": f"{active} is active; secret-ish internal detail in {namespace}",
        },
    }


def instance_obj(
    name: str,
    namespace: str,
    license_name: str,
    *,
    active: bool,
    players: int | None = None,
    created: str = "",
) -> dict[str, Any]:
    return {
        "apiVersion": FOUNDRY_INSTANCE.api_version,
        "kind": FOUNDRY_INSTANCE.kind,
        "metadata": {
            "name": name,
            "namespace": namespace,
            "creationTimestamp": created or "2026-11-28T19:30:00Z",
        },
        "spec": {"licenseRef": {"name": license_name}},
        "status": {
            "hostname": host(name, namespace),
            "url": f"https://{host(name, namespace)}",
            "foundryVersion": {"requested": "13.x", "resolved": "13.351"},
            "isActive": active,
            "connectedPlayers": players,
            "foundry": {"reachable": active},
        },
    }


def host(instance: str, namespace: str = "") -> str:
    """Hostnames do not name the namespace, so a test can check pages never do."""
    return f"{instance}.{DOMAIN}"


def seed(kube: KubeAPI, *objects: dict[str, Any]) -> None:
    """Create each object, then write its status through the status subresource (as its writers do)."""
    for obj in objects:
        kind = FOUNDRY_LICENSE if obj["kind"] == FOUNDRY_LICENSE.kind else FOUNDRY_INSTANCE
        meta = obj["metadata"]
        kube.create(kind, meta["namespace"], {k: v for k, v in obj.items() if k != "status"})
        kube.merge_patch_status(kind, meta["namespace"], meta["name"], obj["status"])


def tabletop(kube: KubeAPI) -> None:
    """Two tenants: tabletop (alpha live with 3 players, beta on standby) and rivals (gamma live)."""
    seed(
        kube,
        license_obj("guild", "tabletop", active="alpha", routes={"alpha": "active", "beta": "standby"}),
        instance_obj("alpha", "tabletop", "guild", active=True, players=3),
        instance_obj("beta", "tabletop", "guild", active=False),
        license_obj("rival", "rivals", active="gamma", routes={"gamma": "active", "delta": "standby"}),
        instance_obj("gamma", "rivals", "rival", active=True, players=0),
        instance_obj("delta", "rivals", "rival", active=False),
    )


@contextmanager
def served(app: Starlette) -> Iterator[int]:
    """Serve `app` with uvicorn on 127.0.0.1 (a free port) in a thread; yield the port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the standby page server did not start")
        time.sleep(0.01)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)
