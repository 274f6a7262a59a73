"""Object names: DNS-1123 labels of at most 63 characters, stable across releases, and never colliding."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from foundry_lib.names import (
    MAX_LABEL,
    admin_secret_name,
    bounded,
    dns1123_label_problem,
    is_dns1123_label,
    persistent_volume_name,
    reference_grant_name,
    route_name,
    volume_claim_name,
    workload_name,
)

LABEL = st.from_regex(r"\A[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
LABEL_63 = st.from_regex(r"\A[a-z0-9][-a-z0-9]{61}[a-z0-9]\Z")
ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
VOLUMES = ("worlds", "plugins", "config", "nfs")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a", None),
        ("campaign-alpha", None),
        ("0-9", None),
        ("a" * 63, None),
        ("", "must not be empty"),
        ("a" * 64, "at most 63 characters (got 64)"),
        ("Alpha", "lower case"),
        ("a_b", "lower case"),
        ("-a", "start and end"),
        ("a-", "start and end"),
        ("a.b", "lower case"),
        ("ä", "lower case"),
    ],
    ids=[
        "one",
        "dashed",
        "digits",
        "63",
        "empty",
        "64",
        "upper",
        "underscore",
        "lead",
        "trail",
        "dot",
        "umlaut",
    ],
)
def test_label_problem_says_why(text, problem):
    found = dns1123_label_problem(text)
    assert (found is None) == (problem is None) == is_dns1123_label(text)
    assert problem is None or problem in (found or "")


@pytest.mark.parametrize("text", ["abc\n", "a" * 62 + "\n"], ids=["short", "63-with-newline"])
def test_trailing_newline_is_not_a_label(text):
    assert not is_dns1123_label(text)
    assert dns1123_label_problem(text) is not None


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (("foundry", "campaign"), "foundry-campaign"),
        (("foundry", "", "campaign"), "foundry-campaign"),
        (("a" * 31, "b" * 30), "a" * 31 + "-" + "b" * 30),
        # 63 characters is the hashed forms' length: a plain name never takes it.
        (("a" * 31, "b" * 31), "a" * 31 + "-" + "b" * 24 + "-81b34b"),
        # Names of live objects must not change between releases: pin the hashed form.
        (("foundry", "a" * 60), "foundry-" + "a" * 48 + "-86c8c1"),
    ],
    ids=["short", "empty-part-skipped", "62-kept", "63-hashed", "hashed"],
)
def test_bounded_known_names(parts, expected):
    assert bounded(*parts) == expected


def test_bounded_never_ends_a_shortened_head_with_a_dash():
    # The cut falls right after a '-': the head is trimmed so the name stays a label.
    name = bounded("x" * 55, "y" * 20)
    assert len(name) <= MAX_LABEL and is_dns1123_label(name) and "--" not in name


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(LABEL, min_size=1, max_size=4))
def test_bounded_is_a_label_of_at_most_63(parts):
    name = bounded(*parts)
    assert is_dns1123_label(name)
    joined = "-".join(parts)
    # Plain joins shorter than 63 are kept; longer ones keep a readable head (trimmed of a trailing
    # '-', so sometimes 62 long) and end in a hash of the whole join.
    digest = hashlib.sha256(joined.encode()).hexdigest()[:6]
    assert name == joined if len(joined) < MAX_LABEL else (len(name) <= MAX_LABEL and name.endswith(digest))


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.text(ALNUM, min_size=60, max_size=60),
    tails=st.lists(st.text(ALNUM, min_size=1, max_size=10), min_size=2, max_size=2, unique=True),
)
def test_long_names_sharing_a_60_char_prefix_never_collide(prefix, tails):
    first, second = (prefix + tail for tail in tails)
    assert bounded(first) != bounded(second)
    assert workload_name(first) != workload_name(second)


@settings(max_examples=100, deadline=None)
@given(instance=LABEL_63 | LABEL, namespace=LABEL_63 | LABEL, volume=st.sampled_from(VOLUMES))
def test_every_derived_name_is_a_label(instance, namespace, volume):
    names = [
        workload_name(instance),
        route_name(instance),
        admin_secret_name(instance),
        volume_claim_name(instance, volume),
        persistent_volume_name(namespace, instance, volume),
    ]
    assert all(is_dns1123_label(n) for n in names), names


def test_cluster_scoped_volume_names_do_not_collide_across_namespaces():
    # PersistentVolumes are cluster-scoped: tenant "a" must not be able to name tenant "a-b"'s volume.
    assert persistent_volume_name("a-b", "c", "nfs") != persistent_volume_name("a", "b-c", "nfs")


def test_a_crafted_short_name_cannot_take_a_long_names_objects():
    long_name = "a" * 60
    crafted = workload_name(long_name).removeprefix("foundry-")
    assert is_dns1123_label(crafted)
    assert workload_name(crafted) != workload_name(long_name)


# Labels over a tiny alphabet with dashes, so that `a-b`/`c` against `a`/`b-c` comes up often, and
# long ones, so that the hashed forms are exercised too.
TRICKY = st.from_regex(r"\A[ab]([-ab]{0,6}[ab])?\Z") | LABEL_63
CLAIM_VOLUMES = ("config", "worlds", "plugins", "nfs", "shared")
# Every derived name, with the inputs that vary within the scope where names must be unique.
DERIVED = {
    "workload/route/service (per namespace)": lambda a, b, v: workload_name(a),
    "admin secret (per namespace)": lambda a, b, v: admin_secret_name(a),
    "claim (per namespace)": lambda a, b, v: volume_claim_name(a, v),
    "persistent volume (cluster)": lambda a, b, v: persistent_volume_name(a, b, v),
    "reference grant (standby namespace)": lambda a, b, v: reference_grant_name(a, b),
}
USES = {  # which inputs each name depends on: (first, second, volume)
    "workload/route/service (per namespace)": (True, False, False),
    "admin secret (per namespace)": (True, False, False),
    "claim (per namespace)": (True, False, True),
    "persistent volume (cluster)": (True, True, True),
    "reference grant (standby namespace)": (True, True, False),
}


@settings(max_examples=200, deadline=None)
@given(
    which=st.sampled_from(sorted(DERIVED)),
    x=st.tuples(TRICKY, TRICKY, st.sampled_from(CLAIM_VOLUMES)),
    y=st.tuples(TRICKY, TRICKY, st.sampled_from(CLAIM_VOLUMES)),
)
@example(which="reference grant (standby namespace)", x=("a-b", "c", "nfs"), y=("a", "b-c", "nfs"))
@example(which="persistent volume (cluster)", x=("a-b", "c", "nfs"), y=("a", "b-c", "nfs"))
def test_every_derived_name_is_injective_and_a_label(which, x, y):
    name = DERIVED[which]
    key_x = tuple(v for v, used in zip(x, USES[which], strict=True) if used)
    key_y = tuple(v for v, used in zip(y, USES[which], strict=True) if used)
    assert is_dns1123_label(name(*x))
    assert (name(*x) == name(*y)) == (key_x == key_y), (which, x, y)


def test_reference_grants_of_two_tenants_never_share_a_name():
    assert reference_grant_name("a-b", "c") != reference_grant_name("a", "b-c")
