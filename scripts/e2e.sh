#!/usr/bin/env bash
# `make e2e`: the platform end to end on a throwaway kind cluster (needs docker, kind, kubectl and
# network). Creates the cluster, installs cert-manager, Kratix (single-cluster setup with its own
# state store and Flux), the Gateway API with Envoy Gateway, builds and loads the images, applies
# deploy/base in two steps (the Promises, whose dependencies create foundry-system through Flux, then
# the services), the example Gateway and the example tenant, waits for the workflows, checks routes,
# statuses and a switchover, and deletes the cluster (KEEP=1 keeps it). Every wait has a timeout.
#
# With FOUNDRY_USERNAME, FOUNDRY_PASSWORD and FOUNDRY_LICENSE_KEY set, the example tenant's Secrets
# get real values and the servers are waited for too; without them, the Foundry pods cannot download
# a release and only the platform's side (routes, statuses, the switch) is checked.
set -euo pipefail

CLUSTER="${CLUSTER:-foundry-e2e}"
TIMEOUT="${TIMEOUT:-600s}"
KEEP="${KEEP:-0}"
NS=tabletop
CERT_MANAGER_URL="${CERT_MANAGER_URL:-https://github.com/cert-manager/cert-manager/releases/download/v1.16.2/cert-manager.yaml}"
KRATIX_URL="${KRATIX_URL:-https://github.com/syntasso/kratix/releases/latest/download}"
GATEWAY_API_URL="${GATEWAY_API_URL:-https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.2.1/standard-install.yaml}"
ENVOY_GATEWAY_URL="${ENVOY_GATEWAY_URL:-https://github.com/envoyproxy/gateway/releases/download/v1.2.4/install.yaml}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'e2e: %s\n' "$*" >&2; exit 1; }

require() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is required on the PATH"
  done
}

# retry_until SECONDS DESCRIPTION COMMAND...: run COMMAND every 2 s until it succeeds; fail after SECONDS.
retry_until() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@"; do
    ((SECONDS < deadline)) || die "timed out after ${limit}s waiting for ${what}"
    sleep 2
  done
}

# jsonpath_is KIND/NAME PATH VALUE: the object's field equals VALUE.
jsonpath_is() {
  [[ "$(kubectl get "$1" -n "$NS" -o "jsonpath=$2" 2>/dev/null)" == "$3" ]]
}

version() { sed -n 's/^version = "\(.*\)"$/\1/p' pyproject.toml; }

cleanup() {
  if [[ "$KEEP" == 1 ]]; then
    log "keeping kind cluster $CLUSTER (kind delete cluster --name $CLUSTER)"
  else
    log "deleting kind cluster $CLUSTER"
    kind delete cluster --name "$CLUSTER"
  fi
}

install_prerequisites() {
  log "cert-manager"
  kubectl apply -f "$CERT_MANAGER_URL"
  kubectl wait --for=condition=Available deployment --all -n cert-manager --timeout="$TIMEOUT"
  log "Kratix (single cluster: state store, Flux and a Destination)"
  kubectl apply -f "$KRATIX_URL/install-all-in-one.yaml"
  kubectl wait --for=condition=Available deployment --all -n kratix-platform-system --timeout="$TIMEOUT"
  kubectl apply -f "$KRATIX_URL/config-all-in-one.yaml"
  retry_until 300 "a Kratix Destination" kubectl get destinations -o name
  kubectl label destinations --all foundry.platform/destination=true --overwrite
  log "Gateway API and Envoy Gateway"
  kubectl apply --server-side -f "$GATEWAY_API_URL"
  kubectl apply --server-side -f "$ENVOY_GATEWAY_URL"
  kubectl wait --for=condition=Available deployment --all -n envoy-gateway-system --timeout="$TIMEOUT"
}

load_images() {
  local role tag
  log "images"
  make images
  for role in foundry-platform foundry-platform-monitor foundry-platform-standby-page; do
    tag="ghcr.io/foundry-platform/$role:$(version)"
    kind load docker-image "$tag" --name "$CLUSTER"
  done
}

