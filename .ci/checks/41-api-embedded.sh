#!/usr/bin/env bash
# apps/api's test suite once more on its embedded defaults (PGlite, in-process cache, local files):
# `npm test` ran it against the real PostgreSQL/Redis/moto that .ci/setup/20-services.sh started.
set -euo pipefail
cd "$(dirname "$0")/../../apps/api"
exec env -u DATABASE_URL -u DATABASE_READ_URL -u DATABASE_OWNER_URL -u DATABASE_APP_USER -u DATABASE_APP_PASSWORD \
  -u REDIS_URL -u S3_BUCKET -u AWS_ENDPOINT_URL -u CDN_BASE_URL \
  npx jest --ci
