#!/usr/bin/env bash
# checkov over the bootstrap stack of every environment (synthesized into a temp folder), 0 failed checks, in one
# checkov run over all of them.
# Skips: .ci/checkov-skips.txt (all stacks) plus .ci/checkov-skips-bootstrap.txt (this stack only), each
# line "CKV_ID  reason"; a line without a reason fails the check.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
checkov=$(ci_checkov)
skip_arg=$(ci_checkov_skips .ci/checkov-skips.txt .ci/checkov-skips-bootstrap.txt)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
envs=()
for f in environments/*.json; do
  name=$(basename "$f" .json)
  case "$name" in *.schema) continue ;; esac
  envs+=(--env "$name")
done
node apps/infra/bin/platform.js bootstrap "${envs[@]}" --out "$out/synth"
ci_checkov_copy "$out/synth" "$out/scan" # without terraform.required_version (checkov#7454, see .ci/lib.sh)
# One checkov run over every environment's stack (its start-up dominates a run per environment); each finding names
# its file, bootstrap/<env>/cdk.tf.json.
echo "checkov bootstrap: $(find "$out/scan/bootstrap" -mindepth 1 -maxdepth 1 -type d -printf '%f ')"
ci_checkov_run "$checkov" --framework terraform_json --skip-download --quiet --compact --output cli -d "$out/scan/bootstrap" ${skip_arg:+--skip-check "$skip_arg"}
