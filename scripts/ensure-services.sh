#!/usr/bin/env bash
# The tests need PostgreSQL on 127.0.0.1:5432 (user postgres, trust authentication: the integration
# tests run a second time on it, and unit tests of the PostgreSQL store) and Redis on
# 127.0.0.1:6379. This project's machines start both before a session and before CI. On another
# machine this installs Debian's postgresql and redis-server when they are missing (as root with
# apt-get) and starts private instances for the run, with their data in a temporary directory.
# The cluster tests and `./run cluster` also need nginx's binary (they start their own nginx on a
# port of their own); Debian's nginx is installed when it is missing, never started as a service:
#   scripts/ensure-services.sh        make sure both answer, starting private instances if not
#   scripts/ensure-services.sh stop   stop the private instances this script started (./run does)
# ACCORD_PG_PORT and ACCORD_REDIS_PORT change the ports, to try the script beside running services.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state="$root/.tools/services"
pg_port=${ACCORD_PG_PORT:-5432}
redis_port=${ACCORD_REDIS_PORT:-6379}

say() { printf 'accord: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
# Answers as the tests connect: user postgres over TCP without a password.
pg_answers() {
  if command -v psql >/dev/null; then
    PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1
  else
    listening "$pg_port"
  fi
}
redis_answers() {
  if command -v redis-cli >/dev/null; then
    [ "$(redis-cli -h 127.0.0.1 -p "$redis_port" ping 2>/dev/null)" = PONG ]
  else
    listening "$redis_port"
  fi
}

stop_private() {
  [ -f "$state/started" ] || exit 0
  while read -r service dir port; do
    case "$service" in
      postgres)
        if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
        else "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true; fi ;;
      redis) redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true ;;
    esac
    rm -rf "$dir"
    say "stopped the private $service started for this run"
  done < "$state/started"
  rm -f "$state/started"
}
[ "${1:-}" = stop ] && { stop_private; exit 0; }

install_packages() { # $@ = Debian packages
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian's $* for the tests"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq "$@" >&2 || die "apt-get could not install $*; install them and run again"
  else
    die "the tests need $* (PostgreSQL on 127.0.0.1:$pg_port with trust authentication for user postgres, Redis on 127.0.0.1:$redis_port); install them (as root: apt-get install $*) or start them"
  fi
}

mkdir -p "$state"

if ! pg_answers; then
  [ -n "$(pg_bin)" ] || install_packages postgresql
  # Installing may have started Debian's own cluster, whose TCP logins need a password: it must
  # not hold the port.
  if listening "$pg_port"; then
    if command -v pg_lsclusters >/dev/null; then
      pg_lsclusters -h | while read -r version cluster port _; do
        [ "$port" = "$pg_port" ] && pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" stop || true
      done
    fi
    listening "$pg_port" && die "something on 127.0.0.1:$pg_port is not a PostgreSQL the tests can use (user postgres, trust); stop it or make it one"
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/accord-postgres.XXXXXX")
  chmod 755 "$dir"
  as_owner=()
  if [ "$(id -u)" -eq 0 ]; then
    # PostgreSQL refuses to run as root: the postgres user from Debian's package runs it.
    chown postgres "$dir"
    as_owner=(runuser -u postgres --)
  fi
  say "starting a private PostgreSQL on 127.0.0.1:$pg_port for this run ($dir)"
  "${as_owner[@]}" "$(pg_bin)/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 \
    || die "initdb failed; see $dir/initdb.log"
  # fsync off: a throwaway instance for tests, nothing in it needs to survive a power cut.
  "${as_owner[@]}" "$(pg_bin)/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $dir -c fsync=off -c max_connections=200" start >/dev/null \
    || die "PostgreSQL did not start; see $dir/postgres.log"
  echo "postgres $dir $pg_port" >> "$state/started"
  pg_answers || die "the private PostgreSQL does not answer on 127.0.0.1:$pg_port; see $dir/postgres.log"
fi

if ! redis_answers; then
  command -v redis-server >/dev/null || install_packages redis-server
  listening "$redis_port" && die "something on 127.0.0.1:$redis_port is not a Redis that answers PING; stop it"
  dir=$(mktemp -d "${TMPDIR:-/tmp}/accord-redis.XXXXXX")
  say "starting a private Redis on 127.0.0.1:$redis_port for this run ($dir)"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$dir" \
    --logfile "$dir/redis.log" >/dev/null || die "Redis did not start; see $dir/redis.log"
  echo "redis $dir $redis_port" >> "$state/started"
  for _ in $(seq 50); do redis_answers && break; sleep 0.1; done
  redis_answers || die "the private Redis does not answer on 127.0.0.1:$redis_port; see $dir/redis.log"
fi

# nginx: only the binary. Debian's package would start a system nginx on port 80 after installing
# unless policy-rc.d says no (as it does in containers): say no for the install if nothing does.
nginx_found() { command -v nginx >/dev/null || [ -x /usr/sbin/nginx ]; }
if ! nginx_found; then
  if [ "$(id -u)" -eq 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
    printf '#!/bin/sh\n# accord: no service starts while scripts/ensure-services.sh installs nginx\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
  fi
  install_packages nginx
  nginx_found || die "nginx is still missing after installing Debian's nginx"
fi
