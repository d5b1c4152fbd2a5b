#!/usr/bin/env bash
# `./run cluster [N] [server flags]`: N Accord instances (default 3) behind nginx on this machine,
# as a deployment on several servers would run them (issue #19): one PostgreSQL database, Redis
# between the instances, nginx in front (round-robin, WebSocket upgrade, no stickiness; the
# configuration is scripts/nginx-cluster.conf.template). Ctrl-C stops everything.
#   ./run cluster                 3 instances, nginx on http://localhost:8080
#   ./run cluster 5 --demo        5 instances, demo users with the password "demo"
# Environment: PORT (nginx's, default 8080; the instances take PORT+1 … PORT+N), HOST (default
# 127.0.0.1), DATABASE_URL (default postgres://postgres@127.0.0.1:5432/accord_cluster, created when
# missing), REDIS_URL (default redis://127.0.0.1:6379), CLUSTER_DIR (logs, nginx's files and each
# instance's DATA_DIR; default a new temporary directory, kept afterwards).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'accord: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

count=3
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then count=$1; shift; fi
[ "$count" -ge 1 ] || die "the number of instances must be at least 1"
port=${PORT:-8080}
host=${HOST:-127.0.0.1}
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/accord_cluster}
redis_url=${REDIS_URL:-redis://127.0.0.1:6379}
dir=${CLUSTER_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/accord-cluster.XXXXXX")}
mkdir -p "$dir"
chmod 755 "$dir"

nginx=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
[ -n "$nginx" ] || die "nginx is not installed; as root: apt-get install nginx (scripts/ensure-services.sh does it for the tests)"

# The database: created when it does not exist yet (the instances create the tables).
name=${database_url##*/}
name=${name%%\?*}
admin_url="${database_url%/*}/postgres"
if command -v psql >/dev/null; then
  exists=$(psql "$admin_url" -Atqc "select 1 from pg_database where datname = '$name'" 2>/dev/null || true)
  if [ "$exists" != 1 ]; then
    psql "$admin_url" -qc "create database \"$name\"" >/dev/null || die "cannot create the database $name; create it, or set DATABASE_URL"
    say "created the database $name"
  fi
fi

# What `./run start` serves: the web app and the server bundle, built from this checkout.
say "building the web app and the server bundle"
pnpm run build >&2

pids=()
nginx_pid=
stop_all() {
  trap - EXIT INT TERM
  [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  say "stopped; logs and data directories are in $dir"
}
trap stop_all EXIT INT TERM

upstreams=
for i in $(seq 1 "$count"); do
  instance_port=$((port + i))
  mkdir -p "$dir/instance-$i"
  DATA_DIR="$dir/instance-$i" PORT=$instance_port HOST=127.0.0.1 DATABASE_URL=$database_url REDIS_URL=$redis_url \
    TRUST_PROXY=true \
    node --max-semi-space-size=4 server/dist/accord.mjs "$@" >"$dir/instance-$i.log" 2>&1 &
  pids+=($!)
  upstreams+="    server 127.0.0.1:$instance_port max_fails=1 fail_timeout=2s;"$'\n'
done

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for i in $(seq 1 "$count"); do
  for _ in $(seq 600); do
    listening $((port + i)) && break
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || die "instance $i stopped; see $dir/instance-$i.log: $(tail -3 "$dir/instance-$i.log")"
    sleep 0.1
  done
  listening $((port + i)) || die "instance $i does not listen on $((port + i)); see $dir/instance-$i.log"
done

config=$(<scripts/nginx-cluster.conf.template)
if [ "$(id -u)" -eq 0 ]; then user="user $(id -un);"; else user='# runs as the user who starts it'; fi
config=${config//@USER@/$user}
config=${config//@DIR@/$dir}
config=${config//@LISTEN@/$host:$port}
config=${config//@SERVERS@/${upstreams%$'\n'}}
printf '%s\n' "$config" >"$dir/nginx.conf"
"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" &
nginx_pid=$!
for _ in $(seq 100); do listening "$port" && break; sleep 0.1; done
listening "$port" || die "nginx does not listen on $port; see $dir/error.log"

shown=$host
[ "$host" = 127.0.0.1 ] || [ "$host" = 0.0.0.0 ] && shown=localhost
say "$count instances behind nginx at http://$shown:$port (instances on ports $((port + 1))-$((port + count)); logs in $dir). Ctrl-C stops them."
# Runs until Ctrl-C, or until one process ends (then everything stops).
wait -n
say "a process of the cluster ended; stopping the rest"
