"""The felddy/foundryvtt contract: what the image's entrypoint needs from the rendered container.

The image holds no Foundry. Its entrypoint (src/entrypoint.sh, src/launcher.sh of
felddy/foundryvtt-docker) installs FOUNDRY_VERSION on every new container from FOUNDRY_USERNAME/
FOUNDRY_PASSWORD or from a `foundryvtt-<version>.zip` in CONTAINER_CACHE and exits 1 otherwise;
from 13.333 it runs as uid 1000 and first checks that /data is writable; it rejects a
CONTAINER_CACHE_SIZE below 1 and ignores TIMEZONE, FOUNDRY_UID, FOUNDRY_GID, CONTAINER_PRESERVE_OWNER;
its launcher passes only HOME, NODE_* and TZ to Foundry. Each row renders one supported generation
and option and checks all of it; releases that cannot run are refused by the catalog.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from foundry_lib.adapters.catalog_files import load_packaged_catalog
from foundry_lib.adapters.scripts import read_script
from foundry_lib.errors import UserError
from foundry_lib.images import ROOTLESS_SINCE
from foundry_lib.instance_plan import InstanceFacts, plan_instance
from foundry_lib.manifests.workload import STOP_FOUNDRY, STOP_WAIT_SECONDS
from foundry_lib.models.instance import FoundryInstanceSpec
from foundry_lib.models.license import FoundryLicenseSpec
from foundry_lib.models.request import parse_request
from foundry_lib.settings import PlatformSettings
from foundry_lib.volumes import Script

CATALOG = load_packaged_catalog()
SCRIPTS = {s: read_script(s) for s in Script}
NOW = datetime(2026, 11, 28, 20, 0, tzinfo=UTC)
CACHE_CLAIM = "foundry-release-cache"
REJECTED_OR_IGNORED = {"TIMEZONE", "FOUNDRY_UID", "FOUNDRY_GID", "CONTAINER_PRESERVE_OWNER"}
SECRET_ENV = {"FOUNDRY_LICENSE_KEY", "FOUNDRY_ADMIN_KEY", "FOUNDRY_USERNAME", "FOUNDRY_PASSWORD"}


def plan(
    version: str,
    *,
    credentials: bool = True,
    cache: bool = False,
    backend: str = "pvc",
    instance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The Foundry pod one instance renders (or the UserError it is refused with)."""
    lic_spec: dict[str, Any] = {
        "licenseSecretRef": {"name": "lic", "key": "key"},
        "baseDomain": "vtt.example.com",
    }
    if credentials:
        lic_spec["credentialsSecretRef"] = {"name": "account"}
    env = {"FOUNDRY_NFS_SERVER": "nas.example.internal"} | (
        {"FOUNDRY_RELEASE_CACHE_CLAIM": CACHE_CLAIM} if cache else {}
    )
    spec = {"licenseRef": {"name": "guild"}, "foundryVersion": version, "storage": {"backend": backend}}
    me = parse_request(
        {"metadata": {"name": "alpha", "namespace": "tabletop"}, "spec": spec | (instance or {})},
        FoundryInstanceSpec,
    )
    lic = parse_request(
        {"metadata": {"name": "guild", "namespace": "tabletop"}, "spec": lic_spec}, FoundryLicenseSpec
    )
    facts = InstanceFacts(me, lic, [me], PlatformSettings.from_env(env), CATALOG, SCRIPTS, NOW)
    outcome = plan_instance(facts)
    assert outcome.outputs is not None
    return dict(outcome.outputs["deployment.yaml"][0]["spec"]["template"]["spec"])


def env_of(container: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}


def image_version(image: str) -> tuple[int, int]:
    match = re.fullmatch(r".*:([0-9]+)\.([0-9]+)\.[0-9]+", image)
    assert match, image
    return int(match[1]), int(match[2])


