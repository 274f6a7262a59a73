"""The monitor's Prometheus metrics, on a registry of its own (tests read one per monitor)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from foundry_lib.foundry_status import UnknownReason
from foundry_lib.monitor import Disconnect, InstanceKey, Poll


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.players = Gauge(
            "foundry_connected_players",
            "Players connected to an instance at its last successful poll",
            ["namespace", "instance"],
            registry=self.registry,
        )
        self.poll_errors = Counter(
            "foundry_poll_errors_total",
            "Polls of /api/status that gave no Foundry answer, by reason",
            ["reason"],
            registry=self.registry,
        )
        self.api_errors = Counter(
            "foundry_monitor_api_errors_total",
            "Kubernetes API calls of the monitor that failed, by call",
            ["call"],
            registry=self.registry,
        )
        self.cycle_seconds = Histogram(
            "foundry_monitor_cycle_seconds",
            "Duration of one monitor cycle (list, poll every instance, write)",
            buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.disconnected = Counter(
            "foundry_players_disconnected_total",
            "Players on an instance at the moment its license stopped routing it",
            ["namespace", "license"],
            registry=self.registry,
        )
        self.requests_deleted = Counter(
            "foundry_activation_requests_deleted_total",
            "Finished FoundryActivationRequests the retention sweep deleted",
            registry=self.registry,
        )
        self._known: set[InstanceKey] = set()

    def observe_polls(self, polls: dict[InstanceKey, Poll]) -> None:
        """Players per instance; an instance gone or unknown this cycle has no sample (not a zero)."""
        known = set()
        for (namespace, name), poll in polls.items():
            players = poll.observation.players
            if players is None:
                if poll.observation.reason is not UnknownReason.NOT_RUNNING:  # not asked: no error
                    self.poll_errors.labels(str(poll.observation.reason)).inc()
                continue
            self.players.labels(namespace, name).set(players)
            known.add((namespace, name))
        for namespace, name in self._known - known:
            self.players.remove(namespace, name)
        self._known = known

    def observe_disconnects(self, disconnects: tuple[Disconnect, ...]) -> None:
        for gone in disconnects:
            self.disconnected.labels(gone.namespace, gone.license).inc(gone.players)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
