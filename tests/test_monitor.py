"""The monitor with the real Kubernetes client against kmock's API emulator and a fake Foundry
answering for 200 instances: statuses right, other writers' keys and conditions untouched, a second
cycle with nothing changed writes at most checkedAt, an instance deleted mid-cycle stays deleted,
waiting switchovers are nudged, disconnects counted; /healthz, /metrics and SIGTERM as a process."""

from __future__ import annotations

import asyncio
import copy
import os
import signal
import sys
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kmock
import pytest
import yaml
from conftest import REPO, emulated_api, resource_key, serve_kinds, write_kubeconfig
from fake_foundry import FakeFoundry, html, no_world, serve, server_error, slow, world
from kratix_driver import EmulatorKratix
from kubernetes import client

from foundry_lib.adapters.foundry_api import FoundryClient
from foundry_lib.adapters.kubernetes_api import KubernetesAPI
from foundry_lib.errors import TransientError
from foundry_lib.foundry_status import FoundryObservation
from foundry_lib.kube import (
    FOUNDRY_ACTIVATION_REQUEST,
    FOUNDRY_INSTANCE,
    FOUNDRY_KINDS,
    FOUNDRY_LICENSE,
    Kind,
)
from foundry_lib.monitor import stamp
from foundry_lib.outcome import MANUAL_RECONCILIATION
from services.monitor.endpoint import EndpointTemplate
from services.monitor.loop import Monitor
from services.monitor.main import monitor_main
from services.status_server import StatusServer

NAMESPACES = ("tabletop", "guild-hall")
START = datetime(2026, 12, 5, 21, 0, 0, tzinfo=UTC)
INTERVAL = timedelta(seconds=30)
KRATIX_CONDITIONS = [
    {"type": "ConfigureWorkflowCompleted", "status": "True", "reason": "PipelinesExecutedSuccessfully"},
    {"type": "Reconciled", "status": "True", "reason": "Reconciled"},
]
OTHERS = {"replicas": 1, "hostname": "x.example.test", "isActive": True, "observedGeneration": 3}


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


GUILD_KEY = (resource_key(FOUNDRY_LICENSE), "tabletop", "guild")


@pytest.fixture
def emulator(kmock: kmock.KubernetesEmulator) -> kmock.KubernetesEmulator:
    serve_kinds(kmock, FOUNDRY_KINDS)
    return kmock


@pytest.fixture
def fake() -> Iterator[FakeFoundry]:
    with serve() as server:
        yield server


@pytest.fixture
def kube(emulator: kmock.KubernetesEmulator) -> Iterator[KubernetesAPI]:
    api = emulated_api(emulator, pool_size=16)
    yield api
    api.close()


def _put(
    emulator: kmock.KubernetesEmulator,
    kind: Kind,
    namespace: str,
    name: str,
    status: dict[str, Any],
    **labels: str,
) -> None:
    emulator.objects[resource_key(kind), namespace, name] = {
        "apiVersion": kind.api_version,
        "kind": kind.kind,
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {"licenseRef": {"name": "guild"}} if kind == FOUNDRY_INSTANCE else {},
        "status": copy.deepcopy(status),
    }


def _stored(emulator: kmock.KubernetesEmulator, kind: Kind, namespace: str, name: str) -> Any:
    """The object as the emulator holds it, or None (`key in emulator.objects` is always False)."""
    try:
        return dict(emulator.objects[resource_key(kind), namespace, name].raw)
    except (KeyError, ValueError):  # never there, or deleted (kmock keeps it soft-deleted)
        return None


def _status(emulator: kmock.KubernetesEmulator, kind: Kind, namespace: str, name: str) -> dict[str, Any]:
    return dict(emulator.objects[resource_key(kind), namespace, name]["status"])


def _status_patches(emulator: kmock.KubernetesEmulator) -> list[dict[str, Any]]:
    return [r.data for r in emulator["patch"] if r.subresource == "status"]


def _monitor(kube: KubernetesAPI, foundry: Any, fake: FakeFoundry, clock: Clock) -> Monitor:
    endpoint = EndpointTemplate.parse(fake.url + "/{namespace}/{name}")
    return Monitor(kube, foundry, endpoint=endpoint, interval=INTERVAL, concurrency=16, clock=clock)


