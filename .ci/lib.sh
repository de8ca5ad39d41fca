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