apply_platform() {
  log "the Promises (deploy/base); Kratix writes their dependencies to the Destination"
  kubectl apply -k deploy/base -l kratix.io/promise-version
  retry_until 300 "the Promises to be Available" promises_available
  retry_until 300 "the foundry-system namespace (the license Promise's dependency)" \
    kubectl get namespace foundry-system
  log "the services (deploy/base) and the example Gateway (deploy/examples/gateway)"
  kubectl apply -k deploy/base
  kubectl apply -f scripts/e2e-gateway.yaml
  kubectl apply -k deploy/examples/gateway
  kubectl -n foundry-system rollout status deployment/foundry-monitor --timeout="$TIMEOUT"
  kubectl -n foundry-system rollout status deployment/foundry-standby --timeout="$TIMEOUT"
}

promises_available() {
  local name
  for name in foundry-license foundry-instance foundry-activation-request; do
    [[ "$(kubectl get promise "$name" -o 'jsonpath={.status.status}' 2>/dev/null)" == Available ]] || return 1
  done
}

apply_tenant() {
  log "the example tenant"
  kubectl apply -f deploy/examples/tenant/namespace.yaml
  if [[ -n "${FOUNDRY_LICENSE_KEY:-}" ]]; then
    kubectl -n "$NS" create secret generic guild-license --from-literal=licenseKey="$FOUNDRY_LICENSE_KEY"
    kubectl -n "$NS" create secret generic guild-account \
      --from-literal=username="${FOUNDRY_USERNAME:?}" --from-literal=password="${FOUNDRY_PASSWORD:?}"
  else
    kubectl apply -f deploy/examples/tenant/secrets.yaml
  fi
  kubectl apply -f deploy/examples/tenant/license.yaml -f deploy/examples/tenant/instances.yaml
  kubectl wait --for=condition=Reconciled fl/guild fi/campaign-alpha fi/campaign-beta -n "$NS" --timeout="$TIMEOUT"
  kubectl wait --for=condition=Accepted fl/guild fi/campaign-alpha fi/campaign-beta -n "$NS" --timeout="$TIMEOUT"
}

check_routes_and_statuses() {
  log "routes and statuses"
  retry_until 300 "one HTTPRoute per instance" routes_present
  jsonpath_is fl/guild '{.status.activeInstance}' campaign-alpha || die "guild does not route campaign-alpha"
  jsonpath_is fi/campaign-alpha '{.status.isActive}' true || die "campaign-alpha is not active"
  jsonpath_is fi/campaign-beta '{.status.isActive}' false || die "campaign-beta is active"
  if [[ -n "${FOUNDRY_LICENSE_KEY:-}" ]]; then
    kubectl wait --for=condition=Available deployment/foundry-campaign-alpha -n "$NS" --timeout="$TIMEOUT"
  fi
}

routes_present() {
  [[ "$(kubectl get httproutes -n "$NS" -o name | wc -l)" -ge 2 ]]
}

check_switchover() {
  log "switch the active instance to campaign-beta"
  kubectl patch fl/guild -n "$NS" --type=merge -p '{"spec":{"activeInstanceName":"campaign-beta"}}'
  retry_until 600 "guild to route campaign-beta" jsonpath_is fl/guild '{.status.activeInstance}' campaign-beta
  retry_until 300 "campaign-beta to be active" jsonpath_is fi/campaign-beta '{.status.isActive}' true
}

main() {
  require docker kind kubectl make
  [[ -f pyproject.toml ]] || die "run from the repository root (make e2e)"
  log "kind cluster $CLUSTER"
  kind create cluster --name "$CLUSTER" --wait "$TIMEOUT"
  trap cleanup EXIT
  install_prerequisites
  load_images
  apply_platform
  apply_tenant
  check_routes_and_statuses
  check_switchover
  log "e2e passed"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
