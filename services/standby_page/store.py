"""The page's data-access port and its two implementations: a Kubernetes API and the simulator.

The page only reads FoundryInstances, FoundryLicenses and FoundryActivationRequests and only creates
FoundryActivationRequests (its RBAC allows nothing else). Finding an instance by hostname needs every
namespace, so `KubeStore` keeps a cluster-wide snapshot refreshed in the background every few seconds:
a page view never waits for a list of 1000 instances.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from foundry_lib.errors import FoundryError
from foundry_lib.kube import (
    FOUNDRY_ACTIVATION_REQUEST,
    FOUNDRY_INSTANCE,
    FOUNDRY_LICENSE,
    KubeAPI,
    KubeObject,
)
from services.standby_page.view import Cluster

log = logging.getLogger("standby-page")


class Store(Protocol):
    def cluster(self) -> Cluster:
        """The latest snapshot (may be a few seconds old)."""

    def create_request(self, namespace: str, body: KubeObject) -> KubeObject:
        """Create a FoundryActivationRequest; raise AlreadyExistsError when its name is taken."""

    def ready(self) -> bool:
        """Whether a snapshot has been read at least once (for /healthz)."""


def read_cluster(kube: KubeAPI) -> Cluster:
    return Cluster.of(
        kube.list_all(FOUNDRY_INSTANCE),
        kube.list_all(FOUNDRY_LICENSE),
        kube.list_all(FOUNDRY_ACTIVATION_REQUEST),
    )


class KubeStore:
    """A snapshot of the cluster through `KubeAPI`, refreshed by `refresh()` (the background thread
    of `start()` calls it every `interval` seconds). A request the page creates enters the snapshot at
    once, so a second POST sees it before the next refresh."""

    def __init__(self, kube: KubeAPI, *, interval: float = 2.0) -> None:
        self._kube = kube
        self._interval = interval
        self._snapshot = Cluster()
        self._read_at: float | None = None
        self._stale_after = max(30.0, 10 * interval)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def cluster(self) -> Cluster:
        return self._snapshot

    def ready(self) -> bool:
        """A snapshot was read, and recently: a page serving an ever older cluster is not healthy."""
        return self._read_at is not None and time.monotonic() - self._read_at < self._stale_after

    def refresh(self) -> None:
        try:
            snapshot = read_cluster(self._kube)
        except FoundryError as err:
            log.warning("refresh failed, keeping the previous snapshot: %s", err)
            return
        with self._lock:
            self._snapshot, self._read_at = snapshot, time.monotonic()

    def create_request(self, namespace: str, body: KubeObject) -> KubeObject:
        created = self._kube.create(FOUNDRY_ACTIVATION_REQUEST, namespace, body)
        with self._lock:
            self._snapshot.add_request(created)
        return created

    def start(self) -> None:
        self.refresh()
        self._thread = threading.Thread(target=self._loop, name="standby-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval + 5)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.refresh()
            except Exception as err:  # a bug must not stop the refreshes; /healthz turns stale
                log.error("refresh failed unexpectedly: %s", type(err).__name__)


class SimulatorStore:
    """The simulator's cluster in a `--state` folder: every call reloads it (a demo is small), and a
    created request is applied through the simulated pipelines (Kratix's part) before it returns."""

    def __init__(self, load: Callable[[], KubeAPI], apply: Callable[[KubeObject], None]) -> None:
        self._load = load
        self._apply = apply
        self._lock = threading.Lock()

    def cluster(self) -> Cluster:
        with self._lock:
            return read_cluster(self._load())

    def ready(self) -> bool:
        return True

    def create_request(self, namespace: str, body: KubeObject) -> KubeObject:
        with self._lock:
            full = {
                "apiVersion": FOUNDRY_ACTIVATION_REQUEST.api_version,
                "kind": FOUNDRY_ACTIVATION_REQUEST.kind,
                **body,
                "metadata": {**body["metadata"], "namespace": namespace},
            }
            self._apply(full)
            return full
