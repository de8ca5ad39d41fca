#!/usr/bin/env bash
# actionlint on every workflow: installed from the Go module proxy at a pinned version into a local GOBIN
# (ci_actionlint in .ci/lib.sh; idempotent: skipped when that exact version is already there, as after .ci/run's
# background install). shellcheck, when present (Debian package),
# lints the `run:` scripts too; without it actionlint runs its own checks only.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

source .ci/lib.sh
actionlint=$(ci_actionlint)
# The shellcheck binary is cheap from apt; try once, and carry on without it when apt is unavailable.
command -v shellcheck >/dev/null || ci_apt_install shellcheck >/dev/null 2>&1 || true
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
