#!/usr/bin/env bash
# Applies one environment's stacks in dependency order (deploy-env.yml), applying only what was reviewed.
#
# Phase 1 (nothing is applied yet): every stack whose upstream stacks have no changes in this run is planned, and
# each plan is checked against the review evidence (review.cjs check: every change must be an item of a plan
# reviewed in the merge queue for a commit since the deployed one; only the named ignored attributes, such as the
# image digest, may differ). One refusal stops the deploy here, naming every refused stack: no environment is
# left half-applied by a stale review.
# Phase 2: the checked plans are applied (exactly those saved plans); then each stack that had to wait for an
# upstream apply is planned, checked and applied in turn. Every stack starts with fresh AWS credentials.
#
#   STACKS            JSON matrix (affected-stacks with all: true): {"include":[{"stack","env","layer","dir","needs"}, …]}
#   ENV_NAME          the environment (the job's credentials are its apply role)
#   PLAN_DIR          where scrubbed <stack>.plan.json files go (uploaded as the deploy's plan artifact)
#   EVIDENCE_DIR      review evidence (review.cjs fetch); IGNORE_RULES: attributes that may differ (JSON file)
#   BREAK_GLASS       stacks whose never-reviewed changes a person accepted (manual dispatch; recorded by the gate)
#   IMAGE_TAG         commit SHA: -var image_tag for stacks that declare it; IMAGE_ARCHIVE: `docker save` tarball,
#                     pushed to the repository a stack's `ecr_repository_url` output names, before the first stack
#                     that declares image_tag is planned
#   AWS_ROLE_ARN      re-assumed with a fresh OIDC token before each stack (lib.sh refresh_credentials)
#   TF_BIN            terraform or tofu
set -euo pipefail
: "${STACKS:?}" "${ENV_NAME:?}" "${PLAN_DIR:?}" "${IMAGE_TAG:?}" "${EVIDENCE_DIR:?}"
tf=${TF_BIN:-terraform}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.github/scripts/lib.sh
source "$here/lib.sh"
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
mkdir -p "$PLAN_DIR"
export TF_IN_AUTOMATION=1 TF_INPUT=0

