#!/usr/bin/env bash
# schemathesis (PyPI, pinned) against apps/api's OpenAPI document: no 5xx, every status, content type,
# header and body as documented. Starts the service (real PostgreSQL/Redis/moto when .ci/setup/20-services.sh
# exported their URLs, embedded defaults otherwise) with its in-process dev issuer, and runs two bounded fuzzes
# (< 2 min together): with the printed write token, and without any token. `ignored_auth` fails either run if a
# write declared as secured succeeds without a valid token.
set -euo pipefail
cd "$(dirname "$0")/../.."

source .ci/lib.sh
ci_schemathesis

port=${API_SCHEMATHESIS_PORT:-38080}
work=$(mktemp -d)
log="$work/api.log"
export PORT=$port HOST=127.0.0.1 PUBLIC_BASE_URL="http://127.0.0.1:$port" LOG_LEVEL=warn
export EMBEDDED_DATA_DIR="$work/data" MIGRATE_ON_START=true
# The dev issuer: a key pair of this process, and a write token printed at start (never outside development).
export AUTH_DEV_ISSUER=true
unset AUTH_ISSUER AUTH_AUDIENCE AUTH_JWKS_URL
# Generous limits so the fuzzer's own request rate is never shed as overload.
export MAX_INFLIGHT=10000 MAX_EVENT_LOOP_DELAY_MS=0

# --seed: a few real products, so generated ids can hit existing rows.
node --import tsx apps/api/src/main.ts --seed 20 >"$log" 2>&1 &
api_pid=$!
cleanup() {
  kill -TERM "$api_pid" 2>/dev/null || true
  wait "$api_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 240); do
  curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$api_pid" 2>/dev/null || { echo "40-schemathesis: the service exited:"; cat "$log"; exit 1; }
  sleep 0.5
done
curl -fs "http://127.0.0.1:$port/readyz" >/dev/null || { echo "40-schemathesis: the service did not become ready"; cat "$log"; exit 1; }
token=$(sed -n 's/^ *export API_TOKEN=\([^ ]*\)$/\1/p' "$log" | head -1)
[ -n "$token" ] || { echo "40-schemathesis: the service printed no dev write token"; cat "$log"; exit 1; }

status=0
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,ignored_auth
# One worker: hypothesis' lambda introspection is not thread-safe on CPython 3.11.7 (AST recursion-depth SystemError).
# Run from the temp dir: schemathesis/hypothesis leave their working folders in the current directory.
run() {
  (cd "$work" && schemathesis run "http://127.0.0.1:$port/openapi.json" --checks "$checks" \
    --workers 1 --request-timeout 10 --seed 7 --no-color --generation-database none "$@")
}
echo "40-schemathesis: with a write token"
run --phases examples,coverage,fuzzing,stateful --max-examples "${API_SCHEMATHESIS_EXAMPLES:-40}" \
  --max-time "${API_SCHEMATHESIS_MAX_TIME:-55}" -H "Authorization: Bearer $token" || status=$?
echo "40-schemathesis: without a token (reads answer, every write is refused as documented)"
run --phases examples,coverage,fuzzing --max-examples "${API_SCHEMATHESIS_EXAMPLES:-40}" \
  --max-time "${API_SCHEMATHESIS_ANON_MAX_TIME:-30}" || status=$?

if grep -q '"level":50' "$log"; then
  echo "40-schemathesis: the service logged errors:"
  grep '"level":50' "$log" | head -20
  status=1
fi
exit $status
