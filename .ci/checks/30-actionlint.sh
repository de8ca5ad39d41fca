#!/usr/bin/env bash
# actionlint on every workflow: installed from the Go module proxy at a pinned version into a local GOBIN
# (idempotent: skipped when that exact version is already there). shellcheck, when present (Debian package),
# lints the `run:` scripts too; without it actionlint runs its own checks only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

ACTIONLINT_VERSION="v1.7.12"
bin_dir="${ACTIONLINT_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/awp-ci/bin}"
actionlint="$bin_dir/actionlint"

if ! [ -x "$actionlint" ] || ! "$actionlint" -version 2>/dev/null | head -1 | grep -qx "${ACTIONLINT_VERSION}"; then
  command -v go >/dev/null || { echo "30-actionlint: go is required to install actionlint" >&2; exit 1; }
  mkdir -p "$bin_dir"
  echo "30-actionlint: installing actionlint ${ACTIONLINT_VERSION} into ${bin_dir}"
  GOBIN="$bin_dir" GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}"
fi

# The shellcheck binary is cheap from apt; try once, and carry on without it when apt is unavailable.
if ! command -v shellcheck >/dev/null && command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  (apt-get install -y -qq shellcheck >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq shellcheck >/dev/null 2>&1; }) || true
fi
args=(-no-color -pyflakes=)
if command -v shellcheck >/dev/null; then
  args+=(-shellcheck="$(command -v shellcheck)")
else
  echo "30-actionlint: shellcheck not installed; run: scripts are not shellchecked"
  args+=(-shellcheck=)
fi

shopt -s nullglob
files=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ ${#files[@]} -eq 0 ]; then
  echo "30-actionlint: no workflow files under .github/workflows" >&2
  exit 1
fi
"$actionlint" "${args[@]}" "${files[@]}"
echo "30-actionlint: ${#files[@]} workflow(s) clean (actionlint ${ACTIONLINT_VERSION})"
