#!/usr/bin/env bash
# Prints (on stdout, one line) the URL of a PostgreSQL server that answers,
# connecting as a superuser:
#   1. $ASSOCD_TEST_POSTGRES_URL, if set and reachable;
#   2. postgres://postgres@127.0.0.1:5432/postgres, if a server answers there;
#   3. otherwise a throwaway server of its own: initdb into a temp dir (as an
#      unprivileged user when run as root, since initdb refuses root), started
#      with trust auth on a free port of 127.0.0.1. PostgreSQL's binaries come
#      from PATH or /usr/lib/postgresql/*/bin, or, as root, from Debian's
#      `postgresql` package (apt-get install).
# Everything else goes to stderr.
#
# Usage:
#   scripts/ensure-postgres.sh              print a URL (starting a server if needed)
#   scripts/ensure-postgres.sh --stop DIR   stop a throwaway server started by this script and remove DIR
# Environment:
#   ASSOCD_TEST_POSTGRES_URL  preferred server
#   ASSOCD_PG_FORCE_LOCAL=1   skip 1 and 2: always start a throwaway server
#   ASSOCD_PG_DIR             directory for the throwaway server (default: mktemp -d)
#   ASSOCD_PG_USER            (root only) OS user that runs it (default: postgres if it exists, else
#                             assocdpg, created when missing)
set -euo pipefail

log() { printf 'ensure-postgres: %s\n' "$*" >&2; }

run_as() { # run_as USER CMD...  (as USER when root, else as ourselves)
  local user="$1"; shift
  if [[ $(id -u) -ne 0 ]]; then
    "$@"
  elif command -v runuser >/dev/null; then
    runuser -u "$user" -- "$@"
  else
    su -s /bin/sh "$user" -c "$(printf '%q ' "$@")"
  fi
}

find_pg_bin() { # prints a directory holding initdb and pg_ctl
  local d
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    dirname "$(readlink -f "$(command -v initdb)")"
    return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

reachable() { # reachable URL: a server answers (and, when psql is there, accepts the login)
  local url="$1" bin
  if command -v psql >/dev/null; then
    PGCONNECT_TIMEOUT=5 psql "$url" -XAtqc 'select 1' >/dev/null 2>&1
    return
  fi
  if command -v pg_isready >/dev/null; then
    pg_isready -q -t 5 -d "$url" >/dev/null 2>&1
    return
  fi
  if bin="$(find_pg_bin 2>/dev/null)" && [[ -x "$bin/pg_isready" ]]; then
    "$bin/pg_isready" -q -t 5 -d "$url" >/dev/null 2>&1
    return
  fi
  return 1
}

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  return 1
}

stop_throwaway() {
  local dir="$1" bin owner
  [[ -d "$dir/data" ]] || { log "no throwaway server in $dir"; return 1; }
  bin="$(cat "$dir/pg_bin" 2>/dev/null || find_pg_bin)"
  owner="$(stat -c %U "$dir/data")"
  run_as "$owner" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  rm -rf "$dir"
  log "stopped and removed $dir"
}

if [[ "${1:-}" == "--stop" ]]; then
  [[ -n "${2:-}" ]] || { echo "usage: $0 --stop DIR" >&2; exit 2; }
  stop_throwaway "$2"
  exit
fi

if [[ "${ASSOCD_PG_FORCE_LOCAL:-0}" != "1" ]]; then
  if [[ -n "${ASSOCD_TEST_POSTGRES_URL:-}" ]]; then
    if reachable "$ASSOCD_TEST_POSTGRES_URL"; then
      echo "$ASSOCD_TEST_POSTGRES_URL"
      exit 0
    fi
    log "ASSOCD_TEST_POSTGRES_URL is set but does not answer; looking further"
  fi
  default_url="postgres://postgres@127.0.0.1:5432/postgres"
  if reachable "$default_url"; then
    echo "$default_url"
    exit 0
  fi
fi

# 3. A throwaway server of our own.
if ! bin="$(find_pg_bin)"; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "PostgreSQL not installed; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
  bin="$(find_pg_bin)" || { log "no initdb/pg_ctl found (install PostgreSQL)"; exit 1; }
fi

user="$(id -un)"
if [[ $(id -u) -eq 0 ]]; then
  if [[ -n "${ASSOCD_PG_USER:-}" ]]; then
    user="$ASSOCD_PG_USER"
  elif id postgres >/dev/null 2>&1; then
    user=postgres
  else
    user=assocdpg
  fi
  id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
fi

dir="${ASSOCD_PG_DIR:-$(mktemp -d /tmp/assocd-pg.XXXXXX)}"
mkdir -p "$dir"
echo "$bin" > "$dir/pg_bin"
chmod 755 "$dir"
[[ $(id -u) -eq 0 ]] && chown "$user" "$dir"
port="$(free_port)"

log "starting a throwaway PostgreSQL ($bin) as $user in $dir on 127.0.0.1:$port"
run_as "$user" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
run_as "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >&2 || { cat "$dir/server.log" >&2; exit 1; }

url="postgres://postgres@127.0.0.1:$port/postgres"
log "started; stop it with: $0 --stop $dir"
echo "$url"
