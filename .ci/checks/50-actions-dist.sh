#!/usr/bin/env bash
# The actions run from their committed, bundled dist/index.js, and the workflow scripts from the committed plan
# scrubber .github/scripts/dist/scrub-plan.cjs: rebuild every bundle from source and fail when the result differs
# from what is committed (a stale or hand-edited dist), or when a bundle is not committed at all.
set -euo pipefail
cd "$(dirname "$0")/../.."
node apps/actions/shared/build.mjs
status=0
bundles=(':(glob)apps/actions/*/dist/**' ':(glob).github/scripts/dist/**')
if ! git diff --exit-code --stat -- "${bundles[@]}"; then
  echo "actions-dist: the committed apps/actions/*/dist or .github/scripts/dist differs from a fresh build; run 'node apps/actions/shared/build.mjs' and commit them" >&2
  status=1
fi
untracked=$(git ls-files --others --exclude-standard -- "${bundles[@]}")
if [ -n "$untracked" ]; then
  echo "actions-dist: bundles not committed: $untracked" >&2
  status=1
fi
[ "$status" -eq 0 ] && echo "actions-dist: every bundle matches its committed dist"
exit "$status"
