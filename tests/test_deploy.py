"""deploy/: every kustomize entry point renders offline and every object it renders is valid
(kubernetes-validate --strict; the real Kratix Promise CRD; the Promises' own API schemas for the
example tenant). The services' RBAC is generated from one table that grants exactly the Kubernetes API
calls their code makes; the settings overlay reaches every pipeline; the example tenant is accepted."""

from __future__ import annotations

import ast
import functools
import shutil
import subprocess
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO, shared_schema
from manifest_validation import crd_schema, validate_manifest

from foundry_lib import kube
from foundry_lib.manifests.routes import Gateway as RouteGateway
from foundry_lib.manifests.routes import StandbyService, render_route
from foundry_lib.settings import PlatformSettings
from foundry_platform.promisegen import KUSTOMIZATION, check_image, output_texts
from foundry_platform.service_rbac import NAMESPACE, SERVICE_PERMISSIONS, rbac_texts
from foundry_platform.simulator.engine import Engine

DEPLOY = REPO / "deploy"
ENTRY_POINTS = sorted(p.parent.relative_to(REPO) for p in DEPLOY.rglob("kustomization.yaml"))
VERSION = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not on PATH: cannot render kustomize")
KRATIX_CRD = "kratix-promises-crd.yaml"
OVERLAY = Path("deploy/overlays/platform-settings")
TENANT = Path("deploy/examples/tenant")
GATEWAY = Path("deploy/examples/gateway")
PLATFORM_CLUSTER = Path("deploy/overlays/platform-cluster")
WORKLOAD_CLUSTER = Path("deploy/overlays/workload-cluster")


@functools.cache
def render(entry: Path) -> list[dict[str, Any]]:
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "kustomize", str(REPO / entry)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {entry} failed:\n{result.stderr}"
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert docs, f"kubectl kustomize {entry} rendered nothing"
    return docs


def _promise_api_schemas() -> dict[str, dict[str, Any]]:
    return {
        p["spec"]["api"]["spec"]["names"]["kind"]: p["spec"]["api"]["spec"]["versions"][0]["schema"][
            "openAPIV3Schema"
        ]
        for p in render(Path("deploy/base"))
        if p["kind"] == "Promise"
    }


def _validate(obj: dict[str, Any]) -> None:
    if obj["kind"] == "Promise":
        if not shared_schema(KRATIX_CRD).is_file():
            pytest.skip(f"the real Kratix Promise CRD is not at {shared_schema(KRATIX_CRD)}")
        jsonschema.validate(obj, crd_schema(KRATIX_CRD, "v1alpha1"))
    elif obj["kind"] == "Gateway":
        _check_gateway_structure(obj)
    elif obj["apiVersion"] == kube.API_VERSION:
        jsonschema.validate(obj, _promise_api_schemas()[obj["kind"]])
    else:
        validate_manifest(obj)


def test_entry_points_are_the_documented_ones() -> None:
    assert [str(p) for p in ENTRY_POINTS] == [
        "deploy/base",
        "deploy/examples/gateway",
        "deploy/examples/tenant",
        "deploy/overlays/platform-cluster",
        "deploy/overlays/platform-settings",
        "deploy/overlays/workload-cluster",
        "deploy/services/discord-bot",
        "deploy/services/monitor",
        "deploy/services/standby-page",
    ]


@needs_kubectl
@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=str)
def test_entry_point_renders_offline_and_every_object_is_valid(entry: Path) -> None:
    docs = render(entry)
    for obj in [*docs, *_dependencies(docs)]:
        where = f"{entry}: {obj['kind']} {obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
        try:
            _validate(obj)
        except Exception as err:
            pytest.fail(f"{where}: {err}")


def test_promises_kustomization_lists_every_generated_promise() -> None:
    path = REPO / "promises" / KUSTOMIZATION
    assert path.read_text(encoding="utf-8") == output_texts()[KUSTOMIZATION], f"{path}: run `make promises`"


# --- RBAC: generated from the table, and the table is exactly what the services' code calls ---

_VERBS = {"get": "get", "list": "list", "list_all": "list", "create": "create", "merge_patch": "patch",
          "merge_patch_status": "patch", "delete": "delete"}  # fmt: skip