def _instances(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, count: int, later: timedelta = timedelta(0)
) -> dict[tuple[str, str], Any]:
    """`count` instances in two namespaces, each answering one of the shapes (`later` into their
    uptime; created when `later` is zero); what each should show."""
    uptime = 120.0 + later.total_seconds()
    replies = [
        (
            world(3, uptime=uptime),
            {"connectedPlayers": 3, "activeWorld": "campaign-alpha", "reachable": True},
        ),
        (
            world(0, uptime=uptime),
            {"connectedPlayers": 0, "activeWorld": "campaign-alpha", "reachable": True},
        ),
        (no_world(), {"connectedPlayers": 0, "activeWorld": None, "reachable": True}),
        (html(), {"connectedPlayers": None, "activeWorld": None, "reachable": False, "reason": "NotJSON"}),
        (
            server_error(503),
            {"connectedPlayers": None, "activeWorld": None, "reachable": False, "reason": "ServerError"},
        ),
    ]
    expected = {}
    for i in range(count):
        namespace, name = NAMESPACES[i % 2], f"inst-{i:03d}"
        reply, want = replies[i % len(replies)]
        fake.set(namespace, name, reply)
        if not later:
            _put(emulator, FOUNDRY_INSTANCE, namespace, name, {**OTHERS, "conditions": KRATIX_CONDITIONS})
        expected[namespace, name] = want
    return expected


