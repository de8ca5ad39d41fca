#!/usr/bin/env bash
# Plans one environment's stacks in dependency order (pull requests and drift detection).
#
#   STACKS    JSON matrix from the affected-stacks action: {"include":[{"stack","env","layer","dir","needs"}, …]}
#   ENV_NAME  environment whose entries are planned (the job's AWS credentials are that account's plan role)
#   MODE      pr    — a stack whose upstream (in the same run) has changes is NOT planned: its plan would read
#                     upstream outputs from remote state that are not applied yet. It "waits for <upstream>".
#             drift — every stack is planned against what is deployed; nothing waits.
#   PLAN_DIR  where <stack>.plan.json (scrubbed `show -json`) and waits.json go
#   TF_BIN    terraform or tofu;  IMAGE_TAG  -var image_tag for the workloads stack
#
# Exit status: non-zero only when a plan errors (changes are not failures).
set -euo pipefail
: "${STACKS:?}" "${ENV_NAME:?}" "${PLAN_DIR:?}"
mode=${MODE:-pr}
tf=${TF_BIN:-terraform}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$PLAN_DIR"
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
export TF_IN_AUTOMATION=1 TF_INPUT=0

declare -A changed=()
waits='{}'
failed=()
{
  echo "### ${ENV_NAME}: ${mode} plans"
  echo "| stack | result |"
  echo "| --- | --- |"
} >>"$summary"

while IFS=$'\t' read -r stack layer dir needs; do
  blocked=()
  if [ "$mode" = pr ]; then
    for up in ${needs//,/ }; do
      if [ "${changed[$up]:-0}" = 1 ]; then blocked+=("$up"); fi
    done
  fi
  if [ ${#blocked[@]} -gt 0 ]; then
    echo "::notice title=${stack}::waits for ${blocked[*]} (upstream changes are not applied yet; planned after they are)"
    echo "| \`${stack}\` | waits for ${blocked[*]} |" >>"$summary"
    waits=$(jq -c --arg s "$stack" --arg u "${blocked[*]}" '. + {($s): ($u | split(" "))}' <<<"$waits")
    changed[$stack]=1 # unknown: whatever reads this stack waits too
    continue
  fi

  echo "::group::${tf} plan ${stack}"
  vars=()
  if [ "$layer" = workloads ]; then vars+=(-var "image_tag=${IMAGE_TAG:?IMAGE_TAG is required for the workloads stack}"); fi
  rc=0
  "$tf" -chdir="$dir" init -input=false -no-color >/dev/null || rc=1
  if [ $rc -eq 0 ]; then
    "$tf" -chdir="$dir" plan -input=false -no-color -lock-timeout=5m -detailed-exitcode -out=tfplan "${vars[@]}" || rc=$?
  fi
  echo "::endgroup::"
  case $rc in
    0 | 2)
      "$tf" -chdir="$dir" show -json tfplan >"$PLAN_DIR/${stack}.raw.json"
      node "$here/scrub-plan.cjs" "$PLAN_DIR/${stack}.raw.json" "$PLAN_DIR/${stack}.plan.json"
      rm -f "$PLAN_DIR/${stack}.raw.json" "$dir/tfplan" # the binary plan holds sensitive values in clear
      if [ $rc -eq 2 ]; then changed[$stack]=1; echo "| \`${stack}\` | changes |" >>"$summary"; else echo "| \`${stack}\` | no changes |" >>"$summary"; fi
      ;;
    *)
      failed+=("$stack")
      changed[$stack]=1
      echo "| \`${stack}\` | **plan failed** |" >>"$summary"
      echo "::error title=${stack}::${tf} plan failed (see the log group above)"
      ;;
  esac
done < <(jq -r --arg env "$ENV_NAME" '.include[] | select(.env == $env) | [.stack, .layer, .dir, (.needs | join(","))] | @tsv' <<<"$STACKS")

echo "$waits" >"$PLAN_DIR/waits-${ENV_NAME}.txt"
if [ ${#failed[@]} -gt 0 ]; then
  echo "plan failed for: ${failed[*]}" >&2
  exit 1
fi
