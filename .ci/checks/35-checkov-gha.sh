#!/usr/bin/env bash
# checkov's GitHub Actions checks over .github (workflows and their shell): 0 failed checks. The one skip is inline
# in deploy.yml (CKV_GHA_7: the break-glass dispatch inputs), with its reason; workflows-policy.test.cjs allows no
# other skip and requires a reason on each.
# checkov is pinned and installed into the shared CI venv (.ci/lib.sh) that 20-checkov.sh uses too.
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
checkov=$(ci_checkov)
[ -d .github/workflows ] || { echo "35-checkov-gha: .github/workflows missing" >&2; exit 1; }
"$checkov" --framework github_actions --skip-download --quiet --compact --output cli -d .github
