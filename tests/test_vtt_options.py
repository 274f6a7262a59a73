"""`vtt create|update` with volume modes and sources, resources and auto-update, and `vtt approve|deny`,
against the simulator: what a game master types, the spec it leaves, the exit code and the reply read
back from status after the pipelines ran."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_simulator import simulate
from test_vtt_cli import LICENSE, NS, vtt

from foundry_lib.kube import EVENT, FOUNDRY_ACTIVATION_REQUEST, FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.simulator.state import ClusterState

POOLS = {**LICENSE["spec"], "sharedNfsRoot": f"/srv/foundry/shared/{NS}/guild"}  # type: ignore[dict-item]
OWNER_DENIAL = (
    "only the license owner <@1>, the instance's creator <@3> or a Foundry admin (<@&900>) "
    "can update this instance of license guild"
)


def _state(tmp_path: Path, **spec: Any) -> Path:
    path = tmp_path / "license.yaml"
    path.write_text(yaml.safe_dump({**LICENSE, "spec": {**POOLS, **spec}}))
    assert simulate(tmp_path / "state", path) == 0
    return tmp_path / "state"


@pytest.fixture
def state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """License guild (owner 1, activator role 20, user 3) with alpha, created by 3."""
    state = _state(tmp_path)
    assert vtt(capsys, state, "20:00", "3", "create", "alpha", "guild")[0] == 0
    return state


def _instance(state: Path, name: str) -> dict[str, Any]:
    obj = ClusterState(state).get(FOUNDRY_INSTANCE, NS, name)
    assert obj is not None, name
    return obj


def _audit(state: Path) -> list[tuple[str, str, str]]:
    return sorted(
        (e["involvedObject"]["name"], e["reason"], e["message"])
        for e in ClusterState(state).of_kind(EVENT)
        if e["source"]["component"] == "foundry-vtt-commands"
    )


def test_create_copies_from_an_instance_and_shares_a_pool_path_with_resources(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    argv = ["create", "beta", "guild", "--worlds", "copied:alpha", "--cpu", "2", "--memory", "4Gi"]
    code, out = vtt(capsys, state, "20:01", "3", *argv)
    assert code == 0
    assert out.startswith(  # alpha runs: the copy waits, and the reply says so from status
        "created beta under license guild; waiting (SourceRunning): waiting to copy worlds from 'alpha': "
        "its server (alpha) still runs"
    )
    beta = _instance(state, "beta")["spec"]
    assert beta["volumes"] == {"worlds": {"mode": "copied", "source": {"instance": "alpha"}}}
    assert beta["resources"] == {"cpu": "2", "memory": "4Gi"}

    argv = ["create", "gamma", "guild", "--plugins", "shared:path=homebrew/v2", "--worlds", "shared"]
    code, out = vtt(capsys, state, "20:02", "3", *argv)
    assert (code, out) == (
        0,
        "created gamma under license guild; the platform says: Foundry 14.361 serving "
        "https://gamma.vtt.example.com (stopped while on standby)",
    )
    gamma = _instance(state, "gamma")
    assert gamma["spec"]["volumes"] == {
        "worlds": {"mode": "shared"},
        "plugins": {"mode": "shared", "source": {"path": "homebrew/v2"}},
    }
    assert "resources" not in gamma["spec"]
    assert {k: v["mode"] for k, v in gamma["status"]["volumes"].items()} == {
        "plugins": "shared",
        "worlds": "shared",
    }
    code, out = vtt(capsys, state, "20:03", "1", "status", "gamma")
    assert "volumes: plugins shared, worlds shared" in out
    assert _audit(state) == [
        ("alpha", "CreatedFromCommand", "discord:3 created alpha under license guild"),
        (
            "beta",
            "CreatedFromCommand",
            "discord:3 created beta under license guild "
            "(worlds copied from instance alpha; cpu 2, memory 4Gi)",
        ),
        (
            "gamma",
            "CreatedFromCommand",
            "discord:3 created gamma under license guild "
            "(worlds shared; plugins shared from pool path homebrew/v2)",
        ),
    ]


@pytest.mark.parametrize(
    ("case", "user", "argv", "reply", "spec"),
    [
        (
            "creator sets auto-update",
            "3",
            ["auto-update", "build"],
            "asked for auto-update build on alpha; the platform says: Foundry 14.361 serving",
            {"autoUpdate": "build"},
        ),
        (
            "owner sets resources",
            "1",
            ["resources", "--cpu", "1500m", "--memory", "2Gi"],
            "asked for cpu 1500m, memory 2Gi on alpha; the platform says: Foundry",
            {"resources": {"cpu": "1500m", "memory": "2Gi"}},
        ),
        (
            "admin shares the plugins",
            "9+900",
            ["volumes", "--plugins", "shared:path=homebrew"],
            "asked for worlds new, plugins shared from pool path homebrew on alpha; the platform says:",
            {"volumes": {"plugins": {"mode": "shared", "source": {"path": "homebrew"}}}},
        ),
        (
            "creator publishes the worlds as a pool",
            "3",
            ["volumes", "--worlds", "shared"],
            "asked for worlds shared, plugins new on alpha; the platform says: Foundry",
            {"volumes": {"worlds": {"mode": "shared"}}},
        ),
    ],
)
def test_update_auto_update_volumes_resources_as_allowed(
    capsys: pytest.CaptureFixture[str],
    state: Path,
    case: str,
    user: str,
    argv: list[str],
    reply: str,
    spec: dict[str, Any],
) -> None:
    before = _instance(state, "alpha")["spec"]
    code, out = vtt(capsys, state, "20:05", user, "update", "alpha", *argv)
    assert code == 0 and out.startswith(reply), (case, out)
    assert _instance(state, "alpha")["spec"] == {**before, **spec}
    [(name, reason, message)] = [e for e in _audit(state) if e[1] != "CreatedFromCommand"]
    assert name == "alpha" and message.startswith(f"discord:{user.split('+')[0]} set ")
    assert reason in ("AutoUpdateChanged", "ResourcesChanged", "VolumesChanged")


@pytest.mark.parametrize("user", ["5", "8+20"])  # a stranger, an activator
@pytest.mark.parametrize(
    "argv",
    [
        ["auto-update", "generation"],
        ["volumes", "--worlds", "copied:path=maps"],
        ["resources", "--cpu", "4"],
        ["version", "13.x"],
    ],
)
def test_update_denied_says_who_can_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], state: Path, user: str, argv: list[str]
) -> None:
    before = _instance(state, "alpha")
    code, out = vtt(capsys, state, "20:05", user, "update", "alpha", *argv)
    assert (code, out) == (3, f"<@{user.split('+')[0]}>: {OWNER_DENIAL}")
    assert _instance(state, "alpha") == before


HOSTILE_NAME = "a" * 300
_BAD_CREATE = [
    ("unknown mode", ["--worlds", "bogus"], "worlds.mode: must be one of 'new', 'copied' or 'shared'"),
    ("copy without source", ["--worlds", "copied"], "worlds: mode copied needs a source"),
    ("new with a source", ["--plugins", "new:alpha"], "plugins: mode new takes no source"),
    ("empty source", ["--worlds", "copied:"], "worlds: nothing after ':'; give MODE[:SOURCE]"),
    ("unknown source kind", ["--worlds", "copied:host=x"], "worlds: a source is an instance name, or path="),
    (
        "path traversal",
        ["--worlds", "copied:path=../x"],
        "worlds.source.path: '../x' is not a valid pool path",
    ),
    ("hidden traversal", ["--worlds", "shared:path=a/../../b"], "worlds.source.path: 'a/../../b' is not"),
    (
        "absolute path",
        ["--plugins", "shared:path=/etc"],
        "plugins.source.path: '/etc' is not a valid pool path",
    ),
    (
        "long source",
        ["--worlds", f"copied:{HOSTILE_NAME}"],
        "worlds.source.instance: String should have at most 63",
    ),
    ("yaml in a source", ["--worlds", "copied:alpha\nmode: shared"], "worlds.source.instance: must be a DNS"),
    ("markdown cpu", ["--cpu", "**2**"], "cpu: must be a CPU amount like 500m or 2"),
    ("zero cpu", ["--cpu", "0"], "cpu: '0' is zero CPU"),
    ("tiny memory", ["--memory", "100Mi"], "memory: '100Mi' is below Foundry's minimum of 512Mi"),
    ("yaml memory", ["--memory", "1Gi\ncpu: 64"], "memory: must be a memory size like 2Gi"),
]


@pytest.mark.parametrize(("case", "options", "reply"), _BAD_CREATE, ids=[c[0] for c in _BAD_CREATE])
def test_create_with_bad_options_exits_2_naming_the_option_and_creates_nothing(
    capsys: pytest.CaptureFixture[str], state: Path, case: str, options: list[str], reply: str
) -> None:
    code, out = vtt(capsys, state, "20:05", "3", "create", "beta", "guild", *options)
    assert code == 2 and out.startswith(reply), (case, out)
    assert [i["metadata"]["name"] for i in ClusterState(state).of_kind(FOUNDRY_INSTANCE)] == ["alpha"]


def test_hostile_names_and_mentions_are_refused_without_echoing_them(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    code, out = vtt(capsys, state, "20:05", "3", "create", HOSTILE_NAME, "guild")
    assert code == 2 and out.startswith(f"instance name '{'a' * 60}…': ") and len(out) < 300
    code, out = vtt(
        capsys, state, "20:05", "3", "create", "beta", "guild", "--worlds", "copied:path=@everyone"
    )
    assert code == 2 and "worlds.source.path:" in out and "@everyone" not in out  # pings nobody
    code, out = vtt(capsys, state, "20:05", "3", "update", "alpha", "<@&1>")
    assert code == 2 and "<@&1>" not in out  # argparse refuses the unknown word
    code, out = vtt(capsys, state, "20:05", "3", "status", "@everyone")
    assert code == 2 and out.startswith("instance name '@\u200beveryone': must consist of lower case")
    code, out = vtt(capsys, state, "20:05", "3", "update", "../alpha", "resources", "--cpu", "2")
    assert code == 2 and out.startswith("instance name '../alpha': must consist of lower case")
    code, out = vtt(capsys, state, "20:05", "3", "create", "beta", "gu\nild: x")
    assert code == 2 and out.startswith("license name 'gu\\nild: x': must consist of lower case")
    assert [i["metadata"]["name"] for i in ClusterState(state).of_kind(FOUNDRY_INSTANCE)] == ["alpha"]


_BAD_UPDATE = [
    ("unknown auto-update", ["auto-update", "sometimes"], "auto-update: must be one of 'none', 'build' or"),
    (
        "auto-update without value",
        ["auto-update"],
        "update auto-update needs a value: none, build, generation",
    ),
    ("auto-update with options", ["auto-update", "build", "--cpu", "2"], "update auto-update takes a value"),
    ("volumes without options", ["volumes"], "update volumes needs --worlds and/or --plugins"),
    ("volumes with a value", ["volumes", "shared"], "update volumes takes no value; give --worlds"),
    ("volumes with resources", ["volumes", "--worlds", "new", "--cpu", "2"], "update volumes needs --worlds"),
    ("resources without options", ["resources"], "update resources needs --cpu and/or --memory"),
    ("bad memory", ["resources", "--memory", "lots"], "memory: must be a memory size like 2Gi or 512Mi"),
    ("bad source", ["volumes", "--worlds", "copied:path=x/../../y"], "worlds.source.path: 'x/../../y'"),
    ("activate with options", ["activate", "--cpu", "2"], "update activate takes no value and no options"),
    ("bad version", ["version", "13.x; rm -rf /"], "version: must be a Foundry version"),
]


@pytest.mark.parametrize(("case", "argv", "reply"), _BAD_UPDATE, ids=[c[0] for c in _BAD_UPDATE])
def test_update_with_bad_values_exits_2_naming_the_option_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], state: Path, case: str, argv: list[str], reply: str
) -> None:
    before = _instance(state, "alpha")
    code, out = vtt(capsys, state, "20:05", "1", "update", "alpha", *argv)
    assert code == 2 and out.startswith(reply), (case, out)
    assert _instance(state, "alpha") == before
    assert [e[1] for e in _audit(state)] == ["CreatedFromCommand"]


def test_a_live_copy_may_not_join_a_pool_the_reply_says_so_from_status(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """With scaleToZero alpha is stopped, so beta's copy is taken; copied → shared is refused by the
    pipeline, which keeps beta on its last accepted spec; detaching the copy is accepted."""
    state = _state(tmp_path, standby={"scaleToZero": True})
    assert vtt(capsys, state, "20:00", "3", "create", "alpha", "guild")[0] == 0
    code, out = vtt(capsys, state, "20:01", "3", "create", "beta", "guild", "--worlds", "copied:alpha")
    assert code == 0 and "the platform says: Foundry 14.361 serving https://beta" in out
    code, out = vtt(capsys, state, "20:02", "3", "update", "beta", "volumes", "--worlds", "shared:path=maps")
    assert code == 0
    assert out.startswith(
        "asked for worlds shared from pool path maps, plugins new on beta; the platform refused it "
        "(VolumeTransitionRefused) and keeps the instance on its previous spec: spec.volumes.worlds: "
        "cannot change from copied (source instance 'alpha') to shared"
    )
    beta = _instance(state, "beta")
    assert beta["status"]["accepted"]["spec"]["volumes"]["worlds"]["source"] == {"instance": "alpha"}
    code, out = vtt(capsys, state, "20:03", "3", "update", "beta", "volumes", "--worlds", "new")
    assert code == 0 and out.startswith("asked for worlds new, plugins new on beta; the platform says:")
    assert _instance(state, "beta")["spec"]["volumes"] == {"worlds": {"mode": "new"}}  # no stale source
    assert _instance(state, "beta")["status"]["volumes"]["worlds"]["mode"] == "new"


def test_a_change_that_changes_nothing_writes_nothing(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    before = _instance(state, "alpha")
    for argv, reply in [
        (["volumes", "--worlds", "new"], "alpha already has worlds new, plugins new; nothing changed"),
        (["resources", "--cpu", "default"], "alpha already has cpu from the license default, memory from"),
        (["auto-update", "default"], "alpha already has auto-update from the license default; nothing"),
    ]:
        code, out = vtt(capsys, state, "20:05", "3", "update", "alpha", *argv)
        assert code == 0 and out.startswith(reply), out
    assert _instance(state, "alpha") == before


def test_default_removes_a_setting_so_the_license_default_applies(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    argv = ["update", "alpha", "resources", "--cpu", "2", "--memory", "2Gi"]
    assert vtt(capsys, state, "20:05", "3", *argv)[0] == 0
    assert vtt(capsys, state, "20:06", "3", "update", "alpha", "resources", "--cpu", "default")[0] == 0
    assert _instance(state, "alpha")["spec"]["resources"] == {"memory": "2Gi"}
    assert vtt(capsys, state, "20:07", "3", "update", "alpha", "resources", "--memory", "default")[0] == 0
    assert "resources" not in _instance(state, "alpha")["spec"]
    assert vtt(capsys, state, "20:08", "3", "update", "alpha", "auto-update", "generation")[0] == 0
    assert vtt(capsys, state, "20:09", "3", "update", "alpha", "auto-update", "default")[0] == 0
    assert "autoUpdate" not in _instance(state, "alpha")["spec"]


def _request(state: Path) -> str:
    [request] = ClusterState(state).of_kind(FOUNDRY_ACTIVATION_REQUEST)
    return str(request["metadata"]["name"])


def _request_status(state: Path, name: str) -> dict[str, Any]:
    obj = ClusterState(state).get(FOUNDRY_ACTIVATION_REQUEST, NS, name)
    return copy.deepcopy((obj or {}).get("status") or {})


@pytest.mark.parametrize(
    ("verb", "approver", "phase", "active"),
    [("approve", "8+20", "Approved", "alpha"), ("deny", "1", "Denied", "")],
)
def test_approve_and_deny_through_the_cli(
    capsys: pytest.CaptureFixture[str], state: Path, verb: str, approver: str, phase: str, active: str
) -> None:
    code, out = vtt(capsys, state, "20:05", "5", "update", "alpha", "activate")
    assert code == 0 and out.startswith("you may not activate alpha yourself")
    name = _request(state)
    before = ClusterState(state).get(FOUNDRY_ACTIVATION_REQUEST, NS, name)
    code, out = vtt(capsys, state, "20:06", "5", verb, name)
    assert (code, out) == (
        3,
        "<@5>: only the license owner <@1>, its activators or a Foundry admin (<@&900>) can approve "
        "activation requests for license guild",
    )
    assert ClusterState(state).get(FOUNDRY_ACTIVATION_REQUEST, NS, name) == before
    code, out = vtt(capsys, state, "20:07", approver, verb, name)
    who = approver.split("+")[0]
    verbed = "approved" if verb == "approve" else "denied"
    assert (code, out) == (0, f"<@{who}> {verbed} the activation of alpha (request {name})")
    assert _request_status(state, name)["phase"] == phase
    license_obj = ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild")
    assert ((license_obj or {})["spec"].get("activeInstanceName") or "") == active
    code, out = vtt(capsys, state, "20:08", "1", "approve", name)
    assert (code, out) == (0, f"request {name} was already {verbed} by <@{who}>")


def test_approve_an_unknown_request_is_a_usage_error(capsys: pytest.CaptureFixture[str], state: Path) -> None:
    assert vtt(capsys, state, "20:05", "1", "approve", "nope") == (
        2,
        "there is no activation request nope in namespace tabletop",
    )
