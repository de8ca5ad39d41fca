#!/usr/bin/env bash
# apps/api's whole suite on the Node the image ships, against the real PostgreSQL/Redis/moto of
# .ci/setup/20-services.sh, fault tests included (each on the machine as it is and under the CPU hog of
# .ci/setup/15-cpu-hog.sh). This is the suite's one run against real services and its one fault run in CI:
# `npm test` in .ci/run runs it on the machine's Node (20) on the embedded defaults (PGlite, in-process cache, local
# files), which covers Node 20 and the embedded mode without repeating the ~2 min fault suite on a second Node.
set -euo pipefail
cd "$(dirname "$0")/../../apps/api"
if [ -z "${API_SHIPPED_NODE_BIN:-}" ]; then
  echo "42-api-shipped-node: skipped: API_SHIPPED_NODE_BIN is unset (.ci/setup/10-node-shipped.sh sets it on Linux x86_64)"
  exit 0
fi
export PATH="$API_SHIPPED_NODE_BIN:$PATH"
[ "$(command -v node)" = "$API_SHIPPED_NODE_BIN/node" ] || { echo "42-api-shipped-node: node on PATH is $(command -v node), not $API_SHIPPED_NODE_BIN/node" >&2; exit 1; }
# This run is where the real-services and fault coverage lives: refuse to pass with the services or the fault
# commands missing (the suite would skip those tests with a printed reason and stay green).
for v in DATABASE_URL REDIS_URL S3_BUCKET AWS_ENDPOINT_URL API_PG_STOP_CMD API_PG_START_CMD API_PG_PAUSE_CMD API_PG_RESUME_CMD \
  API_REDIS_STOP_CMD API_REDIS_START_CMD API_REDIS_CLI API_REDIS_CLUSTER API_REDIS_CLUSTER_STOP_NODE_CMD API_REDIS_CLUSTER_START_NODE_CMD; do
  [ -n "${!v:-}" ] || { echo "42-api-shipped-node: $v is unset: source .ci/setup/20-services.sh first" >&2; exit 1; }
done
echo "42-api-shipped-node: $(node --version)"
exec env -u API_FAULT_CONDITIONS npx jest --ci # every fault test, with and without the CPU hog
