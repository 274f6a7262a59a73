"""Each Promise pipeline is granted exactly the Kubernetes API calls its code makes.

The simulator runs realistic flows (examples, copies, pools, refusals, deletions) with every API call
recorded per workflow; the recorded calls must be granted, and every grant must be used (a pipeline's
own status patch is always granted: that is how a failing run publishes its `message`).
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import REPO
from test_volumes_e2e import LICENSE, instance

from foundry_lib.kube import Kind, KubeObject
from foundry_lib.pipeline_permissions import CLUSTER_PERMISSIONS, PERMISSIONS
from foundry_platform.simulator.cli import load_documents
from foundry_platform.simulator.engine import Engine
from foundry_platform.simulator.workflows import Pipeline, PromiseWorkflows

Calls = dict[tuple[str, str], set[tuple[str, str]]]
CLUSTER_WIDE = " in every namespace"
KRATIX = ("kratix", "controller")
MONITOR = ("monitor", "timers")  # the monitor's service account, not a pipeline's (README: The monitor)


class Recorder:
    """The KubeAPI port, recording (resource, verb) per workflow before delegating."""

    def __init__(self, inner: Any, calls: Calls) -> None:
        self.inner, self.calls, self.current, self.namespace = inner, calls, ("", ""), ""

    def _log(self, kind: Kind, verb: str, sub: str = "", namespace: str | None = None) -> None:
        elsewhere = namespace is not None and namespace != self.namespace
        self.calls[self.current].add((kind.plural + sub + (CLUSTER_WIDE if elsewhere else ""), verb))

    def get(self, kind: Kind, namespace: str, name: str) -> KubeObject | None:
        self._log(kind, "get")
        return self.inner.get(kind, namespace, name)  # type: ignore[no-any-return]

    def list(self, kind: Kind, namespace: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        self._log(kind, "list")
        return self.inner.list(kind, namespace, labels)  # type: ignore[no-any-return]

    def list_all(self, kind: Kind) -> list[KubeObject]:
        self._log(kind, "list", CLUSTER_WIDE)
        return self.inner.list_all(kind)  # type: ignore[no-any-return]

    def create(self, kind: Kind, namespace: str, body: KubeObject) -> KubeObject:
        self._log(kind, "create")
        return self.inner.create(kind, namespace, body)  # type: ignore[no-any-return]

    def merge_patch(self, kind: Kind, namespace: str, name: str, patch: KubeObject) -> KubeObject:
        self._log(kind, "patch", namespace=namespace)
        return self.inner.merge_patch(kind, namespace, name, patch)  # type: ignore[no-any-return]

    def merge_patch_status(self, kind: Kind, namespace: str, name: str, status: KubeObject) -> KubeObject:
        self._log(kind, "patch", "/status")
        return self.inner.merge_patch_status(kind, namespace, name, status)  # type: ignore[no-any-return]

    def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        self._log(kind, "delete", namespace=namespace)
        return self.inner.delete(kind, namespace, name)  # type: ignore[no-any-return]


class RecordingEngine(Engine):
    recorder: Recorder

    def _reconcile(self, flows: PromiseWorkflows, obj: KubeObject, action: str) -> None:
        self.recorder.current = (
            KRATIX  # Kratix's own calls (the manual-reconciliation label) until a pipeline runs
        )
        super()._reconcile(flows, obj, action)

    def _run_pipeline(
        self, flows: PromiseWorkflows, pipeline: Pipeline, action: str, namespace: str, name: str
    ) -> str:
        self.recorder.current, self.recorder.namespace = (flows.promise, action), namespace
        return super()._run_pipeline(flows, pipeline, action, namespace, name)

    def _monitor_timers(self) -> None:
        self.recorder.current, self.recorder.namespace = MONITOR, ""
        super()._monitor_timers()


OWNER = "discord:123456789012345678"  # examples/dungeons-guild/license.yaml ownership.discordUserId


def _step(
    state: Path, calls: Calls, docs: list[dict[str, Any]], *, delete: bool = False, minute: int = 0
) -> None:
    engine = RecordingEngine(
        state, datetime(2026, 11, 28, 20, minute, tzinfo=UTC), {"FOUNDRY_NFS_SERVER": "nas"}
    )
    engine.recorder = Recorder(engine.kube, calls)
    engine.kube = engine.recorder  # type: ignore[assignment]
    for doc in docs:
        (engine.delete if delete else engine.apply)(doc)
    engine.settle()
    engine.save()


def _tenant(namespace: str) -> list[dict[str, Any]]:
    """A license and an instance `alpha` in `namespace`, under the same base domain as every other."""
    lic = copy.deepcopy(LICENSE)
    lic["metadata"]["namespace"] = namespace
    del lic["spec"]["sharedNfsRoot"]
    inst = instance("alpha")
    inst["metadata"]["namespace"] = namespace
    return [lic, inst]


def test_pipelines_are_granted_exactly_what_they_call(tmp_path: Path) -> None:
    calls: Calls = defaultdict(set)
    state = tmp_path / "state"
    examples = load_documents([str(REPO / "examples")])
    _step(state, calls, examples)
    request = next(d for d in examples if d["kind"] == "FoundryActivationRequest")
    approved = {**request, "spec": {**request["spec"], "decision": {"approved": True, "by": OWNER}}}
    _step(state, calls, [approved])  # the owner approves: the license's activeInstanceName is set
    gamma = next(d for d in examples if d["metadata"]["name"] == "campaign-gamma")
    for_gamma = {**request, "metadata": {**request["metadata"], "name": "gamma-please"}}
    for_gamma["spec"] = {**request["spec"], "instanceRef": {"name": "campaign-gamma"}}
    _step(state, calls, [for_gamma])
    _step(state, calls, [gamma], delete=True)  # wakes the open request for it, which fails
    pools = tmp_path / "pools"
    _step(pools, calls, [LICENSE, instance("alpha", plugins={"mode": "shared"})])
    _step(
        pools,
        calls,
        [
            instance(
                "beta",
                {"mode": "copied", "source": {"instance": "alpha"}},
                {"mode": "shared", "source": {"instance": "alpha"}},
            )
        ],
    )
    to_beta = {**LICENSE, "spec": {**LICENSE["spec"], "activeInstanceName": "beta"}}
    _step(pools, calls, [to_beta])  # a guarded switch: an Event on the license
    _step(pools, calls, [LICENSE])  # back to alpha
    _step(pools, calls, [instance("alpha", plugins={"mode": "shared"})], delete=True)  # waits for beta
    copy = {"mode": "copied", "source": {"instance": "alpha"}}
    _step(pools, calls, [instance("beta", copy, {"mode": "new"})], minute=1)  # beta detaches, alpha goes
    _step(pools, calls, [instance("beta")], delete=True)  # wakes its copy source
    hosts = tmp_path / "hosts"
    _step(hosts, calls, [*_tenant("blue"), *_tenant("red")])  # red's alpha: hostname taken by blue's
    _step(hosts, calls, [_tenant("blue")[1]], delete=True)  # blue releases it: wakes red's license
    _step(state, calls, [d for d in examples if d["kind"] == "FoundryLicense"], delete=True)  # refused
    _step(state, calls, [d for d in examples if d["kind"] != "Secret"], delete=True)
    granted = {
        (promise, action.value): {(res, verb) for res, verbs in table.items() for verb in verbs.split()}
        for (promise, action), table in PERMISSIONS.items()
    }
    for (promise, action), table in CLUSTER_PERMISSIONS.items():
        granted[(promise, action.value)] |= {
            (res + CLUSTER_WIDE, verb) for res, verbs in table.items() for verb in verbs.split()
        }
    own_status = {
        "foundry-license": "foundrylicenses/status",
        "foundry-instance": "foundryinstances/status",
        "foundry-activation-request": "foundryactivationrequests/status",
    }
    calls.pop(KRATIX, None)
    calls.pop(MONITOR, None)
    for key, made in calls.items():
        assert made <= granted[key], f"{key} calls more than it is granted: {made - granted[key]}"
    for key, allowed in granted.items():
        unused = allowed - calls.get(key, set()) - {(own_status[key[0]], "patch")}
        assert not unused, f"{key} is granted calls it never makes: {unused}"
    # Every workflow ran in these flows; activation delete calls the API only to publish a failure.
    assert set(granted) - set(calls) <= {("foundry-activation-request", "delete")}


def test_no_pipeline_may_read_secrets() -> None:
    """Least privilege (DESIGN rule 9): Secrets are referenced by name and generated by `create`
    (AlreadyExists means it exists); no pipeline is granted `get`, `list` or `watch` on them."""
    readers = {
        key: verbs
        for key, table in PERMISSIONS.items()
        if (verbs := set(table.get("secrets", "").split()) & {"get", "list", "watch"})
    }
    assert readers == {}
