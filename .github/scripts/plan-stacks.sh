#!/usr/bin/env bash
# Plans one environment's stacks in dependency order (pull requests, the merge queue and drift detection).
#
#   STACKS    JSON matrix from the affected-stacks action: {"include":[{"stack","env","layer","dir","needs","waitOnAnyChange"}, …]}
#   ENV_NAME  environment whose entries are planned (the job's AWS credentials are that account's plan role)
#   MODE      pr    — a stack whose upstream (in the same run) changes an output is NOT planned: its plan would
#                     read upstream outputs from remote state that are not applied yet. It "waits for <upstream>".
#                     An upstream whose changes leave every output as it is (output_changes all no-op: a tag, a
#                     timeout, an access string) makes nothing wait — cross-stack references are
#                     terraform_remote_state outputs, so the plans after it are complete — except for the stacks
#                     that read more of it than its outputs (the matrix entry's waitOnAnyChange, from @awp/config
#                     READS_BEYOND_OUTPUTS: workloads talks to the cluster through access entries the cluster stack
#                     manages, and looks the identity pool up by name): those wait for any change.
#                     An output unknown until apply is a change, and so is any resource deleted or replaced
#                     (an output of a configured name stays no-op when its resource is replaced).
#             drift — every stack is planned against what is deployed; nothing waits.
#             Either way a stack whose upstream plan FAILED is "blocked by" it (not planned: its inputs are unknown).
#   PLAN_DIR  where <stack>.plan.json (scrubbed `show -json`) and outcome-<env>.txt go
#   TF_BIN    terraform or tofu;  IMAGE_TAG  -var image_tag for every stack that declares that variable
#   PR_SKIP_LAYERS  layers NOT planned (space- or comma-separated; `bootstrap --describe` → pullRequestPlanSkips),
#             set by the workflows on pull_request events only: the pull-request plan role cannot read those
#             layers' secrets (docs/delivery.md → Which role plans what). Such a stack is reported as planned in
#             the merge queue and does NOT make the stacks after it wait: no stack reads a skipped layer's state
#             (workloads looks the identity issuer up, libs/identity lookupIssuer), so their plans are complete. Were
#             they to wait, workloads would almost never be planned on a pull request, and the merge queue would
#             find its changes "never reviewed" and fail the group on every retry.
#
# outcome-<env>.txt (JSON): {"env", "planned": [stacks], "waiting": {stack: [upstream]}, "failed": {stack: "error
# excerpt"}, "blocked": {stack: [failed upstream]}, only when a layer was skipped "skipped": {stack: "note"}, and only
# when a stack was planned before upstream changes that change no output (pr mode) "ahead": {stack: [upstream]}}
# — what the plan-report and drift-report actions show.
# Exit status: non-zero only when a plan errors (changes are not failures), after every other stack was tried.
set -euo pipefail
: "${STACKS:?}" "${ENV_NAME:?}" "${PLAN_DIR:?}"
mode=${MODE:-pr}
tf=${TF_BIN:-terraform}
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=.github/scripts/lib.sh
source "$here/lib.sh"
mkdir -p "$PLAN_DIR"
summary=${GITHUB_STEP_SUMMARY:-/dev/null}
export TF_IN_AUTOMATION=1 TF_INPUT=0

