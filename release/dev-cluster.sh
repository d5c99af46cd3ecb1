#!/usr/bin/env bash
# npm run dev:cluster — a local Kubernetes cluster and image registry for the dev stack, no
# account and no token needed. Needs Docker (running, with buildx) and kind
# (https://kind.sigs.k8s.io); nothing else, not even kubectl.
#
# Creates, or reuses when they exist (safe to run again):
#   - a registry:2 container "clickvote-registry" published on localhost:5001 (loopback only);
#   - a kind cluster "clickvote" (kube context kind-clickvote, made the current context) whose
#     containerd pulls localhost:5001/… from that registry — the "Local Registry" set-up of the
#     kind docs: containerd's certs.d config_path, a hosts.toml per node, the registry on the
#     kind network and the local-registry-hosting ConfigMap (KEP-1755);
#   - a buildx builder "clickvote" (docker-container driver on the host network, so BuildKit
#     reaches localhost:5001) and selects it: the docker-build provider cannot use the default
#     "docker" driver, and a builder on Docker's bridge network cannot reach localhost.
# Then the dev stack (clickvote:imageRepository localhost:5001/clickvote) builds, pushes and
# deploys with `npm run deploy:dev`.
#
#   npm run dev:cluster              create or reuse; prints the kube context
#   npm run dev:cluster -- --delete  delete the cluster, the registry (and its images) and the builder
#
# CLICKVOTE_CLUSTER (default clickvote) and CLICKVOTE_REGISTRY_PORT (default 5001) override the
# names; a different port also needs a different clickvote:imageRepository.
set -euo pipefail

CLUSTER="${CLICKVOTE_CLUSTER:-clickvote}"
REG_PORT="${CLICKVOTE_REGISTRY_PORT:-5001}"
REG_NAME="${CLUSTER}-registry"
BUILDER="${CLUSTER}"
CONTEXT="kind-${CLUSTER}"
NODE_REGISTRY_DIR="/etc/containerd/certs.d/localhost:${REG_PORT}"

say() { printf 'dev:cluster: %s\n' "$*"; }
die() { printf 'dev:cluster: %s\n' "$*" >&2; exit 1; }
usage() {
  cat <<EOF
usage: npm run dev:cluster [-- --delete]
  (no argument)  create or reuse the kind cluster "${CLUSTER}", the registry on localhost:${REG_PORT}
                 and the buildx builder "${BUILDER}"; prints the kube context (${CONTEXT})
  --delete       delete all three
Needs Docker (running, with buildx) and kind.
EOF
}

delete=0
case "$#:${1:-}" in
  0:) ;;
  1:--delete) delete=1 ;;
  1:-h | 1:--help) usage; exit 0 ;;
  *) printf 'dev:cluster: unknown arguments: %s\n' "$*" >&2; usage >&2; exit 2 ;;
esac
case "$REG_PORT" in '' | *[!0-9]*) die "CLICKVOTE_REGISTRY_PORT must be a port number (got '${REG_PORT}')" ;; esac
case "$CLUSTER" in '' | *[!a-z0-9-]*) die "CLICKVOTE_CLUSTER must be lower-case letters, digits and '-' (got '${CLUSTER}')" ;; esac

# ---- what is needed, all named at once ------------------------------------------------------
problems=()
if ! command -v docker >/dev/null 2>&1; then
  problems+=("Docker is not installed (not on PATH): install Docker Desktop, or Docker Engine with the docker-buildx-plugin package — https://docs.docker.com/get-docker/")
elif ! docker info >/dev/null 2>&1; then
  problems+=("Docker is installed but its daemon is not reachable: start Docker Desktop, or \`sudo systemctl start docker\`, then check with \`docker info\`")
elif [ "$delete" -eq 0 ] && ! docker buildx version >/dev/null 2>&1; then
  problems+=("Docker has no buildx plugin: Docker Desktop has it; on Docker Engine install the docker-buildx-plugin package")
fi
if ! command -v kind >/dev/null 2>&1; then
  problems+=("kind is not installed (not on PATH): https://kind.sigs.k8s.io/docs/user/quick-start/#installation (a single binary; e.g. \`go install sigs.k8s.io/kind@latest\` or your package manager)")
fi
if [ "${#problems[@]}" -gt 0 ]; then
  for p in "${problems[@]}"; do printf 'dev:cluster: missing: %s\n' "$p" >&2; done
  exit 1
