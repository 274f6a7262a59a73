"""A pool path can only name a directory under its own license's root, whatever text a user sends."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from foundry_lib.errors import UserError
from foundry_lib.pool_paths import join_under, validate_pool_path, validate_root

FIELD = "spec.volumes.worlds.source.path"
ROOT_A = "/srv/shared/a"
ROOT_B = "/srv/shared/b"


@pytest.mark.parametrize(
    "text",
    ["maps", "maps/v1", "a", "0", "guild-maps_2024.v1", "a/b/c/d/e/f/g/h", "x" * 63, "a1.b2/c-3"],
    ids=[
        "one",
        "two",
        "single-char",
        "digit",
        "punctuation-inside",
        "eight-segments",
        "63-chars",
        "dots-inside",
    ],
)
def test_good_pool_paths(text):
    assert validate_pool_path(text, FIELD) == PurePosixPath(text)


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("..", "'..'", id="dotdot"),
        pytest.param("../b/x", "'..'", id="other-license"),
        pytest.param("a/../../b", "'..'", id="dotdot-inside"),
        pytest.param("a..b", "'..'", id="dotdot-in-name"),
        pytest.param("/etc/passwd", "absolute", id="absolute"),
        pytest.param("./a", "starts with '.'", id="dot-segment"),
        pytest.param(".", "starts with '.'", id="dot"),
        pytest.param(".hidden", "starts with '.'", id="leading-dot"),
        pytest.param("a//b", "empty segment", id="double-slash"),
        pytest.param("a/", "empty segment", id="trailing-slash"),
        pytest.param("a\\b", "backslash", id="backslash"),
        pytest.param("..\\b", "backslash", id="backslash-dotdot"),
        pytest.param("a\x00b", "control", id="nul"),
        pytest.param("a\nb", "control", id="newline"),
        pytest.param("maps\n", "control", id="trailing-newline"),
        pytest.param("~/maps", "'~'", id="tilde"),
        pytest.param("maPs", "character outside", id="uppercase"),
        pytest.param("my maps", "character outside", id="space"),
        pytest.param("m\u0430ps", "character outside", id="cyrillic-a"),
        pytest.param("m\uff41ps", "character outside", id="fullwidth-a"),
        pytest.param("maps\u2215v1", "character outside", id="division-slash"),
        pytest.param("maps\uff0fv1", "character outside", id="fullwidth-solidus"),
        pytest.param("ma\u200bps", "character outside", id="zero-width-space"),
        pytest.param("maps-", "start and end with", id="trailing-dash"),
        pytest.param("-maps", "start and end with", id="leading-dash"),
        pytest.param("\u0430maps", "start and end with", id="cyrillic-first"),
        pytest.param("x" * 64, "64 characters", id="64-char-segment"),
        pytest.param("x" * 300, "300 characters", id="300-chars"),
        pytest.param("/".join(["x" * 63] * 4), "255 characters", id="255-chars-in-4-segments"),
        pytest.param("a/b/c/d/e/f/g/h/i", "9 segments", id="nine-segments"),
    ],
)
def test_bad_pool_paths_name_the_field_and_the_rule(text, rule):
    with pytest.raises(UserError) as caught:
        validate_pool_path(text, FIELD)
    assert caught.value.field == FIELD
    assert caught.value.message.startswith(f"{FIELD}: ")
    assert rule in caught.value.message
    assert "Allowed: a relative path" in caught.value.message


@pytest.mark.parametrize(
    ("root", "rel", "expected"),
    [
        ("/volume1/foundry/shared/guild", "maps/v1", "/volume1/foundry/shared/guild/maps/v1"),
        ("/", "maps", "/maps"),
        (ROOT_A, "b", "/srv/shared/a/b"),
    ],
    ids=["nested", "filesystem-root", "name-of-other-license"],
)
def test_join_under(root, rel, expected):
    assert join_under(root, validate_pool_path(rel, FIELD)) == expected


@pytest.mark.parametrize("rel", ["../b/x", "../b", "x/../../b/x", "/srv/shared/b/x", ".."])
def test_a_path_never_reaches_another_licenses_root(rel):
    with pytest.raises(UserError):
        validate_pool_path(rel, FIELD)
    with pytest.raises(ValueError, match="not a valid pool path"):
        join_under(ROOT_A, PurePosixPath(rel))


@pytest.mark.parametrize(
    "root",
    ["relative", "/srv/", "/srv//a", "/srv/./a", "/srv/../b", ""],
    ids=["relative", "trailing-slash", "double-slash", "dot", "dotdot", "empty"],
)
def test_join_under_refuses_a_bad_root(root):
    with pytest.raises(ValueError, match="root"):
        join_under(root, PurePosixPath("maps"))


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        pytest.param("/volume1/foundry/shared/Guild One", None, id="nfs-root"),
        pytest.param("/", None, id="slash"),
        pytest.param("", "empty", id="empty"),
        pytest.param("volume1/foundry", "not absolute", id="relative"),
        pytest.param("/volume1/foundry/", "ends with '/'", id="trailing-slash"),
        pytest.param("/volume1//foundry", "'//'", id="double-slash"),
        pytest.param("//volume1", "'//'", id="leading-double-slash"),
        pytest.param("/volume1/../etc", "'..' segment", id="dotdot"),
        pytest.param("/volume1/./foundry", "'.' segment", id="dot"),
        pytest.param("/volume1\x00/x", "control", id="nul"),
        pytest.param("/volume1\\x", "backslash", id="backslash"),
    ],
)
def test_validate_root(text, rule):
    if rule is None:
        assert validate_root(text, "spec.sharedNfsRoot") == text
        return
    with pytest.raises(UserError) as caught:
        validate_root(text, "spec.sharedNfsRoot")
    assert caught.value.field == "spec.sharedNfsRoot"
    assert rule in caught.value.message


_SEGMENT = st.from_regex(r"[a-z0-9]([-a-z0-9_]{0,20}[a-z0-9])?", fullmatch=True)


@given(st.lists(_SEGMENT, min_size=1, max_size=8), st.sampled_from([ROOT_A, ROOT_B, "/"]))
def test_accepted_paths_stay_under_their_root(segments, root):
    joined = join_under(root, validate_pool_path("/".join(segments), FIELD))
    assert joined.startswith(root.rstrip("/") + "/")
    assert PurePosixPath(joined).relative_to(root).parts == tuple(segments)


@given(st.text(alphabet=st.sampled_from("ab./\\~-_\x00 A\u0430"), max_size=40) | st.text(max_size=300))
def test_arbitrary_text_is_accepted_under_root_or_refused_as_user_error(text):
    try:
        rel = validate_pool_path(text, FIELD)
    except UserError as error:
        assert error.field == FIELD
        return
    assert join_under(ROOT_A, rel).startswith(ROOT_A + "/")
