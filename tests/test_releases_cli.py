"""`foundry-platform releases list|refresh`, refresh against the fake OCI registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_registry import REPOSITORY, FakeRegistry, serving

from foundry_lib.adapters.catalog_files import load_catalog
from foundry_lib.catalog import Channel, parse_catalog
from foundry_platform.releases_cli import releases_main


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


def _versions(table: str) -> list[str]:
    return [line.split()[0] for line in table.splitlines()[1:]]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        pytest.param(
            ["--generation", "13", "--channel", "stable"],
            ["13.341", "13.342", "13.344", "13.345", "13.346", "13.347", "13.348", "13.350", "13.351"],
            id="generation-and-channel",
        ),
        pytest.param(
            ["--generation", "14", "--channel", "testing"],
            ["14.349", "14.352", "14.353", "14.354", "14.355", "14.356", "14.357", "14.358"],
            id="pre-stable",
        ),
        pytest.param(
            ["--generation", "12"], [f"12.{b}" for b in [*range(316, 326), *range(327, 332), 343]], id="gen"
        ),
        pytest.param(["--channel", "prototype"], [], id="nothing"),
    ],
)
def test_list_filters(args: list[str], expected: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert releases_main(["list", *args]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "VERSION",
        "GENERATION",
        "CHANNEL",
        "DATE",
        "IMAGE",
        "TAG",
        "RUNS",
        "ON",
    ]
    assert _versions(out) == expected


def test_list_shows_overlay_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text('- {version: "14.362", channel: stable, date: 2000-01-02, imageRevision: 2}\n')
    assert releases_main(["list", "--generation", "14", "--catalog-overlay", str(overlay)]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert rows[-1] == ["14.362", "14", "stable", "2000-01-02", "14.362.2", "14.362.2"]
    assert rows[-2] == ["14.361", "14", "stable", "-", "14.361.0", "14.361.0"]


RUNS_ON = [
    # (id, version, what the RUNS ON column says): images before 13.333 need root
    ("rootless-own-image", "13.348", "13.348.0"),
    ("12-on-newest-stable-13", "12.343", "13.351.0"),
    ("11-refused", "11.315", "refused"),
]


@pytest.mark.parametrize(("version", "runs_on"), [r[1:] for r in RUNS_ON], ids=[r[0] for r in RUNS_ON])
def test_list_shows_the_image_each_release_runs_on(
    version: str, runs_on: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert releases_main(["list", "--generation", version.split(".")[0]]) == 0
    row = next(
        line.split() for line in capsys.readouterr().out.splitlines() if line.startswith(version + " ")
    )
    assert row[5] == runs_on


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["list", "--channel", "beta"], "invalid choice: 'beta'", id="bad-channel"),
        pytest.param(["list", "--generation", "thirteen"], "invalid int value", id="bad-generation"),
        pytest.param([], "required", id="no-command"),
    ],
)
def test_bad_arguments_exit_2(argv: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert releases_main(argv) == 2
    assert expected in capsys.readouterr().err


def test_malformed_overlay_is_one_line_user_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("- {version: 14.360, channel: stable}\n")
    assert releases_main(["list", "--catalog-overlay", str(overlay)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: catalog overlay {overlay}: entry [0].version")
    assert len(err.splitlines()) == 1


TAGS = ["13", "13.351", "13.351.0", "14.358.0", "14.362.0", "14.362.1", "release", "latest", "14.362.0-rc1"]


def test_refresh_writes_catalog_with_new_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "releases.yaml"
    registry = FakeRegistry(tags=TAGS, page_size=3, require_token=True)
    with serving(registry):
        code = releases_main(
            ["refresh", "--registry", registry.url, "--repository", REPOSITORY, "--output", str(output)]
        )
    assert code == 0
    refreshed = parse_catalog(output.read_text())
    assert refreshed.find(14, 362).image_tag == "14.362.1"  # type: ignore[union-attr]
    assert refreshed.find(14, 358).channel is Channel.TESTING  # type: ignore[union-attr]
    assert len(refreshed) == len(load_catalog(None)) + 1
    err = capsys.readouterr().err
    assert "added 1 build(s): 14.362 (stable)" in err
    assert "ignored 5 tag(s) that name no X.Y.Z build: 13, 13.351, release, latest, 14.362.0-rc1" in err


def test_refresh_to_stdout_from_overlay_with_chosen_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text('- {version: "14.362", channel: development}\n')
    registry = FakeRegistry(tags=["14.362.0", "14.363.0"])
    with serving(registry):
        argv = [
            "refresh",
            "--registry",
            registry.url,
            "--catalog-overlay",
            str(overlay),
            "--new-channel",
            "testing",
        ]
        assert releases_main(argv) == 0
    refreshed = parse_catalog(capsys.readouterr().out)
    assert refreshed.find(14, 362).channel is Channel.DEVELOPMENT  # type: ignore[union-attr]
    assert refreshed.find(14, 363).channel is Channel.TESTING  # type: ignore[union-attr]


def test_refresh_registry_failure_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "releases.yaml"
    registry = FakeRegistry(tags=TAGS, fail_status=500)
    with serving(registry):
        assert releases_main(["refresh", "--registry", registry.url, "--output", str(output)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error (retry later): registry answered 500 to GET http://127.0.0.1:")
    assert len(err.splitlines()) == 1
    assert not output.exists()
