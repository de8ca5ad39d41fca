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
