# shellcheck shell=bash
# Sourced by .ci/run (after npm ci): PostgreSQL and Redis from Debian's packages and moto (S3 API, PyPI)
# on 127.0.0.1 only, for apps/api's test suite, fault tests, schemathesis check and benchmark.
# Idempotent and quick when everything is installed and running already. Exports the URLs and the
# commands the fault tests use to stop and start the servers. Throwaway CI credentials, loopback only.
# (.ci/run installs the packages and moto in the background beforehand; the installs here are then no-ops.)
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

_awp_api_services() {
  local pg_port=${API_PG_PORT:-55432} redis_port=${API_REDIS_PORT:-56379} moto_port=${API_MOTO_PORT:-55000}
  local cluster_port=${API_REDIS_CLUSTER_PORT:-56391}
  local base=${API_SERVICES_DIR:-/tmp/awp-api-services}
  local need=() i

  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    echo "20-services: apt-get install ${need[*]}"
    ci_apt_install "${need[@]}" || return 1
  fi
  ci_moto || return 1

  mkdir -p "$base"
  chmod 755 "$base"

  # --- PostgreSQL: a private cluster; postgres refuses to run as root, so it runs as the postgres user.
  # Roles as on RDS (issue 12, item 7): the bootstrap superuser `postgres` is used only by this script;
  # `awp_owner` (LOGIN CREATEDB CREATEROLE, not a superuser: like the RDS master user) owns the database and
  # runs the migrations; the migrations create the service's role `api` (no superuser, only the rights the
  # service needs) and the suite connects as `api`, so a missing grant fails a test.
  local pg_bin run_as=()
  pg_bin=$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -1)")
  local pgdata="$base/pgdata" layout=awp-roles-v2
  if [ "$(id -u)" = 0 ]; then
    run_as=(runuser -u postgres --)
    mkdir -p "$pgdata" && chown postgres:postgres "$pgdata"
    touch "$base/postgres.log" && chown postgres "$base/postgres.log"
  else
    mkdir -p "$pgdata"
  fi
  chmod 700 "$pgdata"
  if [ -s "$pgdata/PG_VERSION" ] && [ ! -e "$pgdata/$layout" ]; then
    # A cluster from before the role split (its superuser was `api`): throwaway test data, so start over.
    echo "20-services: re-creating $pgdata (old role layout)"
    "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pgdata" -w -t 30 -m fast stop >/dev/null 2>&1 || true
    find "$pgdata" -mindepth 1 -delete
  fi
  if [ ! -s "$pgdata/PG_VERSION" ]; then
    printf 'postgres\n' >"$base/pwfile"
    [ "$(id -u)" = 0 ] && chown postgres "$base/pwfile"
    "${run_as[@]}" "$pg_bin/initdb" -D "$pgdata" -U postgres --pwfile="$base/pwfile" --auth=scram-sha-256 -E UTF8 >/dev/null
    rm -f "$base/pwfile"
    cat >>"$pgdata/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pgdata'
max_connections = 200
EOF
    "${run_as[@]}" touch "$pgdata/$layout"
  fi
  local pg_start="${run_as[*]} $pg_bin/pg_ctl -D $pgdata -l $base/postgres.log -w -t 30 start"
  local pg_stop="${run_as[*]} $pg_bin/pg_ctl -D $pgdata -w -t 30 -m fast stop"
  if ! "${run_as[@]}" "$pg_bin/pg_ctl" -D "$pgdata" status >/dev/null 2>&1; then
    sh -c "$pg_start" >/dev/null
  fi
  for i in $(seq 1 60); do
    "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
    sleep 0.5
  done
  # The owner role and its database, once (idempotent). The role `api` is the migrations' job, not this script's.
  if ! PGPASSWORD=postgres "$pg_bin/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres >/dev/null <<'SQL'
select 'create role awp_owner login createdb createrole password ''owner'''
  where not exists (select 1 from pg_roles where rolname = 'awp_owner') \gexec
select 'create database api owner awp_owner'
  where not exists (select 1 from pg_database where datname = 'api') \gexec