async def test_200_instances_get_the_right_status_other_keys_untouched_and_a_second_cycle_writes_nothing(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    expected = _instances(emulator, fake, 200)
    clock = Clock()
    foundry = FoundryClient(timeout=2.0)
    monitor = _monitor(kube, foundry, fake, clock)
    report = await asyncio.to_thread(monitor.cycle)
    statuses = await _statuses(kube)
    assert (report.ok, report.instances, report.writes) == (True, 200, 200)
    for key, want in expected.items():
        status = statuses[key]
        assert status.get("connectedPlayers") == want["connectedPlayers"], key
        assert status.get("activeWorld") == want["activeWorld"], key
        assert status["foundry"]["reachable"] is want["reachable"], key
        assert status["foundry"].get("reason") == want.get("reason"), key
        assert status["foundry"]["checkedAt"] == "2026-12-05T21:00:00Z"
        assert status["conditions"] == KRATIX_CONDITIONS  # untouched: never sent through the API
        assert {k: status[k] for k in OTHERS} == OTHERS
    for patch in _status_patches(emulator):
        assert set(patch["status"]) <= {"connectedPlayers", "lastPlayerActivity", "activeWorld", "foundry"}
    # Nothing else was written: no create, update or delete, no metadata (finalizer, label, annotation).
    assert [r for r in emulator["patch"] if r.subresource != "status"] == []
    assert [*emulator["post"], *emulator["put"], *emulator["delete"]] == []
    alpha = statuses["tabletop", "inst-000"]
    assert alpha["foundry"]["startedAt"] == "2026-12-05T20:58:00Z"  # check time - uptime (120 s)
    assert alpha["lastPlayerActivity"] == "2026-12-05T21:00:00Z"
    # Five seconds later, nothing changed: no write at all.
    clock.now += timedelta(seconds=5)
    _instances(emulator, fake, 200, timedelta(seconds=5))
    again = await asyncio.to_thread(monitor.cycle)
    monitor.close()
    foundry.close()
    assert (again.ok, again.instances, again.writes) == (True, 200, 0)
    assert len(_status_patches(emulator)) == 200


async def test_an_interval_later_with_nothing_changed_only_checked_at_moves(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    _instances(emulator, fake, 20)
    clock = Clock()
    foundry = FoundryClient(timeout=2.0)
    monitor = _monitor(kube, foundry, fake, clock)
    await asyncio.to_thread(monitor.cycle)
    before = await _statuses(kube)
    clock.now += INTERVAL
    _instances(emulator, fake, 20, INTERVAL)  # the same servers, an interval older
    report = await asyncio.to_thread(monitor.cycle)
    after = await _statuses(kube)
    monitor.close()
    foundry.close()
    assert report.writes == 20  # each at most once per interval
    for key, status in after.items():
        assert status["foundry"].pop("checkedAt") == stamp(clock.now)
        before[key]["foundry"].pop("checkedAt")
        if status.get("connectedPlayers"):  # players still on: the last time they were seen moves too
            assert status.pop("lastPlayerActivity") == stamp(clock.now)
            before[key].pop("lastPlayerActivity")
        assert status == before[key]


async def _statuses(kube: KubernetesAPI) -> dict[tuple[str, str], dict[str, Any]]:
    found = await asyncio.to_thread(kube.list_all, FOUNDRY_INSTANCE)
    return {(o["metadata"]["namespace"], o["metadata"]["name"]): o["status"] for o in found}


class DeletingSource:
    """Foundry answers, but the instance is deleted from the API while the monitor polls it."""

    def __init__(self, emulator: kmock.KubernetesEmulator, inner: FoundryClient, doomed: str) -> None:
        self.emulator, self.inner, self.doomed = emulator, inner, doomed

    def status(self, base_url: str) -> FoundryObservation:
        if base_url.endswith("/" + self.doomed):
            del self.emulator.objects[resource_key(FOUNDRY_INSTANCE), "tabletop", self.doomed]
        return self.inner.status(base_url)


async def test_an_instance_deleted_mid_cycle_is_skipped_and_never_recreated(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    for name in ("alpha", "beta"):
        _put(emulator, FOUNDRY_INSTANCE, "tabletop", name, {"replicas": 1})
        fake.set("tabletop", name, world(2))
    foundry = FoundryClient(timeout=2.0)
    monitor = _monitor(kube, DeletingSource(emulator, foundry, "beta"), fake, Clock())
    report = await asyncio.to_thread(monitor.cycle)
    monitor.close()
    foundry.close()
    assert (report.ok, report.writes, report.skipped_gone) == (True, 1, 1)
    assert _stored(emulator, FOUNDRY_INSTANCE, "tabletop", "beta") is None  # not recreated by a patch
    assert _stored(emulator, FOUNDRY_INSTANCE, "tabletop", "alpha") is not None
    assert _status(emulator, FOUNDRY_INSTANCE, "tabletop", "alpha")["connectedPlayers"] == 2


async def test_a_stopped_instance_is_not_asked_and_shows_why(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    _put(emulator, FOUNDRY_INSTANCE, "tabletop", "resting", {"replicas": 0})
    fake.set("tabletop", "resting", world(1))  # whatever answers there is not asked
    foundry = FoundryClient(timeout=2.0)
    monitor = _monitor(kube, foundry, fake, Clock())
    await asyncio.to_thread(monitor.cycle)
    text = monitor.metrics.exposition().decode()
    monitor.close()
    foundry.close()
    status = _status(emulator, FOUNDRY_INSTANCE, "tabletop", "resting")
    assert fake.requests["tabletop/resting"] == 0
    assert (status.get("connectedPlayers"), status["foundry"]["reason"]) == (None, "NotRunning")
    assert "foundry_poll_errors_total{" not in text


async def test_a_waiting_switchover_is_nudged_when_players_leave_and_a_switch_counts_disconnects(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    pending = {"target": "beta", "requestedAt": "2026-12-05T20:59:00Z", "players": 3, "reason": "block"}
    _put(
        emulator,
        FOUNDRY_LICENSE,
        "tabletop",
        "guild",
        {"activeInstance": "alpha", "pendingSwitchover": pending},
    )
    for name in ("alpha", "beta"):
        _put(emulator, FOUNDRY_INSTANCE, "tabletop", name, {"replicas": 1})
    fake.set("tabletop", "alpha", world(3))
    fake.set("tabletop", "beta", world(0))
    clock = Clock()
    foundry = FoundryClient(timeout=2.0)
    monitor = _monitor(kube, foundry, fake, clock)

    def labels() -> dict[str, str]:
        return dict(emulator.objects[GUILD_KEY]["metadata"]["labels"] or {})

    await asyncio.to_thread(monitor.cycle)
    assert MANUAL_RECONCILIATION not in labels()  # three players on the routed instance: wait
    fake.set("tabletop", "alpha", world(0))
    clock.now += INTERVAL
    report = await asyncio.to_thread(monitor.cycle)
    assert report.nudges == 1 and labels()[MANUAL_RECONCILIATION] == "true"
    assert _status(emulator, FOUNDRY_LICENSE, "tabletop", "guild")["pendingSwitchover"] == pending  # not ours
    # A forced switch away from alpha while 4 players are on it.
    fake.set("tabletop", "alpha", world(4))
    clock.now += INTERVAL
    await asyncio.to_thread(monitor.cycle)
    emulator.objects[GUILD_KEY]["status"] = {"activeInstance": "beta"}
    clock.now += INTERVAL
    await asyncio.to_thread(monitor.cycle)
    text = monitor.metrics.exposition().decode()
    monitor.close()
    foundry.close()
    assert 'foundry_players_disconnected_total{license="guild",namespace="tabletop"} 4.0' in text
    assert 'foundry_connected_players{instance="alpha",namespace="tabletop"} 4.0' in text


class FlakyLabels:
    """The real client, but the first license label patch fails as a lost connection would."""

    def __init__(self, inner: KubernetesAPI) -> None:
        self.inner, self.failures = inner, 1
        self.list_all, self.list, self.merge_patch_status = (
            inner.list_all,
            inner.list,
            inner.merge_patch_status,
        )

    def merge_patch(self, kind: Kind, namespace: str, name: str, patch: dict[str, Any]) -> dict[str, Any]:
        if self.failures:
            self.failures -= 1
            raise TransientError("Kubernetes API: merge-patch failed: ProtocolError, no response")
        return self.inner.merge_patch(kind, namespace, name, patch)


async def test_a_nudge_that_failed_is_tried_again_next_cycle_and_then_not_repeated(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    pending = {"target": "beta", "requestedAt": "2026-12-05T20:59:00Z", "players": 1, "reason": "grace"}
    _put(
        emulator,
        FOUNDRY_LICENSE,
        "tabletop",
        "guild",
        {"activeInstance": "alpha", "pendingSwitchover": pending},
    )
    _put(emulator, FOUNDRY_INSTANCE, "tabletop", "alpha", {"replicas": 1})
    fake.set("tabletop", "alpha", world(0))
    foundry = FoundryClient(timeout=2.0)
    monitor = Monitor(
        FlakyLabels(kube),
        foundry,
        endpoint=EndpointTemplate.parse(fake.url + "/{namespace}/{name}"),
        interval=INTERVAL,
        clock=Clock(),
    )
    reports = [await asyncio.to_thread(monitor.cycle) for _ in range(2)]
    emulator.objects[GUILD_KEY]["metadata"]["labels"] = {}  # Kratix ran it
    reports.append(await asyncio.to_thread(monitor.cycle))
    monitor.close()
    foundry.close()
    assert [r.nudges for r in reports] == [0, 1, 0]


async def test_namespaces_limit_what_is_listed_and_asked(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    for namespace in NAMESPACES:
        _put(emulator, FOUNDRY_INSTANCE, namespace, "alpha", {"replicas": 1})
        fake.set(namespace, "alpha", world(1))
    foundry = FoundryClient(timeout=2.0)
    endpoint = EndpointTemplate.parse(fake.url + "/{namespace}/{name}")
    monitor = Monitor(
        kube, foundry, endpoint=endpoint, interval=INTERVAL, clock=Clock(), namespaces=("guild-hall",)
    )
    report = await asyncio.to_thread(monitor.cycle)
    monitor.close()
    foundry.close()
    assert (report.instances, fake.requests["tabletop/alpha"], fake.requests["guild-hall/alpha"]) == (1, 0, 1)
    assert "foundry" not in _status(emulator, FOUNDRY_INSTANCE, "tabletop", "alpha")


async def test_the_loop_waits_out_the_rest_of_each_interval_and_stops_when_asked(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    _put(emulator, FOUNDRY_INSTANCE, "tabletop", "alpha", {"replicas": 1})
    foundry = FoundryClient(timeout=2.0)
    monitor = _monitor(kube, foundry, fake, Clock())
    pauses: list[float] = []

    def wait(seconds: float) -> bool:
        pauses.append(seconds)
        return len(pauses) == 3  # stop requested during the third pause

    await asyncio.to_thread(monitor.run, wait)
    monitor.close()
    foundry.close()
    assert len(pauses) == 3 and fake.requests["tabletop/alpha"] == 3
    assert all(INTERVAL.total_seconds() - 5 < p <= INTERVAL.total_seconds() for p in pauses)


async def test_api_errors_skip_the_cycle_without_writing(fake: FakeFoundry) -> None:
    # No API server at all: the list fails, the cycle reports it and nothing is polled.
    api = KubernetesAPI(client.ApiClient(client.Configuration(host="http://127.0.0.1:9")), timeout=1.0)
    foundry = FoundryClient(timeout=1.0)
    monitor = _monitor(api, foundry, fake, Clock())
    report = await asyncio.to_thread(monitor.cycle)
    text = monitor.metrics.exposition().decode()
    monitor.close()
    foundry.close()
    api.close()
    assert not report.ok and sum(fake.requests.values()) == 0
    assert 'foundry_monitor_api_errors_total{call="list"} 1.0' in text


def test_healthz_and_metrics_are_served() -> None:
    healthy = [True]
    server = StatusServer("127.0.0.1", 0, healthy=lambda: healthy[0], metrics=lambda: b"foundry_x 1\n")
    base = f"http://127.0.0.1:{server.port}"
    try:
        with urllib.request.urlopen(base + "/healthz") as ok:
            assert ok.status == 200
        with urllib.request.urlopen(base + "/metrics") as metrics:
            assert metrics.read() == b"foundry_x 1\n"
        healthy[0] = False
        with pytest.raises(urllib.error.HTTPError) as failed:
            urllib.request.urlopen(base + "/healthz")
        assert failed.value.code == 503
        failed.value.close()
    finally:
        server.close()


async def test_the_process_runs_cycles_serves_metrics_and_stops_cleanly_on_sigterm(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, tmp_path: Path
) -> None:
    _put(emulator, FOUNDRY_INSTANCE, "tabletop", "alpha", {"replicas": 1})
    fake.set("tabletop", "alpha", slow(0.05, world(2)))
    _requests(emulator)  # finished days ago but completed-6d23h: within the default 7d, not 1h
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", str(emulator.url), token="t0ken")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        "HOME": str(tmp_path),
        "KUBECONFIG": str(kubeconfig),
        "FOUNDRY_MONITOR_INTERVAL": "1s",
        "FOUNDRY_ACTIVATION_RETENTION": "1h",
    }
    command = "from foundry_platform.cli import main; main()"
    args = ["monitor", "--endpoint-template", fake.url + "/{namespace}/{name}", "--host", "127.0.0.1"]
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        command,
        *args,
        "--metrics-port",
        "0",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stderr is not None
    lines = []
    while len([line for line in lines if "cycle:" in line]) < 2:
        line = (await asyncio.wait_for(process.stderr.readline(), timeout=20)).decode()
        assert line, "".join(lines)
        lines.append(line)
    [port] = [line.rsplit(":", 1)[1].strip() for line in lines if "serving /healthz" in line]
    health = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/healthz")
    metrics = await asyncio.to_thread(_get, f"http://127.0.0.1:{port}/metrics")
    assert health == b"ok\n"
    assert b'foundry_connected_players{instance="alpha",namespace="tabletop"} 2.0' in metrics
    assert b"foundry_monitor_cycle_seconds_count" in metrics
    assert b"foundry_activation_requests_deleted_total 5.0" in metrics  # every finished one
    assert _left(emulator) == {"pending-30d": False, "approved-30d": False}
    process.send_signal(signal.SIGTERM)
    rest = (await asyncio.wait_for(process.stderr.read(), timeout=20)).decode()
    code = await process.wait()
    assert code == 0, "".join(lines) + rest
    assert "stopped" in rest
    assert _status(emulator, FOUNDRY_INSTANCE, "tabletop", "alpha")["connectedPlayers"] == 2
    assert "Traceback" not in "".join(lines) + rest


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        body: bytes = response.read()
        return body


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--endpoint-template", "http://{name}.svc:30000"], "lacks {namespace}"),
        (
            ["--endpoint-template", "http://{name}.{namespace}.{cluster}:30000"],
            "unknown placeholders {cluster}",
        ),
        (["--endpoint-template", "{name}.{namespace}:30000"], "must start with http"),
        (["--endpoint-template", "http://{name.{namespace}"], "not a valid template"),
        (["--interval", "0s"], "--interval '0s' must be a duration of at least 1s"),
        (["--interval", "soon"], "--interval 'soon' must be a duration"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
    ],
)
def test_bad_arguments_are_refused_naming_the_problem(
    args: list[str], problem: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert monitor_main(["--once", *args]) == 2
    assert problem in capsys.readouterr().err


def test_a_bad_retention_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FOUNDRY_ACTIVATION_RETENTION", "a week")
    assert monitor_main(["--once", "--interval", "30s"]) == 2
    assert "FOUNDRY_ACTIVATION_RETENTION: String should match pattern" in capsys.readouterr().err


def test_a_bad_interval_setting_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FOUNDRY_MONITOR_INTERVAL", "0s")
    assert monitor_main(["--once"]) == 2
    assert "FOUNDRY_MONITOR_INTERVAL: Value error, must be at least 1s" in capsys.readouterr().err


# -- the retention timer: finished activation requests past FOUNDRY_ACTIVATION_RETENTION are deleted --

WEEK = timedelta(days=7)
FINALIZER = "kratix.io/workflows-cleanup"
# (namespace, name, phase, finished this long before START or None): deleted?
REQUESTS = [
    ("tabletop", "completed-8d", "Completed", timedelta(days=8), True),
    ("tabletop", "denied-7d", "Denied", WEEK, True),  # exactly the retention: due
    ("tabletop", "expired-30d", "Expired", timedelta(days=30), True),
    ("guild-hall", "failed-8d", "Failed", timedelta(days=8), True),  # every namespace is swept
    ("tabletop", "completed-6d23h", "Completed", WEEK - timedelta(hours=1), False),
    ("tabletop", "pending-30d", "Pending", None, False),  # open requests are never deleted
    ("guild-hall", "approved-30d", "Approved", None, False),
]


def _requests(emulator: kmock.KubernetesEmulator, *, finalizers: bool = False) -> None:
    for namespace, name, phase, finished, _ in REQUESTS:
        status: dict[str, Any] = {"phase": phase, "message": "whatever the pipeline said"}
        if finished is not None:
            status["finishedAt"] = stamp(START - finished)
        meta: dict[str, Any] = {"name": name, "namespace": namespace}
        meta["creationTimestamp"] = stamp(START - timedelta(days=30))
        if finalizers:
            meta["finalizers"] = [FINALIZER]
        emulator.objects[resource_key(FOUNDRY_ACTIVATION_REQUEST), namespace, name] = {
            "apiVersion": FOUNDRY_ACTIVATION_REQUEST.api_version,
            "kind": FOUNDRY_ACTIVATION_REQUEST.kind,
            "metadata": meta,
            "spec": {"instanceRef": {"name": "alpha"}},
            "status": status,
        }


def _left(emulator: kmock.KubernetesEmulator) -> dict[str, bool]:
    """Requests still stored, by name: True when marked for deletion (a finalizer holds them)."""
    found = {}
    for namespace, name, *_ in REQUESTS:
        raw = _stored(emulator, FOUNDRY_ACTIVATION_REQUEST, namespace, name)
        if raw is not None:
            found[name] = bool(raw.get("metadata", {}).get("deletionTimestamp"))
    return found


def _sweeper(kube: Any, fake: FakeFoundry, foundry: FoundryClient, **options: Any) -> Monitor:
    endpoint = EndpointTemplate.parse(fake.url + "/{namespace}/{name}")
    return Monitor(kube, foundry, endpoint=endpoint, interval=INTERVAL, clock=Clock(), **options)


@pytest.mark.parametrize("finalizers", [False, True], ids=["removed", "held-by-kratix-finalizer"])
async def test_the_monitor_deletes_exactly_the_finished_requests_past_retention(
    emulator: kmock.KubernetesEmulator,
    fake: FakeFoundry,
    kube: KubernetesAPI,
    caplog: pytest.LogCaptureFixture,
    finalizers: bool,
) -> None:
    _requests(emulator, finalizers=finalizers)
    foundry = FoundryClient(timeout=2.0)
    monitor = _sweeper(kube, fake, foundry, retention=WEEK)
    with caplog.at_level("INFO", logger="foundry.monitor"):
        report = await asyncio.to_thread(monitor.cycle)
    text = monitor.metrics.exposition().decode()
    monitor.close()
    foundry.close()
    doomed = sorted(name for _, name, *_, deleted in REQUESTS if deleted)
    kept = sorted(name for _, name, *_, deleted in REQUESTS if not deleted)
    assert (report.ok, report.deleted) == (True, len(doomed))
    if finalizers:  # Kratix's finalizer keeps them, marked, until their delete workflow ran
        assert _left(emulator) == {name: name in doomed for name in kept + doomed}
    else:
        assert _left(emulator) == dict.fromkeys(kept, False)
    deletes = sorted(r.url.path.rsplit("/", 1)[1] for r in emulator["delete"])
    assert deletes == doomed
    lines = [r.getMessage() for r in caplog.records if "activation request" in r.getMessage()]
    assert sorted(lines) == sorted(
        f"activation request {ns}/{name}: deleted, it finished more than 168h ago"
        for ns, name, *_, deleted in REQUESTS
        if deleted
    )
    assert f"foundry_activation_requests_deleted_total {float(len(doomed))}" in text
    assert [r for r in emulator["patch"] if "foundryactivationrequests" in r.url.path] == []


class VanishingKube(KubernetesAPI):
    """Someone else deletes a request between the monitor's list and its delete: the delete is a 404."""

    def __init__(self, api_client: client.ApiClient, emulator: kmock.KubernetesEmulator, doomed: str) -> None:
        super().__init__(api_client)
        self.emulator, self.doomed = emulator, doomed

    def list_all(self, kind: Kind) -> list[Any]:
        found = super().list_all(kind)
        if kind == FOUNDRY_ACTIVATION_REQUEST:
            del self.emulator.objects[resource_key(kind), "tabletop", self.doomed]
        return found


async def test_a_request_already_gone_is_fine_and_the_others_are_still_deleted(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, caplog: pytest.LogCaptureFixture
) -> None:
    _requests(emulator)
    configuration = client.Configuration(host=str(emulator.url).rstrip("/"))
    kube = VanishingKube(client.ApiClient(configuration), emulator, "completed-8d")
    foundry = FoundryClient(timeout=2.0)
    monitor = _sweeper(kube, fake, foundry, retention=WEEK)
    with caplog.at_level("INFO", logger="foundry.monitor"):
        report = await asyncio.to_thread(monitor.cycle)
    text = monitor.metrics.exposition().decode()
    monitor.close()
    foundry.close()
    kube.close()
    assert (report.ok, report.deleted) == (True, 3)
    assert "activation request tabletop/completed-8d: already gone" in caplog.text
    assert _left(emulator) == {"completed-6d23h": False, "pending-30d": False, "approved-30d": False}
    assert "foundry_monitor_api_errors_total{" not in text  # a 404 is not an error
    assert "foundry_activation_requests_deleted_total 3.0" in text


async def test_the_sweep_runs_on_the_first_cycle_then_every_tenth_and_honours_namespaces(
    emulator: kmock.KubernetesEmulator, fake: FakeFoundry, kube: KubernetesAPI
) -> None:
    _requests(emulator)
    foundry = FoundryClient(timeout=2.0)
    monitor = _sweeper(kube, fake, foundry, retention=timedelta(days=1), namespaces=("guild-hall",))
    reports = [await asyncio.to_thread(monitor.cycle) for _ in range(12)]
    monitor.close()
    foundry.close()
    lists = [r.url.path for r in emulator["get"] if r.url.path.endswith("/foundryactivationrequests")]
    assert lists == ["/apis/foundry.platform/v1alpha1/namespaces/guild-hall/foundryactivationrequests"] * 2
    assert [r.deleted for r in reports] == [1] + [0] * 11  # the 11th finds nothing left to delete
    assert "failed-8d" not in _left(emulator) and "completed-8d" in _left(emulator)


async def test_a_request_the_monitor_deletes_runs_its_delete_workflow_through_kratix(
    kmock: kmock.KubernetesEmulator, fake: FakeFoundry, tmp_path: Path
) -> None:
    """End to end over the emulator: the owner denies a request; a week later the monitor's DELETE
    only marks it (Kratix's finalizers), Kratix runs the request's delete pipeline, which succeeds,
    and removes the finalizers: the request is gone."""
    serve_kinds(kmock)
    guild = REPO / "examples" / "dungeons-guild"
    docs = [
        d
        for name in ("license.yaml", "instances.yaml", "activation-request.yaml")
        for d in yaml.safe_load_all((guild / name).read_text())
        if d
    ]
    settings = {"FOUNDRY_NFS_SERVER": "nas.example.internal"}
    kratix = EmulatorKratix(tmp_path / "kratix", START, settings, kmock, in_process=True)
    request = docs[-1]
    denied = copy.deepcopy(request)
    denied["spec"]["decision"] = {"approved": False, "by": "discord:123456789012345678"}

    def play(moment: datetime, applied: list[dict[str, Any]]) -> None:
        kratix.now = moment
        for doc in applied:
            kratix.apply(doc)
        kratix.settle()

    await asyncio.to_thread(play, START, docs)
    await asyncio.to_thread(play, START + timedelta(minutes=1), [denied])
    where = ("tabletop", "campaign-beta-tonight")
    assert kratix.state.get(FOUNDRY_ACTIVATION_REQUEST, *where)["status"]["phase"] == "Denied"  # type: ignore[index]
    later = Clock()
    later.now = START + timedelta(days=7, minutes=2)
    foundry = FoundryClient(timeout=2.0)
    endpoint = EndpointTemplate.parse(fake.url + "/{namespace}/{name}")
    monitor = Monitor(kratix.http, foundry, endpoint=endpoint, interval=INTERVAL, clock=later)
    report = await asyncio.to_thread(monitor.cycle)
    monitor.close()
    foundry.close()
    marked = kratix.state.get(FOUNDRY_ACTIVATION_REQUEST, *where)
    assert report.deleted == 1 and marked is not None and marked["metadata"]["deletionTimestamp"]
    await asyncio.to_thread(play, later.now, [])
    assert kratix.state.get(FOUNDRY_ACTIVATION_REQUEST, *where) is None
    runs = [f"{r.kind} {r.name} {r.action}: {r.result}" for r in kratix.runs if r.action == "delete"]
    assert runs == ["FoundryActivationRequest campaign-beta-tonight delete: succeeded"]


# -- the scheduled deletion timer: instances whose `vtt delete` grace period ended are deleted --


async def test_the_monitor_deletes_instances_whose_scheduled_deletion_is_due(
    emulator: kmock.KubernetesEmulator,
    fake: FakeFoundry,
    kube: KubernetesAPI,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name, at in (
        ("due", START - timedelta(seconds=1)),
        ("later", START + timedelta(hours=1)),
        ("kept", None),
    ):
        _put(emulator, FOUNDRY_INSTANCE, "tabletop", name, {})
        if at is not None:
            raw = dict(emulator.objects[resource_key(FOUNDRY_INSTANCE), "tabletop", name].raw)
            raw["metadata"]["annotations"] = {"foundry.platform/delete-at": stamp(at)}
            emulator.objects[resource_key(FOUNDRY_INSTANCE), "tabletop", name] = raw
    foundry = FoundryClient(timeout=2.0)
    monitor = _sweeper(kube, fake, foundry, retention=WEEK)
    with caplog.at_level("INFO", logger="foundry.monitor"):
        report = await asyncio.to_thread(monitor.cycle)
    monitor.close()
    foundry.close()
    assert report.ok
    assert [r.url.path.rsplit("/", 1)[1] for r in emulator["delete"]] == ["due"]
    assert _stored(emulator, FOUNDRY_INSTANCE, "tabletop", "due") is None
    assert _stored(emulator, FOUNDRY_INSTANCE, "tabletop", "later") is not None
    assert "instance tabletop/due: deleted, its scheduled deletion time passed" in caplog.text
