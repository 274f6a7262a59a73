"""When Kratix starts a workflow, and what it leaves unfinished: pure rules over (object, book, now).

A book is what the simulator keeps per resource of Kratix's own bookkeeping: the generation its
configure workflow last ran for (`generation`), how that ended (`configure`), the deletionTimestamp
its delete workflow last ran for (`deleteFor`) and how that ended (`delete`), and when a
`retryAfter` falls due (`retryAt`). Read from internal/controller/dynamic_resource_request_controller.go
(reconcileSuspendedWorkflow, deleteResources) and lib/workflow/reconciler.go (ReconcileDelete,
ReconcileConfigure) in syntasso/kratix.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from foundry_lib.kube import KubeObject
from foundry_lib.outcome import MANUAL_RECONCILIATION

Book = Mapping[str, Any]


def due(obj: KubeObject, book: Book, now: datetime) -> str | None:
    """The workflow Kratix would start now ("configure" or "delete"), if any."""
    meta = obj["metadata"]
    manual = (meta.get("labels") or {}).get(MANUAL_RECONCILIATION) == "true"
    if meta.get("deletionTimestamp"):
        if book.get("deleteFor") != meta["deletionTimestamp"]:
            return "delete"
        if book.get("delete") == "succeeded":
            return None
        # A suspended or failed delete runs again only when its retryAfter falls due or the
        # manual-reconciliation label is set (reconcileSuspendedWorkflow, ReconcileDelete).
        if manual or (book.get("delete") == "retry" and retry_due(book, now)):
            return "delete"
        return None
    if manual or book.get("generation") != meta.get("generation"):
        return "configure"  # a new generation also un-suspends (suspendedGeneration < generation)
    if book.get("configure") == "retry" and retry_due(book, now):
        return "configure"
    return None


def resumes(obj: KubeObject, book: Book) -> bool:
    """A configure run that picks up at the pipeline whose `retryAfter` fell due (same generation, no
    manual-reconciliation label), rather than from the first pipeline."""
    meta = obj["metadata"]
    manual = (meta.get("labels") or {}).get(MANUAL_RECONCILIATION) == "true"
    same_generation = book.get("generation") == meta.get("generation")
    return book.get("configure") == "retry" and not manual and same_generation


def removable(obj: KubeObject, book: Book) -> bool:
    """Its delete workflow succeeded: Kratix deletes its Works, then removes its finalizers."""
    return bool(obj["metadata"].get("deletionTimestamp")) and book.get("delete") == "succeeded"


def retry_due(book: Book, now: datetime) -> bool:
    moment = book.get("retryAt")
    return bool(moment) and parse_time(str(moment)) <= now


def earliest_retry(books: Iterable[Book], before: datetime) -> datetime | None:
    moments = [parse_time(str(b["retryAt"])) for b in books if b.get("retryAt")]
    earlier = [m for m in moments if m < before]
    return min(earlier) if earlier else None


def parse_time(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def attention(what: str, obj: KubeObject, book: Book) -> str | None:
    """A line for a resource Kratix will not finish by itself, or one waiting for a retry."""
    message = (obj.get("status") or {}).get("message", "")
    deleting = bool(obj["metadata"].get("deletionTimestamp"))
    action = "delete" if deleting else "configure"
    state = book.get(action)
    if deleting and state == "suspended":
        return (
            f"STUCK: {what}: its delete workflow is suspended and nothing resumes it (a deleted "
            f"object's spec cannot change), so Kratix keeps its finalizer: {message}"
        )
    if state == "failed":
        return (
            f"FAILED: {what}: its {action} workflow exited non-zero; Kratix does not run it "
            f"again until its spec changes or it is labelled for manual reconciliation: {message}"
        )
    if state == "retry":
        return f"waiting: {what}: {action} runs again at {book.get('retryAt')}: {message}"
    return None
