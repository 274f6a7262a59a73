"""Random tenants doing ordinary things never reach each other and never lose a world (issue 11).

Hypothesis drives sequences of applies, edits and deletes over two namespaces and three licenses
through the simulator (the pipelines Kratix runs), and after every step checks what is applied.
CI runs a bounded number of sequences; `make fuzz` runs many (FOUNDRY_FUZZ=1 selects that profile).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from isolation_world import INSTANCE_ROOT, PLANTED, SHARED_ROOT, World, instance_doc, license_doc, secret

from foundry_lib.kube import KubeObject
from foundry_lib.manifests.storage import PLUGIN_DIRS, WORLDS_DIR

settings.register_profile(
    "isolation-ci",
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("isolation-fuzz", parent=settings.get_profile("isolation-ci"), max_examples=500)
PROFILE = settings.get_profile("isolation-fuzz" if os.environ.get("FOUNDRY_FUZZ") else "isolation-ci")

NAMESPACES = ("red", "blue")
LICENSES = ("guild", "party")
INSTANCES = ("alpha", "beta", "a-b")
Step = tuple[str, KubeObject]


NFS = {"backend": "nfs"}
# Instance specs that matter for isolation, one dimension at a time (a product of every field
# would make the interesting collisions rare): hostnames, pools by instance and by path, copies,
# storage changes, quantities, another license.
INSTANCE_SPECS: tuple[dict[str, Any], ...] = (
    {},
    {"storage": NFS, "volumes": {"worlds": {"mode": "shared"}}},
    {"storage": NFS, "volumes": {"plugins": {"mode": "shared"}}},
    {"storage": NFS, "volumes": {"worlds": {"mode": "shared", "source": {"instance": "alpha"}}}},
    {"storage": NFS, "volumes": {"worlds": {"mode": "shared", "source": {"path": "alpha/worlds"}}}},
    {"storage": NFS, "volumes": {"plugins": {"mode": "shared", "source": {"path": "alpha/plugins"}}}},
    {"storage": NFS, "volumes": {"worlds": {"mode": "shared", "source": {"path": "alpha"}}}},
    {"storage": NFS, "volumes": {"worlds": {"mode": "copied", "source": {"instance": "alpha"}}}},
    {"storage": NFS, "volumes": {"worlds": {"mode": "shared", "source": {"instance": "beta"}}}},
    {"storage": NFS},
    {"storage": {"backend": "pvc", "size": "5Gi"}},
    {"hostname": "alpha.games.example.com"},
    {"hostname": "beta.party.example.com"},
    {"resources": {"memory": "256Mi"}},
    {"licenseRef": {"name": "party"}},
)


@st.composite
def _license(draw: st.DrawFn) -> Step:
    ns = draw(st.sampled_from(NAMESPACES))
    other = next(n for n in NAMESPACES if n != ns)
    root = draw(
        st.sampled_from([f"{SHARED_ROOT}/{ns}", f"{SHARED_ROOT}/{ns}/pools", f"{SHARED_ROOT}/{other}", None])
    )
    doc = license_doc(
        ns,
        draw(st.sampled_from(LICENSES)),
        baseDomain=draw(st.sampled_from(["games.example.com", "party.example.com", "games.example.org"])),
        sharedNfsRoot=root,
        activeInstanceName=draw(st.sampled_from([*INSTANCES, None])),
        restrictions={"maxInstances": draw(st.sampled_from([3, 1]))},
    )
    return "apply", doc


@st.composite
def _instance(draw: st.DrawFn) -> Step:
    ns = draw(st.sampled_from(NAMESPACES))
    name = draw(st.sampled_from(INSTANCES))
    return "apply", instance_doc(ns, name, **draw(st.sampled_from(INSTANCE_SPECS)))


@st.composite
def _delete(draw: st.DrawFn) -> Step:
    ns = draw(st.sampled_from(NAMESPACES))
    if draw(st.booleans()):
        return "delete", instance_doc(ns, draw(st.sampled_from(INSTANCES)))
    return "delete", license_doc(ns, draw(st.sampled_from(LICENSES)))


STEPS = st.lists(st.one_of(_instance(), _license(), _delete()), min_size=1, max_size=5)


# -- what is applied ------------------------------------------------------------------------------


def _claims(world: World) -> dict[tuple[str, str], tuple[str, str]]:
    """(namespace, claim) → (kind of root, base folder) for NFS-backed claims; PVCs map to themselves."""
    pvs = {d["metadata"]["name"]: d for _, d in world.all_work() if d["kind"] == "PersistentVolume"}
    out = {}
    for _, d in world.all_work():
        if d["kind"] == "PersistentVolumeClaim":
            ns, name = d["metadata"]["namespace"], d["metadata"]["name"]
            pv = pvs.get(d["spec"].get("volumeName") or "")
            out[(ns, name)] = ("nfs", pv["spec"]["nfs"]["path"]) if pv else ("pvc", f"{ns}/{name}")
    return out


def mounted_folders(world: World, *, running_only: bool = True) -> Iterator[tuple[str, str, str, str]]:
    """(namespace, Work folder, worlds|plugins, folder) for every such folder a server mounts."""
    claims = _claims(world)
    for work, doc in world.all_work():
        if doc["kind"] != "Deployment" or (running_only and not doc["spec"].get("replicas")):
            continue
        pod = doc["spec"]["template"]["spec"]
        ns = doc["metadata"]["namespace"]
        claim_of = {
            v["name"]: v["persistentVolumeClaim"]["claimName"]
            for v in pod["volumes"]
            if "persistentVolumeClaim" in v
        }
        for mount in pod["containers"][0]["volumeMounts"]:
            if mount["mountPath"] not in (WORLDS_DIR, *PLUGIN_DIRS.values()):
                continue
            claim = claim_of[mount["name"]]
            root, base = claims.get((ns, claim), ("pvc", f"{ns}/{claim}"))
            sub = mount.get("subPath", "")
            if mount["mountPath"] != WORLDS_DIR:
                sub = sub.rpartition("/")[0]  # modules and systems of one plugins volume are one folder
            kind = "worlds" if mount["mountPath"] == WORLDS_DIR else "plugins"
            yield ns, work, kind, f"{root}:{base}/{sub}".rstrip("/")


def _nested(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def check_no_hostname_in_two_routes(world: World) -> None:
    names = world.hostnames()
    assert len(names) == len(set(names)), f"a hostname is routed twice: {sorted(names)}"


def check_no_two_running_servers_share_a_pool_folder(world: World) -> None:
    """Worlds and plugins alike: LevelDB packs are single-writer in both (issue 10 item 7)."""
    seen = [(work, kind, folder) for _, work, kind, folder in mounted_folders(world)]
    for i, (who, kind, folder) in enumerate(seen):
        for other, their_kind, theirs in seen[i + 1 :]:
            assert who == other or kind != their_kind or not _nested(folder, theirs), (
                f"{who} and {other} both run on {folder}, {theirs}"
            )


def check_pool_paths_stay_in_their_tenant(world: World) -> None:
    for _, doc in world.all_work():
        if doc["kind"] == "PersistentVolume":
            ns, path = doc["spec"]["claimRef"]["namespace"], doc["spec"]["nfs"]["path"]
            assert path == INSTANCE_ROOT or _nested(path, f"{SHARED_ROOT}/{ns}"), f"{ns} mounts {path}"
            assert not _nested(path, f"{SHARED_ROOT}/{ns}") or path.startswith(f"{SHARED_ROOT}/{ns}")
    for ns, work, _, folder in mounted_folders(world, running_only=False):
        if folder.startswith(f"nfs:{INSTANCE_ROOT}/"):
            assert folder.startswith(f"nfs:{INSTANCE_ROOT}/{ns}/"), f"{work} mounts {folder}"
        if folder.startswith("nfs:"):
            assert _nested(folder, f"nfs:{INSTANCE_ROOT}/{ns}") or _nested(
                folder, f"nfs:{SHARED_ROOT}/{ns}"
            ), f"{work} mounts {folder}"


def check_no_secret_value_anywhere(world: World) -> None:
    planted = [PLANTED.format(ns=ns).encode() for ns in NAMESPACES]
    for path in world.root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not any(p in data for p in planted), f"a secret value reached {path}"


def _dynamic_claims(world: World, ns: str, name: str) -> set[str]:
    return {
        d["metadata"]["name"]
        for d in world.work("instance", ns, name)
        if d["kind"] == "PersistentVolumeClaim" and d["spec"].get("storageClassName") != ""
    }


# Every sequence starts from two tenants that could collide: same license name and base domain,
# the same instance name, shared roots of their own; the random steps then edit, add and delete.
BASELINE = (
    *(secret(ns) for ns in NAMESPACES),
    *(
        license_doc(ns, "guild", sharedNfsRoot=f"{SHARED_ROOT}/{ns}", activeInstanceName="alpha")
        for ns in NAMESPACES
    ),
    instance_doc("red", "alpha", storage={"backend": "nfs"}, volumes={"worlds": {"mode": "shared"}}),
)

Check = Callable[[World], None]
ALWAYS: tuple[Check, ...] = (
    check_no_hostname_in_two_routes,
    check_no_two_running_servers_share_a_pool_folder,
    check_pool_paths_stay_in_their_tenant,
    check_no_secret_value_anywhere,
)


def play(steps: list[Step], checks: tuple[Check, ...]) -> None:
    with tempfile.TemporaryDirectory(prefix="isolation-") as tmp:
        world = World(Path(tmp))
        world.apply(*BASELINE)
        for action, doc in steps:
            kind = "license" if doc["kind"] == "FoundryLicense" else "instance"
            ns, name = doc["metadata"]["namespace"], doc["metadata"]["name"]
            live = {
                (n, i): _dynamic_claims(world, n, i)
                for n in NAMESPACES
                for i in INSTANCES
                if world.get("instance", n, i)
            }
            before, runs = world.snapshot(kind, ns, name), len(world.engine.runs)
            (world.apply if action == "apply" else world.delete)(doc)
            mine = [r.result for r in world.engine.runs[runs:] if (r.namespace, r.name) == (ns, name)]
            if action == "apply" and mine and mine[0] == "suspended":
                assert world.snapshot(kind, ns, name) == before, (
                    f"refused {kind} {ns}/{name} changed its Work"
                )
            for (n, i), claims in live.items():
                if world.get("instance", n, i) is not None:
                    assert claims <= _dynamic_claims(world, n, i), f"{n}/{i} lost a claim while live"
            for check in checks:
                check(world)


# The attacks issue 11 reported, replayed on every run besides the random sequences.
HIJACKS = [
    [("apply", instance_doc("blue", "alpha"))],
    [("apply", instance_doc("blue", "beta", hostname="alpha.games.example.com"))],
    [
        ("apply", license_doc("blue", "guild", sharedNfsRoot=f"{SHARED_ROOT}/red")),
        ("apply", instance_doc("blue", "beta", storage=NFS, volumes={"worlds": {"mode": "shared"}})),
    ],
    [
        ("apply", license_doc("red", "guild", activeInstanceName="beta", sharedNfsRoot=f"{SHARED_ROOT}/red")),
        ("apply", instance_doc("red", "beta", **INSTANCE_SPECS[4])),
    ],
    [("apply", instance_doc("red", "alpha", "party")), ("apply", license_doc("red", "party"))],
    [
        ("apply", license_doc("red", "party", sharedNfsRoot=f"{SHARED_ROOT}/red", activeInstanceName="beta")),
        ("apply", instance_doc("red", "beta", "party", **INSTANCE_SPECS[4])),
    ],
]


@PROFILE
@example(steps=HIJACKS[0])
@example(steps=HIJACKS[1])
@example(steps=HIJACKS[2])
@example(steps=HIJACKS[3])
@example(steps=HIJACKS[4])
@example(steps=HIJACKS[5])
@given(steps=STEPS)
def test_tenants_never_reach_each_other_nor_lose_or_share_a_world(steps: list[Step]) -> None:
    play(steps, ALWAYS)
