#!/usr/bin/env bash
# The library packages work as published: build, npm pack, install the tarballs into a throwaway project
# outside the workspace, type-check and run the layer packages' examples/ there against them (scripts/packed-packages-test.mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."
node scripts/packed-packages-test.mjs
