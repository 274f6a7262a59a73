"""`foundry-platform vtt` against the simulator: the command flows a game master runs, their exit codes,
the replies they read, the policy's denials and the audit Events the commands leave."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_simulator import simulate

from foundry_lib.kube import EVENT, FOUNDRY_INSTANCE, FOUNDRY_LICENSE
from foundry_platform.cli import main as cli_main
from foundry_platform.simulator.state import ClusterState
from services.commands.context import Reply

NS = "tabletop"
SETTINGS = ("--set", f"FOUNDRY_DISCORD_NAMESPACES={NS}", "--set", "FOUNDRY_DISCORD_ADMIN_ROLE=900")
NFS = ("--set", "FOUNDRY_NFS_SERVER=nas.example.internal")
LICENSE = {
    "apiVersion": "foundry.platform/v1alpha1",
    "kind": "FoundryLicense",
    "metadata": {"name": "guild", "namespace": NS},
    "spec": {
        "licenseSecretRef": {"name": "guild-license", "key": "licenseKey"},
        "credentialsSecretRef": {"name": "guild-account"},
        "baseDomain": "vtt.example.com",
        "switchover": {"whenPlayersConnected": "grace", "gracePeriod": "15m"},
        "ownership": {
            "discordUserId": "1",
            "allowedActivators": [{"discordRoleId": "20"}],
            "allowedUsers": [{"discordUserId": "3"}],
        },
    },
}


def vtt(
    capsys: pytest.CaptureFixture[str], state: Path, at: str, user: str, *argv: str, ns: str = NS
) -> tuple[int, str]:
    who = ["--as-user", user.split("+")[0], *(a for r in user.split("+")[1:] for a in ("--role", r))]
    full = ["vtt", *who, "--namespace", ns, "--state", str(state), "--now", f"2026-11-28T{at}:00Z"]
    with pytest.raises(SystemExit) as exit_info:
        cli_main([*full, *SETTINGS, *NFS, *argv])
    return int(exit_info.value.code or 0), capsys.readouterr().out.strip()


@pytest.fixture
def state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "license.yaml"
    path.write_text(yaml.safe_dump(LICENSE))
    assert simulate(tmp_path / "state", path) == 0
    capsys.readouterr()
    return tmp_path / "state"


def test_create_status_activate_under_grace_delete_and_cancel(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    code, out = vtt(capsys, state, "20:00", "3", "create", "alpha", "guild")
    assert code == 0 and out.startswith("created alpha under license guild; the platform says: Foundry")
    assert vtt(capsys, state, "20:00", "3", "create", "beta", "guild")[0] == 0
    assert vtt(capsys, state, "20:01", "1", "update", "alpha", "activate") == (
        0,
        "alpha is now active on license guild",
    )
    assert simulate(state, now="2026-11-28T20:05:00Z", extra=("--players", f"{NS}/alpha=3")) == 0
    capsys.readouterr()
    code, out = vtt(capsys, state, "20:05", "8+20", "update", "beta", "activate")
    assert code == 0
    assert out.startswith("waiting: 3 players on alpha") and "switching to beta at 20:20 UTC" in out
    code, out = vtt(capsys, state, "20:06", "5", "status", "alpha")
    assert code == 0 and out.splitlines()[:2] == ["**alpha** (license guild): active", "players: 3 online"]
    assert "URL: https://alpha.vtt.example.com" in out

    code, out = vtt(capsys, state, "20:07", "5", "delete", "beta")
    assert code == 3
    assert out == (
        "<@5>: only the license owner <@1>, the instance's creator <@3> or a Foundry admin (<@&900>) "
        "can delete this instance of license guild"
    )
    code, out = vtt(capsys, state, "20:07", "3", "delete", "beta")
    assert code == 0
    assert out.startswith(
        "beta will be deleted at 2026-12-05T20:07:00Z (in 7d); `delete beta --cancel` undoes it"
    )
    license_spec = (ClusterState(state).get(FOUNDRY_LICENSE, NS, "guild") or {})["spec"]
    assert license_spec["activeInstanceName"] == ""  # the switch to beta it asked for is withdrawn
    code, out = vtt(capsys, state, "20:08", "5", "status", "beta")
    assert "scheduled for deletion at 2026-12-05T20:07:00Z" in out
    assert vtt(capsys, state, "20:09", "3", "delete", "beta", "--cancel") == (
        0,
        "deletion of beta cancelled; it stays in standby (`update beta activate` routes it again)",
    )
    cluster = ClusterState(state)
    beta = cluster.get(FOUNDRY_INSTANCE, NS, "beta")
    assert beta is not None
    assert beta["metadata"]["annotations"] == {"foundry.platform/created-by": "discord:3"}
    audit = sorted(
        (e["involvedObject"]["name"], e["reason"], e["message"])
        for e in cluster.of_kind(EVENT)
        if e["source"]["component"] == "foundry-vtt-commands"
    )
    assert audit == [
        ("alpha", "CreatedFromCommand", "discord:3 created alpha under license guild"),
        ("beta", "CreatedFromCommand", "discord:3 created beta under license guild"),
        ("beta", "DeletionCancelled", "discord:3 cancelled the deletion of beta"),
        ("beta", "DeletionScheduled", "discord:3 scheduled the deletion of beta at 2026-12-05T20:07:00Z"),
        ("guild", "ActiveInstanceChanged", "discord:1 activated alpha (license guild)"),
        ("guild", "ActiveInstanceChanged", "discord:3 deactivated beta to delete it (license guild)"),
        ("guild", "ActiveInstanceChanged", "discord:8 activated beta (license guild)"),
    ]


@pytest.mark.parametrize(
    ("case", "user", "argv", "code", "reply"),
    [
        ("unknown instance", "1", ["status", "nope"], 2, "there is no instance nope in namespace tabletop"),
        ("bad name", "3", ["create", "Alpha", "guild"], 2, "instance name 'Alpha': "),
        ("bad version", "1", ["update", "alpha", "version", "v13"], 2, "version: must be a Foundry version"),
        ("version missing", "1", ["update", "alpha", "version"], 2, "update version needs a version"),
        (
            "stranger creates",
            "5",
            ["create", "x", "guild"],
            3,
            "<@5>: only the license owner <@1>, its allowed",
        ),
        (
            "user activates: asks",
            "3",
            ["update", "alpha", "activate"],
            0,
            "you may not activate alpha yourself",
        ),
        ("admin grants", "9+900", ["license", "grant", "guild", "--user", "5"], 0, "granted: <@5> is now"),
        (
            "activator grants",
            "8+20",
            ["license", "grant", "guild", "--role", "7"],
            3,
            "<@8>: only the license",
        ),
        ("bad grant id", "1", ["license", "grant", "guild", "--user", "me"], 2, "'me' is not a Discord id"),
        ("grant nobody", "1", ["license", "grant", "guild"], 2, "give exactly one of --user ID or --role ID"),
        (
            "revoke absent",
            "1",
            ["license", "revoke", "guild", "--user", "5"],
            0,
            "<@5> is not an allowed user",
        ),
        ("not scheduled", "3", ["delete", "alpha", "--cancel"], 0, "alpha is not scheduled for deletion"),
        ("unserved namespace", "1", ["status"], 3, "namespace elsewhere is not served here"),
    ],
)
def test_replies_and_exit_codes(
    capsys: pytest.CaptureFixture[str],
    state: Path,
    case: str,
    user: str,
    argv: list[str],
    code: int,
    reply: str,
) -> None:
    assert vtt(capsys, state, "20:00", "3", "create", "alpha", "guild")[0] == 0
    ns = "elsewhere" if case == "unserved namespace" else NS
    got = vtt(capsys, state, "20:01", user, *argv, ns=ns)
    assert got[0] == code and got[1].startswith(reply), (case, got)


def test_grant_then_revoke_changes_who_may_create(capsys: pytest.CaptureFixture[str], state: Path) -> None:
    assert vtt(capsys, state, "20:00", "5", "create", "x", "guild")[0] == 3
    assert vtt(capsys, state, "20:00", "1", "license", "grant", "guild", "--user", "5")[0] == 0
    assert vtt(capsys, state, "20:01", "5", "create", "x", "guild")[0] == 0
    assert vtt(capsys, state, "20:02", "1", "license", "revoke", "guild", "--user", "5")[0] == 0
    assert vtt(capsys, state, "20:03", "5", "create", "y", "guild")[0] == 3
    code, out = vtt(capsys, state, "20:03", "5", "license", "show", "guild")
    assert code == 0
    assert out.splitlines()[1:3] == ["activators: <@&20>", "users: <@3>"]


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], state: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["vtt", "--as-user", "1", "--state", str(state), "update", "alpha", "explode"])
    assert exit_info.value.code == 2


def test_every_reply_fits_a_discord_message() -> None:
    assert len(Reply("x" * 5000).text) == 2000
    assert Reply("short").text == "short"


def test_the_simulator_deletes_a_scheduled_instance_when_due(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    assert vtt(capsys, state, "20:00", "3", "create", "alpha", "guild")[0] == 0
    assert vtt(capsys, state, "20:01", "3", "delete", "alpha")[0] == 0
    assert simulate(state, now="2026-12-05T20:00:00Z") == 0  # a minute before it is due
    assert ClusterState(state).get(FOUNDRY_INSTANCE, NS, "alpha") is not None
    assert simulate(state, now="2026-12-05T20:01:00Z") == 0
    assert ClusterState(state).get(FOUNDRY_INSTANCE, NS, "alpha") is None


def test_create_without_a_license_uses_the_only_one_and_the_only_namespace(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    full = ["vtt", "--as-user", "3", "--state", str(state), "--now", "2026-11-28T20:00:00Z", *SETTINGS, *NFS]
    with pytest.raises(SystemExit) as exit_info:
        cli_main([*full, "create", "alpha"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("created alpha under license guild")
    assert vtt(capsys, state, "20:01", "5", "create", "beta") == (
        2,
        "name the license to create it under (licenses you may use: none)",
    )


def test_without_a_namespace_and_several_served_it_asks_for_one(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    several = ("--set", "FOUNDRY_DISCORD_NAMESPACES=tabletop,guild-hall")
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["vtt", "--as-user", "1", "--state", str(state), *several, "status"])
    assert exit_info.value.code == 2
    assert "--namespace is needed: FOUNDRY_DISCORD_NAMESPACES serves ['guild-hall', 'tabletop']" in (
        capsys.readouterr().err
    )


def test_the_summary_lists_every_instance_of_the_callers_licenses(
    capsys: pytest.CaptureFixture[str], state: Path
) -> None:
    """A copy that waits for its source is not routed yet; the summary still shows it, so a game
    master sees both servers they created (and `status NAME` says why one waits)."""
    assert vtt(capsys, state, "20:00", "3", "create", "alpha", "guild")[0] == 0
    assert vtt(capsys, state, "20:01", "3", "create", "beta", "guild", "--worlds", "copied:alpha")[0] == 0
    code, out = vtt(capsys, state, "20:02", "3", "status")
    assert code == 0
    assert out == "**guild** (user): active none; 2 instances: alpha (standby), beta (not routed yet)"
    assert vtt(capsys, state, "20:03", "9", "status")[1].startswith("<@9> has no licenses")
