#!/usr/bin/env bash
# Tests of the scripts the workflows run (.github/scripts): plan scrubbing, fingerprints, and the plan/apply
# loops against a fake terraform binary (node's test runner; needs jq, as on GitHub's runners).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v jq >/dev/null || { apt-get install -y -qq jq >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq jq; }; }
node --test .github/scripts/
