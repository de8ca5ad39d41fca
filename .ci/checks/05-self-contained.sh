#!/usr/bin/env bash
# The repository stands on its own: no tracked file outside *.md refers to a path above the repository root
# (a GitHub checkout has nothing beside it). The checker's own tests run first, so a broken checker fails too.
set -euo pipefail
cd "$(dirname "$0")/../.."
node --test scripts/self-contained.test.mjs >/dev/null
node scripts/self-contained.mjs