_SERVICE_DIRS = {
    "monitor": ("monitor",),
    "standby-page": ("standby_page",),
    "discord-bot": ("commands", "discord_bot"),  # the bot runs the vtt commands
}


def _kind(node: ast.expr) -> kube.Kind | None:
    found = getattr(kube, node.id, None) if isinstance(node, ast.Name) else None
    return found if isinstance(found, kube.Kind) else None


def _api_call(node: ast.AST) -> tuple[ast.Attribute | None, list[ast.expr]]:
    """`x.kube.verb(KIND, ...)`, or `asyncio.to_thread(x.kube.verb, KIND, ...)` as the bot calls it."""
    if not isinstance(node, ast.Call):
        return None, []
    if ast.unparse(node.func).endswith("to_thread") and node.args and isinstance(node.args[0], ast.Attribute):
        return node.args[0], node.args[1:]
    return (node.func, node.args) if isinstance(node.func, ast.Attribute) else (None, [])


def _calls_in_code(package: str) -> set[tuple[str, str]]:
    """(resource, verb) of every KubeAPI call in services/<package>: `<...kube>.<method>(KIND, ...)`,
    or `(kind, ...)` with `kind` a parameter of a helper then called with KIND constants."""
    calls = set()
    for path in (REPO / "services" / package).rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        via: dict[str, set[tuple[str, str]]] = {}  # helper name → (suffix, verb) it calls with its kind
        for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            params = {a.arg for a in function.args.args}
            for node in ast.walk(function):
                if (
                    isinstance(node, ast.Call)
                    and ast.unparse(node.func) == "apply_effect"
                    and "RecordEvent" in text
                ):
                    calls.add(("events", "create"))  # the audit Event (pipelines.effects creates it)
                    continue
                func, args = _api_call(node)
                if (
                    func is None
                    or func.attr not in _VERBS
                    or not ast.unparse(func.value).lower().endswith("kube")
                ):
                    continue
                sub, verb = (
                    "/status" if func.attr == "merge_patch_status" else "",
                    _VERBS[func.attr],
                )
                kind = _kind(args[0]) if args else None
                if kind is not None:
                    calls.add((kind.plural + sub, verb))
                elif args and isinstance(args[0], ast.Name) and args[0].id in params:
                    via.setdefault(function.name, set()).add((sub, verb))
                else:
                    pytest.fail(f"{path}: cannot tell the kind of {ast.unparse(node)}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in via:
                if not (node.args and isinstance(node.args[0], ast.Name) and node.args[0].id.isupper()):
                    continue  # not given a kind constant: a same-named method of something else (dict.get)
                kind = _kind(node.args[0]) if node.args else None
                assert kind is not None, f"{path}: cannot tell the kind of {ast.unparse(node)}"
                calls |= {(kind.plural + sub, verb) for sub, verb in via[node.func.attr]}
    return calls


@pytest.mark.parametrize("service", SERVICE_PERMISSIONS)
def test_service_rbac_grants_exactly_the_calls_its_code_makes(service: str) -> None:
    granted = {(res, verb) for res, verbs in SERVICE_PERMISSIONS[service].items() for verb in verbs.split()}
    made = set().union(*(_calls_in_code(package) for package in _SERVICE_DIRS[service]))
    assert made, f"found no Kubernetes API call in services/{_SERVICE_DIRS[service]}"
    assert made == granted, f"missing grants: {made - granted}; unused grants: {granted - made}"


def test_every_service_has_rbac() -> None:
    assert set(SERVICE_PERMISSIONS) == {p.name for p in (DEPLOY / "services").iterdir()}


@pytest.mark.parametrize(("relative", "text"), rbac_texts().items())
def test_committed_rbac_is_generated_from_the_table(relative: str, text: str) -> None:
    path = REPO / relative
    assert path.read_text(encoding="utf-8") == text, f"{path}: run `python -m foundry_platform.service_rbac`"


def test_no_service_may_touch_secrets_or_watch_or_update() -> None:
    for service, table in SERVICE_PERMISSIONS.items():
        assert "secrets" not in table, service
        assert not {"watch", "update", "*"} & {v for verbs in table.values() for v in verbs.split()}, service


@needs_kubectl
def test_each_deployment_runs_as_its_own_service_account_non_root() -> None:
    docs = render(Path("deploy/base"))
    accounts = {d["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount"}
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] in accounts
        assert pod["securityContext"]["runAsNonRoot"] is True
        for container in pod["containers"]:
            assert container["image"].endswith(f":{VERSION}"), container["image"]


# --- the standby page's wiring and the settings overlay ---


def _pipeline_containers(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        container
        for promise in docs
        if promise["kind"] == "Promise"
        for pipelines in promise["spec"]["workflows"]["resource"].values()
        for pipeline in pipelines
        for container in pipeline["spec"]["containers"]
    ]


def _dependencies(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What Kratix writes to every Destination from the Promises' `spec.dependencies`."""
    return [dep for d in docs if d["kind"] == "Promise" for dep in d["spec"].get("dependencies", [])]


def _env(container: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container["env"]}


def _one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def _check_standby_wiring(docs: list[dict[str, Any]]) -> None:
    """The routes' standby backend (pipeline env) is the Service the license Promise ships, that Service
    selects the standby page's pods by their named port, and every service runs in its namespace."""
    licenses = [d for d in docs if d["kind"] == "Promise" and d["spec"].get("dependencies")]
    assert [p["metadata"]["name"] for p in licenses] == ["foundry-license"], "one Promise ships them"
    dependencies = _dependencies(docs)
    namespace, service = _one(dependencies, "Namespace"), _one(dependencies, "Service")
    for container in _pipeline_containers(docs):
        env = _env(container)
        assert env["FOUNDRY_STANDBY_SERVICE_NAME"] == service["metadata"]["name"]
        assert env["FOUNDRY_STANDBY_SERVICE_NAMESPACE"] == service["metadata"]["namespace"]
        assert int(env["FOUNDRY_STANDBY_SERVICE_PORT"]) == service["spec"]["ports"][0]["port"]
    assert service["metadata"]["namespace"] == namespace["metadata"]["name"]
    standby = _one(docs, "Deployment", "foundry-standby")
    pod = standby["spec"]["template"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    ports = {p["name"] for c in pod["spec"]["containers"] for p in c["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    namespaced = [d for d in docs if d["kind"] not in ("Promise", "ClusterRole", "ClusterRoleBinding")]
    assert {d["metadata"]["namespace"] for d in namespaced} == {namespace["metadata"]["name"]}
    for binding in (d for d in docs if d["kind"] == "ClusterRoleBinding"):
        assert [s["namespace"] for s in binding["subjects"]] == [namespace["metadata"]["name"]]


@needs_kubectl
@pytest.mark.parametrize("entry", [Path("deploy/base"), OVERLAY], ids=str)
def test_the_standby_service_is_where_the_routes_send_non_active_hostnames(entry: Path) -> None:
    _check_standby_wiring(render(entry))


STANDBY_SETTINGS_CASES = [
    # (case, the overlay's standby settings)
    ("renamed service, namespace and port", {"NAME": "standby", "NAMESPACE": "vtt-platform", "PORT": "9000"}),
    ("only the port", {"NAME": "foundry-standby", "NAMESPACE": "foundry-system", "PORT": "80"}),
]


@needs_kubectl
@pytest.mark.parametrize(
    ("case", "standby"), STANDBY_SETTINGS_CASES, ids=[c[0] for c in STANDBY_SETTINGS_CASES]
)
def test_a_site_changing_the_standby_settings_keeps_routes_service_and_services_together(
    case: str, standby: dict[str, str], tmp_path: Path
) -> None:
    site = tmp_path / "repo"
    for folder in ("deploy", "promises"):
        shutil.copytree(REPO / folder, site / folder)
    path = site / OVERLAY / "settings.yaml"
    settings = yaml.safe_load(path.read_text(encoding="utf-8"))
    settings["data"] |= {f"FOUNDRY_STANDBY_SERVICE_{key}": value for key, value in standby.items()}
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")
    assert KUBECTL is not None
    result = subprocess.run(
        [KUBECTL, "kustomize", str(site / OVERLAY)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    docs = [d for d in yaml.safe_load_all(result.stdout) if d]
    _check_standby_wiring(docs)
    assert _one(_dependencies(docs), "Namespace")["metadata"]["name"] == standby["NAMESPACE"]
    for dependency in _dependencies(docs):
        validate_manifest(dependency)  # the port stays an integer


@needs_kubectl
def test_the_promise_dependencies_survive_uninstalling_the_promise() -> None:
    """Deleting a Promise deletes its dependencies Work; the GitOps agent must not prune the namespace
    (and with it the services and the Gateway)."""
    namespace = _one(_dependencies(render(Path("deploy/base"))), "Namespace")
    assert namespace["metadata"]["name"] == NAMESPACE, "the services' generated RBAC lives there"
    assert namespace["metadata"]["annotations"] == {
        "kustomize.toolkit.fluxcd.io/prune": "disabled",
        "argocd.argoproj.io/sync-options": "Prune=false",
    }
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def _object_id(obj: dict[str, Any]) -> tuple[str, str, str, str]:
    group = obj["apiVersion"].rpartition("/")[0]
    return group, obj["kind"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]


def _applied(
    entry: Path, keep: Callable[[dict[str, Any]], bool] = lambda d: d["kind"] != "Promise"
) -> Source:
    return "kubectl apply -k " + str(entry), lambda: [d for d in render(entry) if keep(d)]


def _promise_dependencies(entry: Path) -> Source:
    return "Promise dependencies", lambda: _dependencies(render(entry))


def _tenant_part(*, requests: bool) -> Source:
    """Two clusters: the tenant's requests go to the platform cluster, its Secrets and claims to the
    workload cluster; its namespace to both."""
    return "kubectl apply -k " + str(TENANT), lambda: [
        d
        for d in render(TENANT)
        if d["kind"] == "Namespace" or (d["apiVersion"] == kube.API_VERSION) == requests
    ]


Source = tuple[str, Callable[[], list[dict[str, Any]]]]
TOPOLOGIES: list[tuple[str, dict[str, list[Source]]]] = [
    (
        f"one cluster, {platform}",
        {
            "the cluster": [
                _applied(platform),
                _applied(GATEWAY),
                _applied(Path("deploy/services/discord-bot")),
                _applied(TENANT),
                _promise_dependencies(platform),
            ]
        },
    )
    for platform in (Path("deploy/base"), OVERLAY)
] + [
    (
        "two clusters",
        {
            "platform cluster": [
                _applied(PLATFORM_CLUSTER),
                _applied(Path("deploy/services/discord-bot")),
                _tenant_part(requests=True),
            ],
            "workload cluster": [
                _applied(WORKLOAD_CLUSTER),
                _applied(GATEWAY),
                _tenant_part(requests=False),
                _promise_dependencies(PLATFORM_CLUSTER),
            ],
        },
    )
]


@needs_kubectl
@pytest.mark.parametrize(("case", "clusters"), TOPOLOGIES, ids=[t[0] for t in TOPOLOGIES])
def test_one_emitter_per_object_and_every_namespace_is_created(
    case: str, clusters: dict[str, list[Source]]
) -> None:
    """What kubectl applies (the platform, the example Gateway, the bot, the tenant) and what the GitOps
    agent applies (the Promises' dependencies, on the Destination) never overlap on one cluster: they
    would fight over the object, and the agent would prune what kubectl owns. Every namespace an
    object needs is created on its cluster by exactly one of them."""
    for cluster, sources in clusters.items():
        emitters: dict[tuple[str, str, str, str], list[str]] = {}
        for source, docs in sources:
            for obj in docs():
                emitters.setdefault(_object_id(obj), []).append(source)
        assert {key: who for key, who in emitters.items() if len(who) > 1} == {}, cluster
        namespaces = {key[3] for key in emitters if key[1] == "Namespace"}
        needed = {key[2] for key in emitters if key[2]}
        assert needed <= namespaces, f"{cluster}: nobody creates namespace(s) {needed - namespaces}"


@needs_kubectl
@pytest.mark.parametrize("entry", [Path("deploy/base"), OVERLAY, PLATFORM_CLUSTER], ids=str)
def test_the_first_install_step_selects_exactly_the_promises(entry: Path) -> None:
    """`kubectl apply -k <entry> -l kratix.io/promise-version` must apply the Promises and nothing
    else: the rest needs the namespace their dependencies create."""
    docs = render(entry)
    selected = [d for d in docs if "kratix.io/promise-version" in d["metadata"].get("labels", {})]
    assert [d["kind"] for d in selected] == ["Promise"] * 3
    assert len([d for d in docs if d["kind"] == "Promise"]) == 3


@needs_kubectl
def test_two_clusters_the_services_run_beside_the_servers_and_read_the_platform_through_a_kubeconfig() -> (
    None
):
    platform, workload = render(PLATFORM_CLUSTER), render(WORKLOAD_CLUSTER)
    assert {d["kind"] for d in platform} >= {"Promise", "ClusterRole", "ClusterRoleBinding", "ServiceAccount"}
    assert not [d for d in platform if d["kind"] in ("Deployment", "Service")]
    assert not [d for d in workload if d["kind"] in ("Promise", "ClusterRole", "ClusterRoleBinding")]
    tokens = {
        d["metadata"]["annotations"]["kubernetes.io/service-account.name"]
        for d in platform
        if d["kind"] == "Secret"
    }
    deployments = [d for d in workload if d["kind"] == "Deployment"]
    assert {d["spec"]["template"]["spec"]["serviceAccountName"] for d in deployments} == tokens
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        (mount,) = container["volumeMounts"]
        (volume,) = pod["volumes"]
        assert volume["name"] == mount["name"] and mount["readOnly"] is True
        assert volume["secret"]["secretName"] == f"{pod['serviceAccountName']}-kubeconfig"
        assert f"--kubeconfig={mount['mountPath']}/kubeconfig" in container["args"]
    assert all(d["automountServiceAccountToken"] is False for d in workload if d["kind"] == "ServiceAccount")


@needs_kubectl
def test_the_settings_overlay_reaches_every_pipeline_and_the_monitor() -> None:
    settings = yaml.safe_load((REPO / OVERLAY / "settings.yaml").read_text(encoding="utf-8"))["data"]
    docs = render(OVERLAY)
    assert not [d for d in docs if d["kind"] == "ConfigMap"], "the settings ConfigMap is local to kustomize"
    containers = _pipeline_containers(docs)
    assert len(containers) == 6
    for container in containers:
        env = {e["name"]: e["value"] for e in container["env"]}
        assert container["image"] == check_image(settings["PIPELINE_IMAGE"])
        assert {k: env[k] for k in settings if k != "PIPELINE_IMAGE"} == {
            k: v for k, v in settings.items() if k != "PIPELINE_IMAGE"
        }
        PlatformSettings.from_env(env)  # a value the pipelines would refuse fails here, naming it
    monitor = next(
        d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "foundry-monitor"
    )
    env = {e["name"]: e["value"] for e in monitor["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env == {k: settings[k] for k in ("FOUNDRY_MONITOR_INTERVAL", "FOUNDRY_ACTIVATION_RETENTION")}
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert check_image(container["image"]).endswith(f":{VERSION}"), container["image"]
    assert settings["PIPELINE_IMAGE"].endswith(f":{VERSION}")
    selectors = {str(p["spec"]["destinationSelectors"]) for p in docs if p["kind"] == "Promise"}
    assert len(selectors) == 1, "every Promise must schedule to the same Destination"


@needs_kubectl
def test_the_example_tenant_is_accepted_by_the_pipelines(tmp_path: Path) -> None:
    docs = render(TENANT)
    engine = Engine(tmp_path / "state", datetime(2026, 11, 28, 20, tzinfo=UTC), {"FOUNDRY_NFS_SERVER": "nas"})
    for doc in docs:
        if doc["kind"] in ("Secret", *(k.kind for k in kube.FOUNDRY_KINDS)):
            engine.apply(doc)
    engine.settle()
    requests = [(k, d) for k in kube.FOUNDRY_KINDS for d in engine.kube.list(k, "tabletop")]
    assert len(requests) == 3
    for _, obj in requests:
        accepted = {c["type"]: c for c in obj["status"]["conditions"]}["Accepted"]
        assert accepted["status"] == "True", f"{obj['metadata']['name']}: {obj['status'].get('message')}"


# --- the example Gateway ---

_LISTENER_PROTOCOLS = {"HTTP", "HTTPS"}


def _check_gateway_structure(gateway: dict[str, Any]) -> None:
    """What the Gateway API's CRD would check for the fields this example uses (no Gateway schema is
    available offline: ../shared/schemas holds the HTTPRoute and ReferenceGrant CRDs only)."""
    assert gateway["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert set(gateway) == {"apiVersion", "kind", "metadata", "spec"}
    assert set(gateway["spec"]) == {"gatewayClassName", "listeners"}
    assert isinstance(gateway["spec"]["gatewayClassName"], str) and gateway["spec"]["gatewayClassName"]
    listeners = gateway["spec"]["listeners"]
    assert 1 <= len(listeners) <= 64
    assert len({listener["name"] for listener in listeners}) == len(listeners), "listener names are unique"
    for listener in listeners:
        assert set(listener) <= {"name", "protocol", "port", "hostname", "tls", "allowedRoutes"}, listener
        assert listener["protocol"] in _LISTENER_PROTOCOLS
        assert isinstance(listener["port"], int) and 1 <= listener["port"] <= 65535
        assert (listener["protocol"] == "HTTPS") == ("tls" in listener), "HTTPS listeners need tls"
        if "tls" in listener:
            assert listener["tls"]["mode"] == "Terminate" and listener["tls"]["certificateRefs"]
        allowed = listener["allowedRoutes"]
        assert allowed["namespaces"]["from"] in {"All", "Same", "Selector"}
        assert {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"} in allowed["kinds"]


def _admits(listener: dict[str, Any], namespace: dict[str, Any]) -> bool:
    namespaces = listener["allowedRoutes"]["namespaces"]
    if namespaces["from"] == "All":
        return True
    if namespaces["from"] == "Same":
        return False  # the routes are in the tenants' namespaces, never the Gateway's
    labels = namespace["metadata"].get("labels", {})
    return bool(namespaces["selector"]["matchLabels"].items() <= labels.items())


@needs_kubectl
def test_the_example_gateway_is_valid() -> None:
    _check_gateway_structure(_one(render(GATEWAY), "Gateway"))


GATEWAY_SETTINGS_CASES = [
    # (case, where the platform's settings come from)
    ("the pipelines' defaults", None),
    ("the platform-settings overlay", OVERLAY / "settings.yaml"),
]


@needs_kubectl
@pytest.mark.parametrize(
    ("case", "settings_file"), GATEWAY_SETTINGS_CASES, ids=[c[0] for c in GATEWAY_SETTINGS_CASES]
)
def test_the_license_pipelines_routes_attach_to_the_example_gateway_from_the_tenant(
    case: str, settings_file: Path | None
) -> None:
    env = yaml.safe_load((REPO / settings_file).read_text(encoding="utf-8"))["data"] if settings_file else {}
    settings = PlatformSettings.from_env(env)
    route = render_route(
        instance="campaign-alpha",
        namespace="tabletop",
        license_name="guild",
        hostname="campaign-alpha.guild.example.com",
        active=True,
        gateway=RouteGateway(settings.gateway_name, settings.gateway_namespace, settings.gateway_section),
        standby=StandbyService(
            settings.standby_service_name, settings.standby_service_namespace, settings.standby_service_port
        ),
    )
    validate_manifest(route)
    (parent,) = route["spec"]["parentRefs"]
    gateway = _one(render(GATEWAY), "Gateway")
    assert (parent["name"], parent["namespace"]) == (
        gateway["metadata"]["name"],
        gateway["metadata"]["namespace"],
    )
    listeners = [
        listener
        for listener in gateway["spec"]["listeners"]
        if parent.get("sectionName") in (None, listener["name"])
    ]
    assert listeners, f"the Gateway has no listener {parent.get('sectionName')!r}"
    tenant = _one(render(TENANT), "Namespace")
    assert all(_admits(listener, tenant) for listener in listeners), "a listener refuses the tenant's routes"
