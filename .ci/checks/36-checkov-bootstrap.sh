#!/usr/bin/env bash
# checkov over the bootstrap stack of every environment (synthesized into a temp folder), 0 failed checks.
# Skips: .ci/checkov-skips.txt (all stacks) plus .ci/checkov-skips-bootstrap.txt (this stack only), each
# line "CKV_ID  reason"; a line without a reason fails the check.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
CHECKOV_VERSION=3.3.30
venv=$(ci_venv)
"$venv/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION" || ci_pip "checkov==${CHECKOV_VERSION}"
skips=()
for file in .ci/checkov-skips.txt .ci/checkov-skips-bootstrap.txt; do
  while read -r id reason; do
    case "$id" in ''|'#'*) continue ;; esac
    if [ -z "$reason" ]; then echo "checkov skip $id has no reason in $file" >&2; exit 1; fi
    skips+=("$id")
  done < "$file"
done
skip_arg=$(IFS=,; echo "${skips[*]:-}")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
envs=()
for f in environments/*.json; do
  name=$(basename "$f" .json)
  case "$name" in *.schema) continue ;; esac
  envs+=(--env "$name")
done
node apps/infra/bin/platform.js bootstrap "${envs[@]}" --out "$out"
status=0
for dir in "$out"/bootstrap/*/; do
  echo "--- checkov bootstrap/$(basename "$dir")"
  if ! "$venv/bin/checkov" --framework terraform_json --skip-download --quiet --compact --output cli -d "$dir" ${skip_arg:+--skip-check "$skip_arg"}; then status=1; fi
done
exit $status