fi

cluster_exists() { kind get clusters 2>/dev/null | grep -x "$CLUSTER" >/dev/null; }
container_state() { docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null || true; }

# ---- --delete -------------------------------------------------------------------------------
if [ "$delete" -eq 1 ]; then
  if cluster_exists; then kind delete cluster --name "$CLUSTER"; else say "no kind cluster ${CLUSTER}"; fi
  if [ -n "$(container_state "$REG_NAME")" ]; then
    docker rm -f "$REG_NAME" >/dev/null && say "deleted the registry container ${REG_NAME} and its images"
  else
    say "no registry container ${REG_NAME}"
  fi
  if docker buildx inspect "$BUILDER" >/dev/null 2>&1; then
    docker buildx rm "$BUILDER" && say "deleted the buildx builder ${BUILDER}"
  else
    say "no buildx builder ${BUILDER}"
  fi
  exit 0
fi

# ---- 1. the registry ------------------------------------------------------------------------
case "$(container_state "$REG_NAME")" in
  true) say "registry ${REG_NAME} already running on localhost:${REG_PORT}" ;;
  false) docker start "$REG_NAME" >/dev/null && say "started the registry ${REG_NAME} on localhost:${REG_PORT}" ;;
  *)
    docker run -d --restart=always -p "127.0.0.1:${REG_PORT}:5000" --network bridge --name "$REG_NAME" registry:2 >/dev/null \
      || die "could not start registry:2 on 127.0.0.1:${REG_PORT} (is the port taken? \`docker ps\`; or set CLICKVOTE_REGISTRY_PORT)"
    say "created the registry ${REG_NAME} on localhost:${REG_PORT}"
    ;;
esac

# ---- 2. the kind cluster, with containerd reading per-registry config from certs.d ------------
if cluster_exists; then
  say "kind cluster ${CLUSTER} already exists"
  kind export kubeconfig --name "$CLUSTER" >/dev/null 2>&1 || die "kind cluster ${CLUSTER} exists but its kubeconfig cannot be exported (is its node container stopped? \`docker start ${CLUSTER}-control-plane\`)"
else
  kind create cluster --name "$CLUSTER" --config=- <<'EOF'
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
EOF
fi

# ---- 3. each node pulls localhost:PORT from the registry container ---------------------------
# localhost inside a node is the node itself; the alias sends those pulls to the registry by name.
nodes="$(kind get nodes --name "$CLUSTER")"
[ -n "$nodes" ] || die "kind cluster ${CLUSTER} has no nodes"
for node in $nodes; do
  docker exec "$node" mkdir -p "$NODE_REGISTRY_DIR"
  printf '[host."http://%s:5000"]\n' "$REG_NAME" | docker exec -i "$node" cp /dev/stdin "${NODE_REGISTRY_DIR}/hosts.toml"
done

# ---- 4. the registry on the kind network ----------------------------------------------------
if [ "$(docker inspect -f '{{json .NetworkSettings.Networks.kind}}' "$REG_NAME")" = 'null' ]; then
  docker network connect kind "$REG_NAME"
fi

# ---- 5. document the registry in the cluster (KEP-1755), with the node's own kubectl ----------
docker exec -i "${CLUSTER}-control-plane" kubectl --kubeconfig=/etc/kubernetes/admin.conf apply -f - >/dev/null <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-registry-hosting
  namespace: kube-public
data:
  localRegistryHosting.v1: |
    host: "localhost:${REG_PORT}"
    help: "https://kind.sigs.k8s.io/docs/user/local-registry/"
EOF

# ---- 6. a builder that reaches localhost:PORT -----------------------------------------------
if docker buildx inspect "$BUILDER" >/dev/null 2>&1; then
  docker buildx use "$BUILDER"
  say "buildx builder ${BUILDER} already exists; selected it"
else
  docker buildx create --name "$BUILDER" --driver docker-container --driver-opt network=host --bootstrap --use >/dev/null
  say "created and selected the buildx builder ${BUILDER} (docker-container, host network); \`docker buildx use default\` switches back"
fi

say "registry: localhost:${REG_PORT} (the dev stack's clickvote:imageRepository is localhost:${REG_PORT}/clickvote)"
say "kube context: ${CONTEXT} (now the current context)"
say "next: npm run preflight -- --stack dev, then npm run deploy:dev"
echo "$CONTEXT"