image_pushed=''
push_image() {
  local repo_url='' registry d
  [ -z "$image_pushed" ] || return 0
  image_pushed=1
  [ -n "${IMAGE_ARCHIVE:-}" ] || { echo "no IMAGE_ARCHIVE: image push skipped"; return 0; }
  # The stack that creates the registry says so with a root output named ecr_repository_url.
  for d in "${done_dirs[@]}"; do
    if jq -e '.output.ecr_repository_url' "$d/cdk.tf.json" >/dev/null 2>&1; then repo_url=$("$tf" -chdir="$d" output -raw ecr_repository_url); fi
  done
  [ -n "$repo_url" ] || { echo "::error::no applied stack has an ecr_repository_url output: cannot push the image" >&2; return 1; }
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

# plan_and_check <stack> <dir>: plans into <dir>/tfplan; sets rc (0 none, 2 changes) and verdict; fails on a plan error.
plan_and_check() {
  local stack=$1 dir=$2 vars=() vars_text out
  vars_text=$(stack_vars "$dir")
  [ -z "$vars_text" ] || mapfile -t vars <<<"$vars_text"
  if [ ${#vars[@]} -gt 0 ]; then push_image; fi
  echo "::group::${tf} plan ${stack}"
  "$tf" -chdir="$dir" init -input=false -no-color >/dev/null
  rc=0
  "$tf" -chdir="$dir" plan -input=false -no-color -lock-timeout=10m -detailed-exitcode -out=tfplan "${vars[@]}" || rc=$?
  echo "::endgroup::"
  [ $rc -eq 0 ] || [ $rc -eq 2 ] || { echo "| \`${stack}\` | **plan failed** (nothing after it applied) |" >>"$summary"; echo "::error title=${stack}::${tf} plan failed"; exit 1; }
  show_scrubbed "$dir" "$PLAN_DIR/${stack}.plan.json" || exit 1
  out=0
  verdict=$(node "$here/review.cjs" check --stack "$stack" --plan "$PLAN_DIR/${stack}.plan.json" --evidence "$EVIDENCE_DIR" \
    ${IGNORE_RULES:+--ignore "$IGNORE_RULES"} --break-glass "${BREAK_GLASS:-}") || out=$?
  [ $out -eq 0 ] || [ $out -eq 3 ] || { echo "::error title=${stack}::review check failed"; exit 1; }
}

apply_stack() {
  local stack=$1 dir=$2 note=$3
  refresh_credentials "$stack"
  echo "::group::${tf} apply ${stack}"
  if ! "$tf" -chdir="$dir" apply -input=false -no-color -lock-timeout=10m tfplan; then
    echo "::endgroup::"
    keep_errored_state "$stack" "$dir"
    echo "| \`${stack}\` | **apply failed** |" >>"$summary"
    echo "::error title=${stack}::apply failed; stacks after it were not applied"
    exit 1
  fi
  echo "::endgroup::"
  rm -f "$dir/tfplan"
  echo "| \`${stack}\` | applied (${note}) |" >>"$summary"
}

refusal() {
  local stack=$1
  echo "| \`${stack}\` | **refused**: $(jq -r .reason <<<"$verdict") |" >>"$summary"
  echo "::error title=${stack}::refusing to apply: $(jq -r .reason <<<"$verdict")"
}

{
  echo "### ${ENV_NAME}: apply"
  echo "| stack | result |"
  echo "| --- | --- |"
} >>"$summary"

declare -A changed=() planned=() reasons=()
order=() dirs=() done_dirs=() refused=()
while IFS=$'\t' read -r stack dir needs; do
  order+=("$stack")
  dirs+=("$dir")
  waits=''
  for up in ${needs//,/ }; do [ "${changed[$up]:-0}" = 1 ] && waits=1; done
  if [ -n "$waits" ]; then changed[$stack]=1; continue; fi # planned after its upstream is applied
  refresh_credentials "$stack"
  plan_and_check "$stack" "$dir"
  planned[$stack]=$rc
  reasons[$stack]=$(jq -r .reason <<<"$verdict")
  [ $rc -eq 2 ] && changed[$stack]=1
  if [ "$(jq -r .ok <<<"$verdict")" != true ]; then refused+=("$stack"); refusal "$stack"; fi
  [ $rc -eq 2 ] || done_dirs+=("$dir")
done < <(jq -r --arg env "$ENV_NAME" '.include[] | select(.env == $env) | [.stack, .dir, (.needs | join(","))] | @tsv' <<<"$STACKS")

if [ ${#refused[@]} -gt 0 ]; then
  msg="nothing was applied to ${ENV_NAME}: ${refused[*]} would apply changes never reviewed. If main moved or the environment drifted since the review, merge a change (or an empty commit) through the merge queue to review a fresh plan; to apply anyway, run deploy manually with break-glass-stacks naming the stacks and a reason, after reading this run's plans."
  echo "::error::${msg}"
  echo "**${msg}**" >>"$summary"
  exit 1
fi

for i in "${!order[@]}"; do
  stack=${order[$i]} dir=${dirs[$i]}
  if [ -n "${planned[$stack]:-}" ]; then
    if [ "${planned[$stack]}" = 0 ]; then echo "| \`${stack}\` | no changes |" >>"$summary"; rm -f "$dir/tfplan"; continue; fi
    apply_stack "$stack" "$dir" "${reasons[$stack]}"
    done_dirs+=("$dir")
    continue
  fi
  # Waited for an upstream apply: plan now, check, apply.
  refresh_credentials "$stack"
  plan_and_check "$stack" "$dir"
  if [ "$(jq -r .ok <<<"$verdict")" != true ]; then
    refusal "$stack"
    echo "::error::${stack} waited for its upstream stacks, and its plan now has changes no review covered; read it in this run's plans-${ENV_NAME} artifact and run deploy manually with break-glass-stacks: ${stack} (and a reason) to apply it."
    exit 1
  fi
  if [ $rc -eq 0 ]; then echo "| \`${stack}\` | no changes |" >>"$summary"; rm -f "$dir/tfplan"; done_dirs+=("$dir"); continue; fi
  apply_stack "$stack" "$dir" "$(jq -r .reason <<<"$verdict")"
  done_dirs+=("$dir")
done
