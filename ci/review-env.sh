#!/usr/bin/env bash
# Review environment of a pull request: stack pr-<N> in the self-managed backend, deployed to
# the kind cluster the job created on its runner (the current kubeconfig context).
#   ci/review-env.sh up <N>       (re)create pr-<N> from dev's settings and deploy it
#   ci/review-env.sh smoke <N>    readiness, then a vote round trip through the Service
#   ci/review-env.sh destroy <N>  destroy pr-<N>'s resources (end of every run)
#   ci/review-env.sh remove <N>   remove the stack pr-<N> (PR closed or label removed)
#
# The cluster lives only as long as the job, so every run starts from a fresh stack and ends
# with `destroy`; between runs pr-<N> is an empty stack that keeps the last run's history until
# `remove`. The image is built by the program (build mode, linux/amd64 only) and pushed to
# GHCR as <repo>:0.0.0-pr.<N> with the job's GITHUB_TOKEN, which the cluster also pulls with.
# Needs PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE, GITHUB_TOKEN and GITHUB_ACTOR.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"

action="${1:-}"
number="${2:-}"
[[ "$number" =~ ^[1-9][0-9]*$ ]] || ci_die "usage: $0 up|smoke|destroy|remove <pull request number>"
stack="pr-$number"
ci_require_env PULUMI_BACKEND_URL PULUMI_CONFIG_PASSPHRASE
cd "$REPO_ROOT" || exit 1

stack_exists() { pulumi stack select "$stack" --non-interactive >/dev/null 2>&1; }

case "$action" in
  up)
    ci_require_env GITHUB_TOKEN GITHUB_ACTOR
    if stack_exists; then
      # Whatever an interrupted run left behind lived in a kind cluster that is gone now.
      ci_log "removing the previous $stack"
      pulumi stack rm "$stack" --yes --force --non-interactive
    fi
    rm -f "Pulumi.$stack.yaml"
    pulumi stack init "$stack" --secrets-provider passphrase --non-interactive
    context="$(kubectl config current-context)"
    node "$CI_DIR/derive-stack-config.mjs" --from dev --to "$stack" \
      --set clickvote:imageMode=build \
      --set "clickvote:version=0.0.0-pr.$number" \
      --set-json 'clickvote:buildPlatforms=["linux/amd64"]' \
      --set "clickvote:imageRepository=$(ci_image_repository)" \
      --set "clickvote:imagePullUsername=$GITHUB_ACTOR" \
      --set "kubernetes:context=$context"
    ci_set_secret_config "$stack" clickvote:imagePullToken GITHUB_TOKEN
    "$CI_DIR/deploy.sh" "$stack"
    ;;
  smoke)
    namespace="$(pulumi stack output namespace --stack "$stack")"
    service="$(pulumi stack output serviceName --stack "$stack")"
    "$CI_DIR/smoke-test.sh" --namespace "$namespace" --service "$service"
    ;;
  destroy)
    if stack_exists; then
      pulumi destroy --stack "$stack" --yes --skip-preview --non-interactive
    else
      ci_log "$stack does not exist; nothing to destroy"
    fi
    ;;
  remove)
    if stack_exists; then
      # --force: resources a failed run left in the state lived in that run's kind cluster,
      # which ended with its job.
      pulumi stack rm "$stack" --yes --force --non-interactive
      ci_log "removed $stack"
    else
      ci_log "$stack does not exist; nothing to remove"
    fi
    ;;
  *) ci_die "usage: $0 up|smoke|destroy|remove <pull request number>" ;;
esac
