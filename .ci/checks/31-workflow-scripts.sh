#!/usr/bin/env bash
# Tests of the scripts the workflows run (.github/scripts): plan scrubbing, fingerprints, and the plan/apply
# loops against a fake terraform binary (node's test runner; needs jq, as on GitHub's runners).
set -euo pipefail
cd "$(dirname "$0")/../.."
source .ci/lib.sh
command -v jq >/dev/null || ci_apt_install jq
node --test .github/scripts/
