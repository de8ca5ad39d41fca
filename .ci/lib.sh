# Shared helpers for .ci scripts (sourced).
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