def assert_entrypoint_can_install_and_start(pod: dict[str, Any], version: str, *, cache: bool) -> None:
    foundry = pod["containers"][0]
    env = env_of(foundry)
    # the image runs rootless as uid 1000; ours must be such an image, as that user
    assert image_version(foundry["image"]) >= ROOTLESS_SINCE
    assert foundry["securityContext"]["runAsUser"] == 1000 and pod["securityContext"]["runAsUser"] == 1000
    assert not foundry["securityContext"].get("readOnlyRootFilesystem")  # Foundry installs into $HOME
    assert env["FOUNDRY_VERSION"] == version
    # a release source: credentials from a Secret, or the shared cache mounted where CONTAINER_CACHE points
    has_credentials = "FOUNDRY_USERNAME" in env and "FOUNDRY_PASSWORD" in env
    mounts = {m["mountPath"]: m for m in foundry["volumeMounts"]}
    cache_mount = mounts.get(env["CONTAINER_CACHE"])
    assert has_credentials or cache_mount is not None
    assert "FOUNDRY_RELEASE_URL" not in env  # presigned URLs expire within minutes
    # writable paths: /data (the entrypoint's write test), the cache, /data/Data created as uid 1000
    assert not mounts["/data"].get("readOnly")
    assert env["CONTAINER_CACHE"].startswith("/data/")
    assert cache_mount is None or not cache_mount.get("readOnly")
    prepare = next(c for c in pod["initContainers"] if c["name"] == "prepare-data")
    assert prepare["volumeMounts"] == [mounts["/data"]] and "/data/Data" in prepare["command"][2]
    # cache cap: a private cache keeps one release; the shared cache is the platform's to prune
    if cache:
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes[cache_mount["name"]]["persistentVolumeClaim"]["claimName"] == CACHE_CLAIM
        assert "CONTAINER_CACHE_SIZE" not in env
    else:
        assert cache_mount is None and int(env["CONTAINER_CACHE_SIZE"]) >= 1
    # shutdown: the hook stops Foundry and waits; the grace period outlasts the wait
    assert foundry["lifecycle"]["preStop"]["exec"]["command"] == ["sh", "-c", STOP_FOUNDRY]
    assert pod["terminationGracePeriodSeconds"] > STOP_WAIT_SECONDS
    # what Foundry needs behind a gateway, and nothing the entrypoint rejects or ignores
    assert env["FOUNDRY_IP_DISCOVERY"] == "false" and env["TZ"]
    assert not REJECTED_OR_IGNORED & set(env)
    assert all(isinstance(env[name], dict) for name in SECRET_ENV & set(env))  # secretKeyRef only
    # never restarted while busy: liveness only checks the port; the install may take minutes
    assert set(foundry["livenessProbe"]) >= {"tcpSocket"}
    probe = foundry["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] >= 15 * 60
    for container in [*pod["containers"], *pod["initContainers"]]:  # the image's layer and logs are local
        assert {"ephemeral-storage"} <= set(container["resources"]["requests"]) & set(
            container["resources"]["limits"]
        )


CONTRACT = [
    # (id, version, options, image the version runs on)
    ("12-on-a-rootless-13-image", "12.343", {}, "13.351"),
    ("13.332-needs-root-so-runs-on-13.351", "13.332", {}, "13.351"),
    ("13-first-rootless", "13.333", {}, "13.333"),
    ("13-stable", "13.348", {}, "13.348"),
    ("14-stable", "14.361", {}, "14.361"),
    ("14-shared-cache-only", "14.361", {"credentials": False, "cache": True}, "14.361"),
    ("13-credentials-and-shared-cache", "13.351", {"cache": True}, "13.351"),
    ("12-shared-cache-nfs", "12.343", {"credentials": False, "cache": True, "backend": "nfs"}, "13.351"),
]


@pytest.mark.parametrize(
    ("version", "options", "runs_on"), [c[1:] for c in CONTRACT], ids=[c[0] for c in CONTRACT]
)
def test_the_entrypoint_gets_what_it_needs(version: str, options: dict[str, Any], runs_on: str) -> None:
    pod = plan(version, **options)
    assert_entrypoint_can_install_and_start(pod, version, cache=bool(options.get("cache")))
    assert pod["containers"][0]["image"] == f"ghcr.io/felddy/foundryvtt:{runs_on}.0"


OPTIONS = [
    ("world-launches-on-start", {"world": "curse-of-strahd"}, {"FOUNDRY_WORLD": "curse-of-strahd"}),
    ("no-world-starts-on-setup", {}, {"FOUNDRY_WORLD": None}),
    ("ssl-defaults-to-443", {}, {"FOUNDRY_PROXY_SSL": "true", "FOUNDRY_PROXY_PORT": "443"}),
    (
        "plain-http-defaults-to-80",
        {"proxySSL": False},
        {"FOUNDRY_PROXY_SSL": "false", "FOUNDRY_PROXY_PORT": "80"},
    ),
    ("explicit-port-wins", {"proxySSL": False, "proxyPort": 8080}, {"FOUNDRY_PROXY_PORT": "8080"}),
]


@pytest.mark.parametrize(("spec", "expected"), [o[1:] for o in OPTIONS], ids=[o[0] for o in OPTIONS])
def test_instance_options_reach_the_entrypoint(spec: dict[str, Any], expected: dict[str, str | None]) -> None:
    env = env_of(plan("13.351", instance=spec)["containers"][0])
    assert {name: env.get(name) for name in expected} == expected


REFUSED = [
    ("11-cannot-run-rootless", "11.315", {}, "UnsupportedVersion", "Node.js 16 to 20"),
    ("11.x-cannot-run-rootless", "11.x", {}, "UnsupportedVersion", "Ask for 12.x or newer"),
    ("no-release-source", "13.351", {"credentials": False}, "NoReleaseSource", "FOUNDRY_RELEASE_CACHE_CLAIM"),
]


@pytest.mark.parametrize(
    ("version", "options", "reason", "says"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_what_cannot_start_is_refused_with_what_to_do(
    version: str, options: dict[str, Any], reason: str, says: str
) -> None:
    with pytest.raises(UserError) as refused:
        plan(version, **options)
    assert refused.value.reason == reason and says in refused.value.message


FAKE_FOUNDRY = """\
import pathlib, signal, sys, time
data = pathlib.Path(sys.argv[-1].split("=", 1)[1])
def stop(*_):
    time.sleep(1.0)  # closing the world, flushing LevelDB
    (data / "flushed").write_text("yes")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
(data / "started").write_text("yes")
while True:
    time.sleep(0.05)
"""


def _shell(name: str, tmp_path: Path) -> list[str]:
    """sh (dash) and bash as in rootless images, busybox ash (its tr and sleep) as in older ones."""
    if name != "busybox":
        path = shutil.which(name)
        if path is None:
            pytest.skip(f"{name} is not installed")
        return [path]
    busybox = shutil.which("busybox")
    if busybox is None:
        pytest.skip("busybox is not installed (apt-get install busybox): older felddy images are busybox")
    return [busybox, "sh"]


@pytest.mark.parametrize("node", ["node", "/usr/local/bin/node"])  # older and newer launchers' exec
@pytest.mark.parametrize("shell", ["sh", "bash", "busybox"])
def test_the_pre_stop_hook_stops_foundry_and_waits_until_it_has_exited(
    shell: str, node: str, tmp_path: Path
) -> None:
    argv = _shell(shell, tmp_path)
    env = None
    if shell == "busybox":
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        for applet in ("tr", "sleep"):
            (bin_dir / applet).symlink_to(argv[0])
        env = {"PATH": str(bin_dir)}
    (tmp_path / "resources/app").mkdir(parents=True)
    (tmp_path / "resources/app/main.mjs").write_text(FAKE_FOUNDRY)
    foundry = subprocess.Popen(
        [node, "resources/app/main.mjs", "--port=30000", f"--dataPath={tmp_path}"],
        executable=sys.executable,
        cwd=tmp_path,
    )
    reaper = threading.Thread(target=foundry.wait)  # the entrypoint waits for its child like this
    reaper.start()
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "started").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        hook = subprocess.run(
            [*argv, "-c", STOP_FOUNDRY], env=env, capture_output=True, text=True, timeout=30
        )
        assert hook.returncode == 0, hook.stderr
        assert (tmp_path / "flushed").read_text() == "yes"  # the hook returned only after Foundry flushed
        reaper.join(timeout=5)
        assert foundry.returncode == 0
    finally:
        if foundry.poll() is None:
            foundry.kill()
        reaper.join(timeout=5)


def test_the_pre_stop_hook_returns_at_once_when_foundry_is_not_running() -> None:
    started = time.monotonic()
    hook = subprocess.run(["sh", "-c", STOP_FOUNDRY], capture_output=True, text=True, timeout=30)
    assert hook.returncode == 0 and time.monotonic() - started < 5
