#!/usr/bin/env bash
# apps/api's test suite (fault tests with and without the CPU hog included) on the Node the image ships, against
# the real PostgreSQL/Redis/moto of .ci/setup/20-services.sh. `npm test` ran it on the machine's Node (20).
set -euo pipefail
cd "$(dirname "$0")/../../apps/api"
if [ -z "${API_SHIPPED_NODE_BIN:-}" ]; then
  echo "42-api-shipped-node: skipped: API_SHIPPED_NODE_BIN is unset (.ci/setup/10-node-shipped.sh sets it on Linux x86_64)"
  exit 0
fi
export PATH="$API_SHIPPED_NODE_BIN:$PATH"
echo "42-api-shipped-node: $(node --version)"
exec npx jest --ci