SQL
  then
    echo "20-services: could not create the owner role and database; see $base/postgres.log" >&2
    return 1
  fi

  # --- Redis: no persistence (a cache), loopback only.
  local redis_start="redis-server --bind 127.0.0.1 --port $redis_port --save '' --appendonly no --daemonize yes --pidfile $base/redis.pid --logfile $base/redis.log"
  if ! redis-cli -p "$redis_port" ping >/dev/null 2>&1; then
    sh -c "$redis_start"
  fi
  for i in $(seq 1 60); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.25
  done

  # --- A Redis Cluster (3 primaries, no replicas), as ElastiCache runs in every environment (cluster mode enabled,
  # libs/data): the service's cluster client, keys on several nodes, invalidations across nodes. The cluster bus
  # port is set (port - 10000): the default port + 10000 would not fit.
  local cport c cluster_ports=() cluster_dir="$base/redis-cluster"
  for i in 0 1 2; do cluster_ports+=($((cluster_port + i))); done
  _awp_cluster_node() { # the start command of node $1 (its config file keeps its slots across restarts)
    echo "redis-server --bind 127.0.0.1 --port $1 --cluster-enabled yes --cluster-port $(($1 - 10000)) --cluster-config-file $cluster_dir/$1/nodes.conf --cluster-node-timeout 2000 --dir $cluster_dir/$1 --save '' --appendonly no --daemonize yes --pidfile $cluster_dir/$1/redis.pid --logfile $cluster_dir/$1/redis.log"
  }
  for cport in "${cluster_ports[@]}"; do
    mkdir -p "$cluster_dir/$cport"
    redis-cli -p "$cport" ping >/dev/null 2>&1 || sh -c "$(_awp_cluster_node "$cport")"
  done
  for cport in "${cluster_ports[@]}"; do
    for i in $(seq 1 40); do [ "$(redis-cli -p "$cport" ping 2>/dev/null)" = PONG ] && break; sleep 0.25; done
  done
  if [ "$(redis-cli -p "${cluster_ports[0]}" cluster info 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')" != 16384 ]; then
    c=()
    for cport in "${cluster_ports[@]}"; do c+=("127.0.0.1:$cport"); done
    redis-cli --cluster create "${c[@]}" --cluster-yes >"$cluster_dir/create.log" 2>&1 \
      || { echo "20-services: redis-cli --cluster create failed; see $cluster_dir/create.log" >&2; return 1; }
  fi
  for i in $(seq 1 60); do
    redis-cli -p "${cluster_ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
    sleep 0.25
  done

  # --- moto: the S3 API on loopback.
  if ! curl -fs "http://127.0.0.1:$moto_port/moto-api/" >/dev/null 2>&1; then
    nohup python3 -m moto.server -H 127.0.0.1 -p "$moto_port" >"$base/moto.log" 2>&1 &
    echo $! >"$base/moto.pid"
  fi
  for i in $(seq 1 60); do
    curl -fs "http://127.0.0.1:$moto_port/moto-api/" >/dev/null 2>&1 && break
    sleep 0.5
  done
  curl -fs -X PUT "http://127.0.0.1:$moto_port/awp-api-test" >/dev/null 2>&1 || true

  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" || { echo "20-services: PostgreSQL did not start; see $base/postgres.log" >&2; return 1; }
  [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] || { echo "20-services: Redis did not start; see $base/redis.log" >&2; return 1; }
  curl -fs "http://127.0.0.1:$moto_port/moto-api/" >/dev/null || { echo "20-services: moto did not start; see $base/moto.log" >&2; return 1; }
  redis-cli -p "${cluster_ports[0]}" cluster info 2>/dev/null | grep -q '^cluster_state:ok' \
    || { echo "20-services: the Redis Cluster is not ok; see $cluster_dir/*/redis.log" >&2; return 1; }

  # Migrations run as the owner (as the migrate Job does with the RDS master secret) and create the role `api`
  # with this password (on RDS it gets rds_iam instead); the suite and the service connect as `api`.
  export DATABASE_OWNER_URL="postgres://awp_owner:owner@127.0.0.1:$pg_port/api"
  export DATABASE_APP_USER=api DATABASE_APP_PASSWORD=api
  export DATABASE_URL="postgres://api:api@127.0.0.1:$pg_port/api"
  export DATABASE_READ_URL="$DATABASE_URL"
  export REDIS_URL="redis://127.0.0.1:$redis_port"
  export S3_BUCKET=awp-api-test
  export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
  export CDN_BASE_URL=https://cdn.example.test
  # For apps/api/test/faults.test.ts: how to take the servers away and bring them back.
  export API_PG_STOP_CMD="$pg_stop" API_PG_START_CMD="$pg_start"
  # A hung database (what a failover or a partition looks like to a client): SIGSTOP every process of THIS
  # cluster — the postmaster first, so it forks nothing new, then all its children (backends, WAL writer, …).
  export API_PG_PAUSE_CMD="pm=\$(head -1 $pgdata/postmaster.pid) && kill -STOP \$pm && kill -STOP \$(pgrep -P \$pm)"
  export API_PG_RESUME_CMD="pm=\$(head -1 $pgdata/postmaster.pid) && kill -CONT \$(pgrep -P \$pm) \$pm"
  export API_REDIS_STOP_CMD="redis-cli -p $redis_port shutdown nosave" API_REDIS_START_CMD="$redis_start"
  export API_REDIS_CLI="redis-cli -p $redis_port"
  # For apps/api/test/redis-cluster.test.ts: a node of the cluster (the client discovers the others), and how to take
  # its last node away and bring it back.
  export API_REDIS_CLUSTER="127.0.0.1:${cluster_ports[0]}"
  export API_REDIS_CLUSTER_STOP_NODE_CMD="redis-cli -p ${cluster_ports[2]} shutdown nosave"
  export API_REDIS_CLUSTER_START_NODE_CMD="$(_awp_cluster_node "${cluster_ports[2]}")"
  unset -f _awp_cluster_node
  echo "20-services: PostgreSQL 127.0.0.1:$pg_port, Redis 127.0.0.1:$redis_port, Redis Cluster 127.0.0.1:${cluster_ports[0]}-${cluster_ports[2]}, moto 127.0.0.1:$moto_port ready"
}

_awp_api_services
unset -f _awp_api_services
