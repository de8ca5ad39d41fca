#!/usr/bin/env bash
# Installs vegeta (the open-loop HTTP load generator bench.ts drives) from the Go module proxy at a pinned
# version into a cache dir, like .ci/checks/30-actionlint.sh does for actionlint; idempotent (skipped when
# that exact version is there). Prints the binary's path on stdout, progress on stderr.
set -euo pipefail
VEGETA_VERSION="v12.13.0"
bin_dir="${VEGETA_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/awp-ci/vegeta-${VEGETA_VERSION}}"
vegeta="$bin_dir/vegeta"
if ! [ -x "$vegeta" ]; then
  command -v go >/dev/null || { echo "install-vegeta: go is required to install vegeta ${VEGETA_VERSION}" >&2; exit 1; }
  mkdir -p "$bin_dir"
  echo "install-vegeta: installing vegeta ${VEGETA_VERSION} into ${bin_dir}" >&2
  GOBIN="$bin_dir" GOFLAGS=-buildvcs=false go install "github.com/tsenart/vegeta/v12@${VEGETA_VERSION}" >&2
fi
echo "$vegeta"
