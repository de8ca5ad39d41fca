# Shared helpers for .ci scripts (sourced).
CI_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

# --- Installs. Each is idempotent (quick when the pinned version is there), so .ci/run can start it in the background
# early (ci_bg) and the script that needs the tool calls the same function later.

# Debian packages, in one apt-get call; `apt-get update` only when the install fails without it (a fresh machine has
# no package lists). Needs root and apt-get; fails otherwise, and fails on any package it cannot install.
ci_apt_install() {
  command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] || { echo "apt-get install $*: needs root and apt-get" >&2; return 1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 && return 0
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# PyPI tools in the system Python (the service's checks import them from there), pinned.
MOTO_VERSION=5.2.5
SCHEMATHESIS_VERSION=4.32.5
ci_pip_pinned() { # DIST VERSION [PIP_SPEC [IMPORTS]]: installs PIP_SPEC (default DIST==VERSION) unless DIST VERSION is there and IMPORTS import
  if python3 -c 'import importlib.metadata as m, sys; sys.exit(m.version(sys.argv[1]) != sys.argv[2])' "$1" "$2" 2>/dev/null \
    && python3 -c "import ${4:-sys}" 2>/dev/null; then return 0; fi
  echo "pip install ${3:-$1==$2}"
  python3 -m pip install -q --disable-pip-version-check "${3:-$1==$2}"
}
ci_moto() { ci_pip_pinned moto "$MOTO_VERSION" "moto[server]==$MOTO_VERSION" flask,flask_cors; } # [server]: flask, flask_cors
ci_schemathesis() { ci_pip_pinned schemathesis "$SCHEMATHESIS_VERSION"; }

# actionlint from the Go module proxy at a pinned version into a local GOBIN; prints the binary's path.
ACTIONLINT_VERSION="v1.7.12"
ci_actionlint() {
  local bin_dir="${ACTIONLINT_BIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/awp-ci/bin}"
  local actionlint="$bin_dir/actionlint"
  if ! [ -x "$actionlint" ] || ! "$actionlint" -version 2>/dev/null | head -1 | grep -qx "${ACTIONLINT_VERSION}"; then
    command -v go >/dev/null || { echo "actionlint: go is required to install it" >&2; return 1; }
    mkdir -p "$bin_dir"
    echo "actionlint: installing ${ACTIONLINT_VERSION} into ${bin_dir}" >&2
    GOBIN="$bin_dir" GOFLAGS=-buildvcs=false go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}" >&2 || return 1
  fi
  echo "$actionlint"
}

# --- Background jobs, for installs that wait on the network while the tests use the CPU.
# ci_bg NAME CMD...: runs CMD (a command or a function of this file) in the background, output to $CI_BG_DIR/NAME.log,
# killed after CI_BG_TIMEOUT seconds (default 1200) so a stuck download fails CI instead of hanging it.
# ci_wait NAME...: waits for each; prints its log; returns 1 (naming the job, its exit code and log) if any failed.
declare -gA _ci_bg_pid=()
ci_bg() {
  local name=$1; shift
  [ -n "${CI_BG_DIR:-}" ] || { CI_BG_DIR=$(mktemp -d -t awp-ci-bg.XXXXXX); export CI_BG_DIR; }
  # timeout puts the job in its own process group and signals all of it (apt-get's and pip's children included).
  timeout -k 10 "${CI_BG_TIMEOUT:-1200}" bash -c 'source "$0" && "$@"; s=$?; echo "(${SECONDS}s)"; exit $s' "$CI_LIB" "$@" \
    >"$CI_BG_DIR/$name.log" 2>&1 &
  _ci_bg_pid[$name]=$!
}
ci_wait() {
  local name status failed=0
  for name in "$@"; do
    [ -n "${_ci_bg_pid[$name]:-}" ] || { echo "ci_wait: no background job $name" >&2; failed=1; continue; }
    status=0
    wait "${_ci_bg_pid[$name]}" || status=$?
    unset "_ci_bg_pid[$name]"
    if [ "$status" -eq 0 ]; then
      echo "background $name: done (its last line: how long it took)"
      sed 's/^/  | /' "$CI_BG_DIR/$name.log"
    else
      echo "background $name: FAILED with exit code $status$([ "$status" -eq 124 ] && echo " (timed out after ${CI_BG_TIMEOUT:-1200}s)"); its log:" >&2
      sed 's/^/  | /' "$CI_BG_DIR/$name.log" >&2
      failed=1
    fi
  done
  return "$failed"
}
# Kills what is still running (for an EXIT trap: a failed step must not leave installs behind).
ci_bg_kill() {
  local name
  for name in "${!_ci_bg_pid[@]}"; do kill -TERM "${_ci_bg_pid[$name]}" 2>/dev/null || true; done
}
# A Python venv for PyPI tools, reused between scripts and runs (pip skips what is already installed).
ci_venv() {
  local venv="${CI_VENV:-/opt/awp-ci-venv}"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  echo "$venv"
}
ci_pip() {
  "$(ci_venv)/bin/pip" install -q --disable-pip-version-check "$@"
}

# checkov, pinned, in the shared venv; prints the binary's path.
CHECKOV_VERSION=3.3.30
ci_checkov() {
  local venv; venv=$(ci_venv)
  "$venv/bin/checkov" --version 2>/dev/null | grep -qx "$CHECKOV_VERSION" || ci_pip "checkov==${CHECKOV_VERSION}" >&2
  echo "$venv/bin/checkov"
}

# The comma-separated skip list from "CKV_ID  reason" files; fails on a line without a reason.
ci_checkov_skips() {
  local file id reason skips=()
  for file in "$@"; do
    while read -r id reason; do
      case "$id" in ''|'#'*) continue ;; esac
      if [ -z "$reason" ]; then echo "checkov skip $id has no reason in $file" >&2; return 1; fi
      skips+=("$id")
    done < "$file"
  done
  (IFS=,; echo "${skips[*]:-}")
}

# checkov 3.3.30's terraform_json parser crashes on `terraform.required_version` (a string where it expects a block;
# bridgecrewio/checkov#7454, open, fix #7467 unmerged): it reports "Parsing errors: N", scans nothing and exits 0.
# Every stack declares required_version (>= 1.11), so checkov scans a copy of the tree without that one key (no
# checkov check reads it); any parsing error fails the check, so a silent empty scan cannot pass again.
ci_checkov_copy() {
  local src=$1 dst=$2
  python3 - "$src" "$dst" <<'PY'
import json, os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for root, _, files in os.walk(src):
    out = os.path.join(dst, os.path.relpath(root, src))
    os.makedirs(out, exist_ok=True)
    for name in files:
        path = os.path.join(root, name)
        if name.endswith('.tf.json'):
            with open(path) as f:
                doc = json.load(f)
            doc.get('terraform', {}).pop('required_version', None)
            with open(os.path.join(out, name), 'w') as f:
                json.dump(doc, f, indent=2)
        else:
            shutil.copy2(path, os.path.join(out, name))
PY
}

# Runs checkov with the given arguments; fails on failed checks (checkov's exit code) and on any parsing error.
ci_checkov_run() {
  local log status=0; log=$(mktemp)
  "$@" 2>&1 | tee "$log" || status=${PIPESTATUS[0]}
  if grep -Eq 'Parsing errors: [1-9]|Failed to parse' "$log"; then echo "checkov could not parse every file (see above): failing" >&2; status=1; fi
  rm -f "$log"
  return "$status"
}
