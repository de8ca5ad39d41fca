#!/usr/bin/env bash
# Applies one environment's stacks in dependency order (deploy.yml). For each stack: init, plan, and — when
# the plan has changes — compare its fingerprint with the plan reviewed on the pull request (when one is
# available), then apply exactly that saved plan. Before the workloads stack, the image built for this commit
# is pushed to the environment's ECR repository (created by the cluster stack), so the Deployment can pull it.
#
#   STACKS            JSON matrix (affected-stacks with all: true): {"include":[{"stack","env","layer","dir","needs"}, …]}
#   ENV_NAME          the environment (the job's credentials are its apply role)
#   PLAN_DIR          where scrubbed <stack>.plan.json files go (uploaded as the deploy's plan artifact)
#   REVIEWED          optional JSON file {"<stack>": "<fingerprint>"} from the pull request's plan-report
#   ACCEPT_NEW_PLAN   "true": apply even when the fingerprint differs (break-glass, manual dispatch only)
#   IMAGE_TAG         commit SHA: -var image_tag for workloads; IMAGE_ARCHIVE: `docker save` tarball to push
#   TF_BIN            terraform or tofu
set -euo pipefail
: "${STACKS:?}" "${ENV_NAME:?}" "${PLAN_DIR:?}" "${IMAGE_TAG:?}"
tf=${TF_BIN:-terraform}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
mkdir -p "$PLAN_DIR"
export TF_IN_AUTOMATION=1 TF_INPUT=0

reviewed='{}'
if [ -n "${REVIEWED:-}" ] && [ -s "$REVIEWED" ]; then reviewed=$(cat "$REVIEWED"); fi

push_image() {
  local cluster_dir=$1 repo_url registry
  [ -n "${IMAGE_ARCHIVE:-}" ] || { echo "no IMAGE_ARCHIVE: image push skipped"; return 0; }
  # Contract with the cluster stack: a root output named ecr_repository_url (apps/infra/src/stacks/cluster.ts).
  repo_url=$("$tf" -chdir="$cluster_dir" output -raw ecr_repository_url)
  registry=${repo_url%%/*}
  # Tags are immutable: a re-run for the same commit finds its image there already and keeps it.
  if aws ecr describe-images --region "${AWS_REGION:?}" --repository-name "${repo_url#*/}" --image-ids "imageTag=${IMAGE_TAG}" >/dev/null 2>&1; then
    echo "| image | \`${repo_url}:${IMAGE_TAG}\` already in ECR |" >>"$summary"
    return 0
  fi
  aws ecr get-login-password --region "$AWS_REGION" | docker login --username AWS --password-stdin "$registry"
  local loaded
  loaded=$(docker load --input "$IMAGE_ARCHIVE" | sed -n 's/^Loaded image: //p' | head -1)
  docker tag "$loaded" "${repo_url}:${IMAGE_TAG}"
  docker push "${repo_url}:${IMAGE_TAG}"
  echo "| image | pushed \`${repo_url}:${IMAGE_TAG}\` |" >>"$summary"
}

{
  echo "### ${ENV_NAME}: apply"
  echo "| stack | result |"
  echo "| --- | --- |"
} >>"$summary"
cluster_dir=''
while IFS=$'\t' read -r stack layer dir; do
  if [ "$layer" = workloads ]; then push_image "${cluster_dir:?the cluster stack must come before workloads}"; fi

  echo "::group::${tf} plan ${stack}"
  vars=()
  if [ "$layer" = workloads ]; then vars+=(-var "image_tag=${IMAGE_TAG}"); fi
  "$tf" -chdir="$dir" init -input=false -no-color >/dev/null
  rc=0
  "$tf" -chdir="$dir" plan -input=false -no-color -lock-timeout=10m -detailed-exitcode -out=tfplan "${vars[@]}" || rc=$?
  echo "::endgroup::"
  if [ "$layer" = cluster ]; then cluster_dir=$dir; fi
  if [ $rc -eq 0 ]; then
    echo "| \`${stack}\` | no changes |" >>"$summary"
    rm -f "$dir/tfplan"
    continue
  fi
  [ $rc -eq 2 ] || { echo "::error title=${stack}::${tf} plan failed"; exit 1; }

  "$tf" -chdir="$dir" show -json tfplan >"$PLAN_DIR/${stack}.raw.json"
  node "$here/scrub-plan.cjs" "$PLAN_DIR/${stack}.raw.json" "$PLAN_DIR/${stack}.plan.json"
  rm -f "$PLAN_DIR/${stack}.raw.json"
  now=$(node "$here/plan-fingerprint.cjs" "$PLAN_DIR/${stack}.plan.json" | jq -r --arg s "$stack" '.[$s]')
  want=$(jq -r --arg s "$stack" '.[$s] // empty' <<<"$reviewed")
  gate="no reviewed plan"
  if [ -n "$want" ] && [ "$layer" != workloads ]; then
    if [ "$want" = "$now" ]; then
      gate="matches the reviewed plan"
    elif [ "${ACCEPT_NEW_PLAN:-false}" = true ]; then
      gate="DIFFERS from the reviewed plan — applied by manual override"
      echo "::warning title=${stack}::plan differs from the reviewed plan (${want:0:12} → ${now:0:12}); applying because accept-new-plan was set"
    else
      echo "| \`${stack}\` | **refused**: plan differs from the reviewed plan |" >>"$summary"
      echo "::error title=${stack}::refusing to apply: this plan (fingerprint ${now:0:12}) is not the plan reviewed on the pull request (${want:0:12}). Something changed since the review (another merge, drift, a provider release). Re-run the pull request's plan and review it, or dispatch deploy.yml with accept-new-plan after reading this run's plan artifact."
      exit 1
    fi
  elif [ "$layer" = workloads ]; then
    gate="image tag differs by design (the merge commit); other changes reviewed with the pull request"
  fi

  echo "::group::${tf} apply ${stack}"
  "$tf" -chdir="$dir" apply -input=false -no-color -lock-timeout=10m tfplan
  echo "::endgroup::"
  rm -f "$dir/tfplan"
  echo "| \`${stack}\` | applied (${gate}) |" >>"$summary"
done < <(jq -r --arg env "$ENV_NAME" '.include[] | select(.env == $env) | [.stack, .layer, .dir] | @tsv' <<<"$STACKS")
