"""The `KubeAPI` port over the official `kubernetes` client: the only module that imports it.

Every call goes through `ApiClient.call_api` with an explicit path and Content-Type, because the
generated typed APIs pick the patch flavour themselves (CoreV1Api sends a dict as
strategic-merge-patch, which custom resources reject). Errors become the project's error tree;
messages name the verb, kind, object and HTTP status, never a request or response body:

- 404 NotFoundError (`get` answers None, `delete` False: already gone);
- 409 on create AlreadyExistsError, else ConflictError (retry);
- 401/403 ForbiddenError naming the RBAC verb and resource (the platform's grant is missing);
- 429, 5xx, timeouts and lost connections TransientError (retry);
- any other status is a request this code should not have sent: ApiRequestError (a bug).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from foundry_lib.errors import (
    AlreadyExistsError,
    ConflictError,
    ForbiddenError,
    FoundryError,
    NotFoundError,
    TransientError,
)
from foundry_lib.kube import Kind, KubeObject

MERGE_PATCH = "application/merge-patch+json"
_RBAC_VERBS = {"POST": "create", "PATCH": "patch", "DELETE": "delete"}


def _load_in_cluster(configuration: client.Configuration) -> None:
    config.load_incluster_config(client_configuration=configuration)


class ApiRequestError(FoundryError):
    """The API refused a request as malformed or invalid (400, 422, ...): a bug in this code."""


class KubernetesAPI:
    """`KubeAPI` for a real cluster; inject the `ApiClient` (tests point it at an emulator)."""

    def __init__(self, api_client: client.ApiClient, *, timeout: float = 30.0) -> None:
        self._client = api_client
        self._timeout = (timeout, timeout)

    @classmethod
    def from_environment(
        cls,
        *,
        config_file: str | None = None,
        timeout: float = 30.0,
        pool_size: int | None = None,
        in_cluster: Callable[[client.Configuration], None] = _load_in_cluster,
    ) -> KubernetesAPI:
        """An explicit kubeconfig file when given, even in a pod (a service on a workload cluster reads
        the platform cluster's API); else the in-cluster service account when in a pod, else the
        default kubeconfig (local runs). `pool_size`: connections kept for concurrent calls (a
        service's worker threads); `in_cluster`: how to configure from the pod's service account."""
        configuration = client.Configuration()
        if pool_size is not None:
            configuration.connection_pool_maxsize = pool_size
        if config_file:
            config.load_kube_config(config_file=config_file, client_configuration=configuration)
        else:
            try:
                in_cluster(configuration)
            except config.ConfigException:
                config.load_kube_config(client_configuration=configuration)
        return cls(client.ApiClient(configuration), timeout=timeout)

    def close(self) -> None:
        """Release the pooled connections (long-running services and tests)."""
        self._client.close()
        self._client.rest_client.pool_manager.clear()

    def get(self, kind: Kind, namespace: str, name: str) -> KubeObject | None:
        try:
            return self._call("get", kind, namespace, name, "GET")
        except NotFoundError:
            return None

    def list(self, kind: Kind, namespace: str, labels: Mapping[str, str] | None = None) -> list[KubeObject]:
        query = [("labelSelector", ",".join(f"{k}={v}" for k, v in labels.items()))] if labels else []
        found = self._call("list", kind, namespace, None, "GET", query=query)
        items: list[KubeObject] = found.get("items") or []
        # List items of core kinds come without apiVersion/kind; `get` returns them, so add them here.
        # The selector is checked again locally so the result honours the port even where a server
        # (an emulator, say) ignores labelSelector.
        return [
            {"apiVersion": kind.api_version, "kind": kind.kind, **item}
            for item in items
            if _has_labels(item, labels or {})
        ]

    def list_all(self, kind: Kind) -> builtins.list[KubeObject]:
        found = self._call("list", kind, None, None, "GET")
        items: list[KubeObject] = found.get("items") or []
        return [{"apiVersion": kind.api_version, "kind": kind.kind, **item} for item in items]

    def create(self, kind: Kind, namespace: str, body: KubeObject) -> KubeObject:
        name = str(body.get("metadata", {}).get("name", ""))
        full = {"apiVersion": kind.api_version, "kind": kind.kind, **body}
        return self._call("create", kind, namespace, name, "POST", body=full, collection=True)

    def merge_patch(self, kind: Kind, namespace: str, name: str, patch: KubeObject) -> KubeObject:
        return self._call("merge-patch", kind, namespace, name, "PATCH", body=patch)

    def merge_patch_status(self, kind: Kind, namespace: str, name: str, status: KubeObject) -> KubeObject:
        verb, body = "merge-patch status", {"status": status}
        return self._call(verb, kind, namespace, name, "PATCH", body=body, subresource="status")

    def delete(self, kind: Kind, namespace: str, name: str) -> bool:
        try:
            self._call("delete", kind, namespace, name, "DELETE")
        except NotFoundError:
            return False  # already gone (or its finalizers removed meanwhile): what delete wants
        return True

    def _call(
        self,
        verb: str,
        kind: Kind,
        namespace: str | None,
        name: str | None,
        method: str,
        *,
        query: Sequence[tuple[str, str]] = (),
        body: KubeObject | None = None,
        subresource: str = "",
        collection: bool = False,
    ) -> KubeObject:
        """One HTTP call; the verb, kind and object only serve error messages."""
        path, params = _path(kind, namespace, None if collection else name, subresource)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = MERGE_PATCH if method == "PATCH" else "application/json"
        what = f"{verb} {kind.kind} {namespace or '*'}/{name or '*'}"
        try:
            result = self._client.call_api(
                path,
                method,
                path_params=params,
                query_params=list(query),
                header_params=headers,
                body=body,
                response_type="object",
                auth_settings=["BearerToken"],
                _return_http_data_only=True,
                _request_timeout=self._timeout,
            )
        except ApiException as exc:
            raise _api_error(
                exc, what, kind, namespace, method, collection or name is None, subresource
            ) from exc
        except urllib3.exceptions.HTTPError as exc:
            raise TransientError(f"Kubernetes API: {what} failed: {type(exc).__name__}, no response") from exc
        return cast(KubeObject, result)


def _api_error(
    exc: ApiException,
    what: str,
    kind: Kind,
    namespace: str | None,
    method: str,
    collection: bool,
    subresource: str,
) -> FoundryError:
    """The project's error for an HTTP error status (see the module docstring)."""
    code = int(exc.status or 0)
    status = f"HTTP {code} {exc.reason or ''}".rstrip()
    if code == 404:
        return NotFoundError(f"Kubernetes API: {what}: not found ({status})")
    if code == 409:
        if method == "POST":
            return AlreadyExistsError(f"Kubernetes API: {what}: already exists ({status})")
        return ConflictError(f"Kubernetes API: {what}: conflict, the object changed meanwhile ({status})")
    if code in (401, 403):
        verb = _RBAC_VERBS.get(method, "list" if collection else "get")
        resource = kind.plural + (f"/{subresource}" if subresource else "")
        return ForbiddenError(verb, resource, namespace, status=code)
    if code == 429 or code >= 500 or code == 0:
        return TransientError(f"Kubernetes API: {what} failed: {status}")
    return ApiRequestError(f"Kubernetes API: {what} refused: {status}")


def _path(
    kind: Kind, namespace: str | None, name: str | None, subresource: str
) -> tuple[str, dict[str, str]]:
    """The REST path template and its parameters (the client quotes them); no namespace: all of them."""
    prefix = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    if namespace is None:
        return f"{prefix}/{kind.plural}", {}
    path = prefix + "/namespaces/{namespace}/" + kind.plural
    params = {"namespace": namespace}
    if name is not None:
        path += "/{name}"
        params["name"] = name
    if subresource:
        path += f"/{subresource}"
    return path, params


def _has_labels(obj: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    have = obj.get("metadata", {}).get("labels") or {}
    return all(have.get(key) == value for key, value in labels.items())
