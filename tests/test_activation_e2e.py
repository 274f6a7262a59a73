"""Activation requests end to end in the simulator: each policy, decisions, expiry, duplicates, a
deleted instance and retention, all through the same pipelines and the simulated Kratix clock."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO
from test_simulator import simulate

from foundry_lib.conditions import rfc3339
from foundry_lib.kube import FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_LICENSE
from foundry_platform.simulator.state import ClusterState

START = datetime(2026, 11, 28, 20, 0)
NS = "tabletop"
OWNER = "discord:123456789012345678"  # ownership.discordUserId of examples/dungeons-guild/license.yaml
ACTIVATOR = "discord:555555555555555555"  # an allowedActivators user entry


def _at(minutes: float) -> str:
    return rfc3339(START + timedelta(minutes=minutes))


def _examples(kind: str) -> list[dict[str, Any]]:
    docs = yaml.safe_load_all((REPO / "examples/dungeons-guild/license.yaml").read_text())
    docs = [
        *docs,
        *yaml.safe_load_all((REPO / "examples/dungeons-guild/activation-request.yaml").read_text()),
    ]
    return [copy.deepcopy(d) for d in docs if d and d["kind"] == kind]


def _license(approval: str) -> dict[str, Any]:
    lic = _examples("FoundryLicense")[0]
    lic["spec"]["activation"]["approval"] = approval
    return lic


def _request(name: str = "campaign-beta-tonight", decision: dict[str, Any] | None = None) -> dict[str, Any]:
    req = _examples("FoundryActivationRequest")[0]
    req["metadata"]["name"] = name
    if decision is not None:
        req["spec"]["decision"] = decision
    return req


class Cluster:
    """The example cluster (license, three instances, no request yet), driven through the CLI."""

    def __init__(self, tmp_path: Path, approval: str) -> None:
        self.tmp, self.state, self.step = tmp_path, tmp_path / "state", 0
        examples = [
            REPO / "examples/dungeons-guild/license.yaml",
            REPO / "examples/dungeons-guild/instances.yaml",
        ]
        assert simulate(self.state, *examples, now=_at(0)) == 0
        self.run(_license(approval), now=0)

    def run(self, *docs: dict[str, Any], now: float, extra: tuple[str, ...] = ()) -> None:
        self.step += 1
        path = self.tmp / f"step-{self.step}.yaml"
        path.write_text(yaml.safe_dump_all(list(docs)))
        assert simulate(self.state, path, now=_at(now), extra=extra) == 0

    def tick(self, now: float, *players: str, settings: tuple[str, ...] = ()) -> int:
        """Let the clock run to `now`; `players` as the monitor observes them then (INSTANCE=N)."""
        extra = tuple(x for p in players for x in ("--players", f"{NS}/{p}"))
        extra += tuple(x for s in settings for x in ("--set", s))
        return simulate(self.state, now=_at(now), extra=extra)

    def request(self, name: str = "campaign-beta-tonight") -> dict[str, Any]:
        found = ClusterState(self.state).get(FOUNDRY_ACTIVATION_REQUEST, NS, name)
        assert found is not None, f"{name} is gone"
        return dict(found["status"])

    def requests(self) -> list[str]:
        return sorted(
            o["metadata"]["name"] for o in ClusterState(self.state).of_kind(FOUNDRY_ACTIVATION_REQUEST)
        )

    def license(self) -> dict[str, Any]:
        found = ClusterState(self.state).get(FOUNDRY_LICENSE, NS, "dungeons-guild")
        assert found is not None
        return found


def test_auto_approves_at_once_and_completes_when_the_license_routes_it(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "auto")
    cluster.run(_request(), now=1, extra=("--players", f"{NS}/campaign-alpha=0"))
    status = cluster.request()
    assert status["phase"] == "Approved", status["message"]
    assert "approved automatically" in status["message"]
    assert cluster.license()["spec"]["activeInstanceName"] == "campaign-beta"
    assert cluster.license()["status"]["activeInstance"] == "campaign-beta"
    assert cluster.tick(2) == 0  # the request looks again one monitor interval later
    status = cluster.request()
    assert (status["phase"], status["message"]) == ("Completed", "campaign-beta is live")


def test_auto_when_idle_waits_for_players_to_be_gone_for_idle_for(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "autoWhenIdle")
    cluster.run(_request(), now=1, extra=("--players", f"{NS}/campaign-alpha=3"))
    status = cluster.request()
    assert status["phase"] == "Pending"
    assert "waiting: campaign-alpha has 3 players" in status["message"]
    assert cluster.tick(3, "campaign-alpha=0") == 0  # the players leave; idleFor (10m) has not passed yet
    assert cluster.request()["phase"] == "Pending"
    assert cluster.license()["spec"]["activeInstanceName"] == "campaign-alpha"
    assert cluster.tick(11, "campaign-alpha=0") == 0  # ten minutes since the last player was seen
    status = cluster.request()
    assert status["phase"] in ("Approved", "Completed"), status["message"]
    assert cluster.license()["spec"]["activeInstanceName"] == "campaign-beta"
    assert cluster.tick(12) == 0
    assert cluster.request()["phase"] == "Completed"


def test_auto_when_idle_never_takes_an_unknown_player_count_for_idle(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "autoWhenIdle")
    cluster.run(_request(), now=1)  # the monitor never reported campaign-alpha
    assert "player count is unknown" in cluster.request()["message"]
    assert cluster.tick(30) == 0
    assert cluster.request()["phase"] == "Pending"
    assert cluster.license()["spec"]["activeInstanceName"] == "campaign-alpha"


@pytest.mark.parametrize(
    ("case", "by", "roles"),
    [("the license owner", OWNER, []), ("a user in allowedActivators", ACTIVATOR, [])],
)
def test_manual_waits_for_an_allowed_person(tmp_path: Path, case: str, by: str, roles: list[str]) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request(), now=1)
    assert cluster.request()["phase"] == "Pending"
    assert "waiting for approval" in cluster.request()["message"]
    cluster.run(
        _request(decision={"approved": True, "by": by, "roles": roles}),
        now=5,
        extra=("--players", f"{NS}/campaign-alpha=0"),
    )
    status = cluster.request()
    assert status["phase"] == "Approved" and f"approved by {by}" in status["message"], case
    assert status["decidedAt"] == _at(5)
    assert cluster.tick(6) == 0
    assert cluster.request()["phase"] == "Completed"


def test_manual_refuses_a_decision_from_anyone_else(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request(), now=1)
    cluster.run(_request(decision={"approved": True, "by": "discord:42"}), now=5)
    status = cluster.request()
    assert status["phase"] == "Pending"
    assert "decision by discord:42 does not count" in status["message"]
    assert cluster.license()["spec"]["activeInstanceName"] == "campaign-alpha"
    cluster.run(_request(decision={"approved": False, "by": OWNER}), now=6)  # the owner says no
    assert (cluster.request()["phase"], cluster.request()["message"]) == ("Denied", f"denied by {OWNER}")


def test_an_undecided_request_expires_after_request_ttl(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request(), now=1)
    assert cluster.request()["expiresAt"] == _at(61)
    assert cluster.tick(60) == 0
    assert cluster.request()["phase"] == "Pending"
    assert cluster.tick(62) == 0
    status = cluster.request()
    assert status["phase"] == "Expired" and status["finishedAt"] == _at(61)  # run at its retryAfter
    cluster.run(_request(decision={"approved": True, "by": OWNER}), now=63)  # too late: nothing changes
    assert cluster.request()["phase"] == "Expired"
    assert cluster.license()["spec"]["activeInstanceName"] == "campaign-alpha"


def test_a_duplicate_request_folds_into_the_open_one(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request("first"), now=1)
    cluster.run(_request("second"), now=2)
    second = cluster.request("second")
    assert (second["phase"], second["foldedInto"]) == ("Folded", "first")
    assert "already open (first)" in second["message"]
    assert cluster.request("first")["phase"] == "Pending"
    cluster.run(_request("first", {"approved": False, "by": OWNER}), now=3)
    cluster.run(_request("third"), now=4)  # the first one is finished: a new request opens
    assert cluster.request("third")["phase"] == "Pending"


def test_two_requests_at_once_agree_on_which_one_is_open(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request("a-one"), _request("b-two"), now=1)
    phases = {name: cluster.request(name)["phase"] for name in ("a-one", "b-two")}
    assert sorted(phases.values()) == ["Folded", "Pending"]


def test_a_request_whose_instance_is_deleted_fails(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request(), now=1)
    beta = {"apiVersion": "foundry.platform/v1alpha1", "kind": "FoundryInstance"}
    beta["metadata"] = {"name": "campaign-beta", "namespace": NS}  # type: ignore[assignment]
    cluster.run(beta, now=2, extra=("--delete",))  # its delete workflow wakes the open request
    status = cluster.request()
    assert (status["phase"], status["message"]) == (
        "Failed",
        "campaign-beta was deleted, so it cannot be activated",
    )
    assert status["finishedAt"] == _at(2)
    cluster.run(_request(decision={"approved": True, "by": OWNER}), now=3)  # too late: nothing changes
    assert cluster.request()["phase"] == "Failed"
    assert cluster.license()["spec"]["activeInstanceName"] == "campaign-alpha"


def test_finished_requests_are_deleted_after_seven_days_and_open_ones_stay(tmp_path: Path) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request("denied"), now=1)
    cluster.run(_request("denied", {"approved": False, "by": OWNER}), now=2)
    cluster.run(_request("open"), now=3)
    assert cluster.tick(7 * 24 * 60 + 1) == 0
    assert cluster.requests() == ["denied", "open"]  # `open` expired at 21:03 and is kept too
    assert cluster.tick(7 * 24 * 60 + 3) == 0
    assert cluster.requests() == ["open"]
    assert cluster.tick(7 * 24 * 60 + 64) == 0
    assert cluster.requests() == []


def test_the_retention_period_is_a_platform_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster = Cluster(tmp_path, "manual")
    cluster.run(_request(), now=1)
    cluster.run(_request("again"), now=2)  # folds at once: finished at 20:02, gone an hour later
    assert cluster.tick(50, settings=("FOUNDRY_ACTIVATION_RETENTION=1h",)) == 0
    assert cluster.requests() == ["again", "campaign-beta-tonight"]
    assert cluster.tick(62, settings=("FOUNDRY_ACTIVATION_RETENTION=1h",)) == 0
    assert cluster.requests() == ["campaign-beta-tonight"]
    capsys.readouterr()
    assert cluster.tick(63, settings=("FOUNDRY_ACTIVATION_RETENTION=a week",)) == 2
    assert "FOUNDRY_ACTIVATION_RETENTION" in capsys.readouterr().err