# What the stacks after it read is unchanged: every output of the plan is a no-op, and nothing is deleted or
# replaced — an output of a configured name (a log group's, a repository's) stays no-op when its resource is
# replaced, but whatever a downstream stack attached to the old object goes with it. Terraform and OpenTofu leave
# output_changes out only when the stack has no outputs in config or state (omitempty); a plan without the key
# counts as unchanged only if the stack's cdk.tf.json declares no output either (a guard against altered plans).
# Anything unreadable fails closed (a change).
outputs_unchanged() { # <plan.json> <stack dir>
  jq -e --slurpfile tf "$2/cdk.tf.json" \
    'if ([.resource_changes[]? | .change.actions | select(index("delete"))] | length > 0) then false
     elif has("output_changes") then ([.output_changes[] | .actions | select(. != ["no-op"])] | length == 0)
     else (($tf[0].output // {}) | length == 0) end' \
    "$1" >/dev/null 2>&1
}

# changed: the plan changes an output (or could not be read); touched: it has any change (for waitOnAnyChange)
declare -A changed=() touched=() broken=() skip=()
pr_skip=${PR_SKIP_LAYERS:-}
for l in ${pr_skip//,/ }; do skip[$l]=1; done
outcome=$(jq -nc --arg env "$ENV_NAME" '{env: $env, planned: [], waiting: {}, failed: {}, blocked: {}}')
failed=()
{
  echo "### ${ENV_NAME}: ${mode} plans"
  echo "| stack | result |"
  echo "| --- | --- |"
} >>"$summary"

# A stack not planned in this run, and why: a notice, its summary row and the outcome's "skipped" entry.
note_skipped() { # <stack> <note>
  echo "::notice title=$1::$2"
  echo "| \`$1\` | $2 |" >>"$summary"
  outcome=$(jq -c --arg s "$1" --arg n "$2" '.skipped += {($s): $n}' <<<"$outcome")
}

while IFS=$'\t' read -r stack layer dir any_change needs; do
  if [ "${skip[$layer]:-0}" = 1 ]; then
    note_skipped "$stack" "${layer}: planned in the merge queue (the pull-request role cannot read its secrets)"
    # not marked changed: downstream stacks do not read its state (see PR_SKIP_LAYERS above), they plan normally
    continue
  fi
  waits=() blocked=() ahead=()
  for up in ${needs//,/ }; do
    if [ "${broken[$up]:-0}" = 1 ]; then
      blocked+=("$up")
    elif [ "$mode" = pr ] && { [ "${changed[$up]:-0}" = 1 ] || { [ "${touched[$up]:-0}" = 1 ] && [[ ",${any_change}," == *",${up},"* ]]; }; }; then
      waits+=("$up")
    elif [ "$mode" = pr ] && [ "${touched[$up]:-0}" = 1 ]; then
      ahead+=("$up") # its changes leave every output as it is: planned now, before they are applied
    fi
  done
  if [ ${#blocked[@]} -gt 0 ]; then
    echo "::warning title=${stack}::blocked by ${blocked[*]} (its plan failed): not planned"
    echo "| \`${stack}\` | blocked by ${blocked[*]} (plan failed) |" >>"$summary"
    outcome=$(jq -c --arg s "$stack" --arg u "${blocked[*]}" '.blocked += {($s): ($u | split(" "))}' <<<"$outcome")
    broken[$stack]=1 # whatever reads this stack is blocked too
    continue
  fi
  if [ ${#waits[@]} -gt 0 ]; then
    echo "::notice title=${stack}::waits for ${waits[*]} (upstream changes are not applied yet; planned after they are)"
    echo "| \`${stack}\` | waits for ${waits[*]} |" >>"$summary"
    outcome=$(jq -c --arg s "$stack" --arg u "${waits[*]}" '.waiting += {($s): ($u | split(" "))}' <<<"$outcome")
    changed[$stack]=1 touched[$stack]=1 # unknown: whatever reads this stack waits too
    continue
  fi

  # Before an environment's first successful deploy no image runs there (IMAGE_TAG empty): a pull request cannot plan
  # the stack that needs one, but must not fail for it either — the fix for a failed first deploy has to be able to
  # land. Noted instead; the stacks after it wait (it was never applied). The deploy plans it with its own image.
  if [ "$mode" = pr ] && [ -z "${IMAGE_TAG:-}" ] && declares_image_tag "$dir"; then
    note_skipped "$stack" "${layer}: not planned: no image is deployed in ${ENV_NAME} yet (the deploy plans it with the commit's image; docs/first-deploy.md)"
    changed[$stack]=1 touched[$stack]=1
    continue
  fi

  echo "::group::${tf} plan ${stack}"
  vars=()
  log="$PLAN_DIR/${stack}.log"
  rc=0
  if ! vars_text=$(stack_vars "$dir" 2>"$log"); then rc=1; elif [ -n "$vars_text" ]; then mapfile -t vars <<<"$vars_text"; fi
  [ $rc -ne 0 ] || "$tf" -chdir="$dir" init -input=false -no-color >"$log" 2>&1 || rc=1
  if [ $rc -eq 0 ]; then
    # -lock=false: these plans (pr, merge queue, drift) are read-only and never applied, so they take no state lock.
    # A cancelled pull-request run (cancel-in-progress) can leave its lock behind, and that lock would block the
    # next deploy's apply until someone runs force-unlock; the deploy (apply-stacks.sh) plans and applies with the lock.
    "$tf" -chdir="$dir" plan -input=false -no-color -lock=false -detailed-exitcode -out=tfplan "${vars[@]}" >"$log" 2>&1 || rc=$?
  fi
  cat "$log"
  echo "::endgroup::"
  case $rc in
    0 | 2)
      show_scrubbed "$dir" "$PLAN_DIR/${stack}.plan.json" || { rm -f "$dir/tfplan"; exit 1; }
      rm -f "$dir/tfplan" # the binary plan holds sensitive values in clear
      outcome=$(jq -c --arg s "$stack" '.planned += [$s]' <<<"$outcome")
      # planned before upstream changes that change no output it reads are applied: the comment says so
      [ ${#ahead[@]} -eq 0 ] || outcome=$(jq -c --arg s "$stack" --arg u "${ahead[*]}" '.ahead += {($s): ($u | split(" "))}' <<<"$outcome")
      ahead_note=${ahead[*]:+ (planned before ${ahead[*]} applies)}
      if [ $rc -ne 2 ]; then
        echo "| \`${stack}\` | no changes${ahead_note} |" >>"$summary"
      elif ! outputs_unchanged "$PLAN_DIR/${stack}.plan.json" "$dir"; then
        # an output changes (or the plan or the stack's config could not be read: assume it does)
        changed[$stack]=1 touched[$stack]=1
        echo "| \`${stack}\` | changes${ahead_note} |" >>"$summary"
      else
        touched[$stack]=1
        echo "| \`${stack}\` | changes (no output changes)${ahead_note} |" >>"$summary"
      fi
      ;;
    *)
      failed+=("$stack")
      broken[$stack]=1
      outcome=$(jq -c --arg s "$stack" --arg e "$(error_excerpt "$log")" '.failed += {($s): $e}' <<<"$outcome")
      echo "| \`${stack}\` | **plan failed** |" >>"$summary"
      echo "::error title=${stack}::${tf} plan failed (see the log group above)"
      ;;
  esac
  rm -f "$log"
# waitOnAnyChange before needs, as "-" when empty: read splits on tabs, and empty fields would collapse
done < <(jq -r --arg env "$ENV_NAME" '.include[] | select(.env == $env) | [.stack, .layer, .dir, ((.waitOnAnyChange // []) | join(",") | if . == "" then "-" else . end), (.needs | join(","))] | @tsv' <<<"$STACKS")

echo "$outcome" >"$PLAN_DIR/outcome-${ENV_NAME}.txt"
if [ ${#failed[@]} -gt 0 ]; then
  echo "plan failed for: ${failed[*]}" >&2
  exit 1
fi
