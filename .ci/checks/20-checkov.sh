#!/usr/bin/env bash
# checkov over every synthesized stack (terraform_json), 0 failed checks allowed. Skips come only from
# .ci/checkov-skips.txt, one "CKV_ID  reason" per line; a line without a reason fails the check.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
CHECKOV_VERSION=3.3.30
ci_pip "checkov==${CHECKOV_VERSION}"
venv=$(ci_venv)
skips=()
while read -r id reason; do
  case "$id" in ''|'#'*) continue ;; esac
  if [ -z "$reason" ]; then echo "checkov skip $id has no reason in .ci/checkov-skips.txt" >&2; exit 1; fi
  skips+=("$id")
done < .ci/checkov-skips.txt
skip_arg=$(IFS=,; echo "${skips[*]:-}")
[ -d cdktf.out/stacks ] || { echo "cdktf.out/stacks missing: run npm run synth first" >&2; exit 1; }
# One run over all stacks (checkov's start-up dominates per-stack runs); --skip-download: no network here.
echo "checkov ${CHECKOV_VERSION} over $(ls -d cdktf.out/stacks/*/ | wc -l) stacks, skipping: ${skip_arg:-none}"
exec "$venv/bin/checkov" --framework terraform_json --quiet --compact --skip-download -d cdktf.out/stacks ${skip_arg:+--skip-check "$skip_arg"}
