"""One monitor cycle and the loop around it; the Kubernetes API, Foundry, clock and sleep are injected.

A cycle lists every FoundryInstance and FoundryLicense cluster-wide (no watch: each cycle is
level-triggered from a fresh list, so a restart or a missed event loses nothing, and the monitor
needs no finalizer, annotation or label of its own: a monitor that is down never blocks a deletion),
polls every instance with bounded concurrency, asks `foundry_lib.monitor.assess` what to do, and
does it: status merge patches with only the monitor's keys (never `conditions`), the
manual-reconciliation label on licenses whose switchover waits for an idle instance. An object
deleted mid-cycle answers 404 to its patch and is skipped: a merge patch never creates.

The retention timer rides on the cycles: the first listed cycle and every `SWEEP_EVERY`th after it
list the FoundryActivationRequests and delete those finished longer than the retention period ago
(`foundry_lib.activation.expired_requests`). Retention counts in days, so a sweep every few minutes
is on time, and the requests are not listed every 30 seconds for nothing. Each delete goes through
Kratix's finalizer and the request's delete workflow like any `kubectl delete`; a request already
gone (404) is fine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from foundry_lib.activation import expired_requests
from foundry_lib.durations import format_duration
from foundry_lib.errors import FoundryError, NotFoundError
from foundry_lib.foundry_status import FoundryObservation
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE, Kind, KubeObject
from foundry_lib.models.status import Writer, check_status_write
from foundry_lib.monitor import (
    STOPPED,
    Assessment,
    InstanceKey,
    Memory,
    Nudge,
    Poll,
    StatusPatch,
    assess,
    worth_asking,
)
from foundry_lib.outcome import MANUAL_RECONCILIATION
from foundry_lib.scheduled_delete import due_deletions
from services.monitor.endpoint import EndpointTemplate
from services.monitor.metrics import Metrics

log = logging.getLogger("foundry.monitor")

SWEEP_EVERY = 10  # complete cycles from one retention sweep to the next (the first cycle sweeps)
DEFAULT_RETENTION = timedelta(days=7)  # FOUNDRY_ACTIVATION_RETENTION's default


class MonitorKube(Protocol):
    """The Kubernetes calls the monitor makes (KubernetesAPI has them all)."""

    def list_all(self, kind: Kind) -> list[KubeObject]: ...

    def list(
        self, kind: Kind, namespace: str, labels: Mapping[str, str] | None = None
    ) -> list[KubeObject]: ...

    def merge_patch(self, kind: Kind, namespace: str, name: str, patch: KubeObject) -> KubeObject: ...

    def merge_patch_status(self, kind: Kind, namespace: str, name: str, status: KubeObject) -> KubeObject: ...

    def delete(self, kind: Kind, namespace: str, name: str) -> bool: ...


class FoundrySource(Protocol):
    def status(self, base_url: str) -> FoundryObservation: ...


@dataclass(frozen=True)
class CycleReport:
    """What one cycle did (tests and the log read it)."""

    ok: bool
    instances: int = 0
    writes: int = 0
    skipped_gone: int = 0
    nudges: int = 0
    seconds: float = 0.0
    deleted: int = 0  # finished activation requests deleted by the retention sweep


class Monitor:
    def __init__(
        self,
        kube: MonitorKube,
        foundry: FoundrySource,
        *,
        endpoint: EndpointTemplate,
        interval: timedelta,
        concurrency: int = 32,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,
        namespaces: tuple[str, ...] = (),
        retention: timedelta = DEFAULT_RETENTION,
    ) -> None:
        self._kube = kube
        self._foundry = foundry
        self._endpoint = endpoint
        self.interval = interval
        self._clock = clock
        self.metrics = metrics or Metrics()
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="monitor")
        self._memory = Memory()
        self._namespaces = namespaces  # empty: every namespace (a cluster-wide list)
        self._retention = retention
        self._sweep_in = 0  # complete cycles until the next retention sweep
        self.started = time.monotonic()
        self.last_success: float | None = None  # time.monotonic() of the last complete cycle

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def cycle(self) -> CycleReport:
        started = time.monotonic()
        try:
            instances = self._list(FOUNDRY_INSTANCE)
            licenses = self._list(FOUNDRY_LICENSE)
        except FoundryError as err:
            self.metrics.api_errors.labels("list").inc()
            log.error("cycle skipped: cannot list FoundryInstances and FoundryLicenses: %s", err)
            return CycleReport(ok=False)
        polls = self._poll(instances)
        decided = assess(instances, polls, licenses, self._memory, interval=self.interval)
        writes, gone = self._write(decided.patches)
        failed = self._nudge(decided.nudges)
        nudges = len(decided.nudges) - len(failed)
        self._record(decided, polls, failed)
        self._delete_scheduled(instances)
        deleted = 0
        if self._sweep_in == 0:
            deleted = self._sweep()
            self._sweep_in = SWEEP_EVERY
        self._sweep_in -= 1
        seconds = time.monotonic() - started
        self.metrics.cycle_seconds.observe(seconds)
        self.last_success = time.monotonic()
        log.info(
            "cycle: %d instances polled, %d status writes, %d gone, %d nudges in %.2f s",
            len(polls),
            writes,
            gone,
            nudges,
            seconds,
        )
        return CycleReport(True, len(polls), writes, gone, nudges, seconds, deleted)

    def run(self, wait: Callable[[float], bool]) -> None:
        """Cycle every interval until `wait(seconds)` returns True (stop requested)."""
        while True:
            report = self.cycle()
            pause = max(0.0, self.interval.total_seconds() - report.seconds)
            if wait(pause):
                return

    def _list(self, kind: Kind) -> list[KubeObject]:
        if not self._namespaces:
            return self._kube.list_all(kind)
        return [obj for namespace in self._namespaces for obj in self._kube.list(kind, namespace)]

    def _sweep(self) -> int:
        """Delete the finished activation requests past retention; how many the API accepted. A
        failure is logged and counted; the next sweep tries again (nothing is lost by waiting)."""
        try:
            requests = self._list(FOUNDRY_ACTIVATION_REQUEST)
        except FoundryError as err:
            self.metrics.api_errors.labels("list").inc()
            log.error("retention sweep skipped: cannot list FoundryActivationRequests: %s", err)
            return 0
        deleted = 0
        for namespace, name in expired_requests(requests, self._clock(), self._retention):
            where = f"{namespace}/{name}"
            try:
                accepted = self._kube.delete(FOUNDRY_ACTIVATION_REQUEST, namespace, name)
            except FoundryError as err:
                self.metrics.api_errors.labels("delete").inc()
                log.warning("activation request %s: not deleted (%s), the next sweep retries", where, err)
                continue
            if not accepted:
                log.info("activation request %s: already gone", where)
                continue
            deleted += 1
            self.metrics.requests_deleted.inc()
            age = format_duration(self._retention)
            log.info("activation request %s: deleted, it finished more than %s ago", where, age)
        return deleted

    def _delete_scheduled(self, instances: list[KubeObject]) -> None:
        """Delete the instances whose scheduled deletion (`vtt delete`) is due; a failure is logged
        and the next cycle tries again."""
        for namespace, name in due_deletions(instances, self._clock()):
            try:
                accepted = self._kube.delete(FOUNDRY_INSTANCE, namespace, name)
            except FoundryError as err:
                self.metrics.api_errors.labels("delete").inc()
                log.warning("instance %s/%s: scheduled deletion failed (%s), retrying", namespace, name, err)
                continue
            if accepted:
                log.info("instance %s/%s: deleted, its scheduled deletion time passed", namespace, name)

    def _poll(self, instances: list[KubeObject]) -> dict[InstanceKey, Poll]:
        """Every running instance asked at once (bounded by the pool); stopped ones are not asked."""
        asked = [_key(obj) for obj in instances if worth_asking(obj)]
        polls = dict(zip(asked, self._pool.map(self._poll_one, asked), strict=True))
        now = self._clock()
        stopped = {_key(obj): Poll(STOPPED, now) for obj in instances if not worth_asking(obj)}
        return {**stopped, **polls}

    def _poll_one(self, key: InstanceKey) -> Poll:
        observation = self._foundry.status(self._endpoint.url(*key))
        return Poll(observation, self._clock())

    def _write(self, patches: tuple[StatusPatch, ...]) -> tuple[int, int]:
        results = list(self._pool.map(self._write_one, patches))
        return results.count("written"), results.count("gone")

    def _write_one(self, patch: StatusPatch) -> str:
        where = f"{patch.namespace}/{patch.name}"
        check_status_write(FOUNDRY_INSTANCE, Writer.MONITOR, patch.status, via_api=True)
        try:
            self._kube.merge_patch_status(FOUNDRY_INSTANCE, patch.namespace, patch.name, patch.status)
        except NotFoundError:
            log.info("instance %s: deleted meanwhile, status not written", where)
            return "gone"
        except FoundryError as err:
            self.metrics.api_errors.labels("patch status").inc()
            log.warning("instance %s: status not written (%s), next cycle retries", where, err)
            return "failed"
        log.info("instance %s: %s", where, patch.why)
        return "written"

    def _nudge(self, nudges: tuple[Nudge, ...]) -> list[Nudge]:
        """Label each license; returns the nudges that failed (tried again next cycle)."""
        failed = []
        for nudge in nudges:
            where = f"{nudge.namespace}/{nudge.license}"
            label: dict[str, Any] = {"metadata": {"labels": {MANUAL_RECONCILIATION: "true"}}}
            try:
                self._kube.merge_patch(FOUNDRY_LICENSE, nudge.namespace, nudge.license, label)
            except NotFoundError:
                log.info("license %s: deleted meanwhile, not nudged", where)
                continue
            except FoundryError as err:
                self.metrics.api_errors.labels("nudge").inc()
                log.warning("license %s: not nudged (%s), next cycle retries", where, err)
                failed.append(nudge)
                continue
            log.info("license %s: nudged, its switchover waits and %s has no players", where, nudge.instance)
        return failed

    def _record(self, decided: Assessment, polls: Mapping[InstanceKey, Poll], failed: list[Nudge]) -> None:
        self._memory = decided.memory.forget_nudges(failed)
        self.metrics.observe_polls(dict(polls))
        self.metrics.observe_disconnects(decided.disconnects)
        for gone in decided.disconnects:
            log.info(
                "license %s/%s: stopped routing %s with %d players on it",
                gone.namespace,
                gone.license,
                gone.instance,
                gone.players,
            )


def _key(obj: Mapping[str, Any]) -> InstanceKey:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")
