#!/usr/bin/env bash
# The plan and drift jobs' per-environment settings, from `platform bootstrap --describe` (stdin), for one event:
#
#   EVENT  pull_request → the pull-request plan role (planPullRequestRoleArn: reads no secret, its trust admits
#                         only the `pull_request` subject) and the layers it cannot plan (pullRequestPlanSkips);
#          merge_group, schedule, workflow_dispatch → the plan role (planRoleArn: reviewed code only), every layer.
#
# Prints one JSON array: [{env, region, planRoleArn, runsOn, prSkipLayers}] — planRoleArn is the role THIS event's
# plan job assumes, runsOn the plan runners (planRunsOn; GitHub-hosted when the environment names none), and
# prSkipLayers a space-separated list for plan-stacks.sh (PR_SKIP_LAYERS), empty outside pull requests, and
# mergeQueueOnlyLayers the same layers as an array for every event: in the merge queue this commit's (reviewed)
# configuration says which stacks plan-report may leave out of the comparison with the pull request's comment.
# A field missing from the description fails with an ::error:: naming the environment file and the field: a plan
# must never fall back to another role (the plan role would refuse a pull request's token, or be the wrong one).
set -euo pipefail
: "${EVENT:?EVENT: the github.event_name}"
described=$(cat)
if [ "$EVENT" = pull_request ]; then role=planPullRequestRoleArn; else role=planRoleArn; fi
# Where each field comes from in environments/<env>.json (the --describe output is derived from it).
source_of='{"region": "region", "planRoleArn": "delivery.planRoleName", "planPullRequestRoleArn": "delivery.planRoleName (the pull-request role is <plan role>-pr)", "pullRequestPlanSkips": "(the platform CLI: apps/infra/src/bootstrap/plan-reads.ts)"}'
required=("$role" region)
[ "$EVENT" = pull_request ] && required+=(pullRequestPlanSkips)
missing=$(jq -r --argjson src "$source_of" --args '
  .[] | . as $t
  | ($ARGS.positional | map(select(($t[.] // null) == null or $t[.] == "")))[]
  | "::error file=environments/\($t.env).json::environment \($t.env) (environments/\($t.env).json): `platform bootstrap --describe` printed no \(.) (from \($src[.])): the \(if . == "planPullRequestRoleArn" then "pull-request plan role" elif . == "planRoleArn" then "plan role" else . end) is required to plan this environment; re-run `npm run platform -- bootstrap --describe --env \($t.env)` and check the file"
' "${required[@]}" <<<"$described")
if [ -n "$missing" ]; then
  echo "$missing" >&2
  exit 1
fi
jq -c --arg role "$role" --arg event "$EVENT" '
  map({
    env,
    region,
    planRoleArn: .[$role],
    # planRunsOn: a JSON array of labels or one label; GitHub-hosted when absent.
    runsOn: (.planRunsOn // ["ubuntu-24.04"] | if type == "string" then [.] else . end),
    prSkipLayers: (if $event == "pull_request" then .pullRequestPlanSkips | join(" ") else "" end),
    mergeQueueOnlyLayers: (.pullRequestPlanSkips // [])
  })' <<<"$described"
