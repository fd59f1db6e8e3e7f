#!/usr/bin/env bash
# Runs the conformance suites: a real assocd driven by HubSpot's official
# clients (Python hubspot-api-client, Node @hubspot/api-client).
#
# Installs what the suites need when it is missing or out of date:
#   conformance/python/.venv        (python3 -m venv; pip install -r requirements.txt)
#   conformance/node/node_modules   (npm ci, from the committed package-lock.json)
# Needs only python3 (3.11) and node 20 + npm, and a reachable PyPI/npm registry
# the first time.
#
# Usage: scripts/conformance.sh [--install-only] [--python-only|--node-only] [extra pytest args]
# Environment:
#   ASSOCD_BIN                binary to test (default: target/debug/assocd, built here with cargo)
#   ASSOCD_TEST_DATABASE_URL  database URL for the servers the suites start (default: SQLite in a temp dir)
#   PYTHON                    interpreter used to create the venv (default: python3)
#   RUST_LOG                  log filter of the servers the suites start (default: trace, so the
#                             secret check below covers every level)
# The servers' logs and the tokens the suites used are kept in target/conformance-logs/<run>/;
# after the suites, every log is searched for each token and its SHA-256 hash (the stored form):
# finding one is a failure.
# Exit status: non-zero if an install step or any test failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY_DIR="$ROOT/conformance/python"
NODE_DIR="$ROOT/conformance/node"
VENV="$PY_DIR/.venv"

install_only=0 run_python=1 run_node=1
pytest_args=()
for a in "$@"; do
  case "$a" in
    --install-only) install_only=1 ;;
    --python-only) run_node=0 ;;
    --node-only) run_python=0 ;;
    *) pytest_args+=("$a") ;;
  esac
done

log() { printf '==> %s\n' "$*" >&2; }

hash_of() { sha256sum "$@" | sha256sum | cut -c1-64; }

install_python() {
  local py="${PYTHON:-python3}" stamp="$VENV/.requirements.sha256" want
  want="$(hash_of "$PY_DIR/requirements.txt")"
  if [[ -x "$VENV/bin/python" ]] && [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$want" ]] \
     && "$VENV/bin/python" -c 'import hubspot, pytest, schemathesis' 2>/dev/null; then
    return 0
  fi
  log "installing Python conformance dependencies into $VENV"
  if ! [[ -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$VENV"
    if ! "$py" -m venv "$VENV" 2>/dev/null; then
      # Debian's python3 lacks ensurepip unless python3-venv is installed.
      rm -rf "$VENV"
      if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        log "python3 -m venv failed; installing Debian's python3-venv"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$py" -m venv "$VENV"
      else
        echo "error: '$py -m venv' failed (install python3-venv)" >&2
        return 1
      fi
    fi
  fi
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PY_DIR/requirements.txt"
  echo "$want" > "$stamp"
}

install_node() {
  local stamp="$NODE_DIR/node_modules/.package-lock.sha256" want
  want="$(hash_of "$NODE_DIR/package.json" "$NODE_DIR/package-lock.json")"
  if [[ -f "$stamp" ]] && [[ "$(cat "$stamp")" == "$want" ]] \
     && [[ -f "$NODE_DIR/node_modules/@hubspot/api-client/package.json" ]]; then
    return 0
  fi
  log "installing Node conformance dependencies into $NODE_DIR/node_modules"
  # @hubspot/api-client 14 declares engines.node >=22 but runs on node 20
  # (it needs only the global fetch); npm only warns about it.
  (cd "$NODE_DIR" && npm ci --prefer-offline --no-audit --no-fund --loglevel=error)
  echo "$want" > "$stamp"
}

[[ $run_python -eq 1 ]] && install_python
[[ $run_node -eq 1 ]] && install_node
[[ $install_only -eq 1 ]] && exit 0

if [[ -z "${ASSOCD_BIN:-}" ]]; then
  if command -v cargo >/dev/null; then
    log "building assocd (cargo build --bin assocd)"
    (cd "$ROOT" && cargo build --quiet --bin assocd)
  fi
  export ASSOCD_BIN="$ROOT/target/debug/assocd"
fi
if [[ ! -x "$ASSOCD_BIN" ]]; then
  echo "error: assocd binary not found at $ASSOCD_BIN" >&2
  exit 1
fi

# Each suite's servers leave the requests they answered here (docs/coverage.md reads them).
mkdir -p "$ROOT/target/coverage"
[[ $run_python -eq 1 ]] && rm -f "$ROOT/target/coverage"/python*.json
[[ $run_node -eq 1 ]] && rm -f "$ROOT/target/coverage"/node-*.json

export CONFORMANCE_LOG_DIR="$ROOT/target/conformance-logs/$(date +%Y%m%d-%H%M%S)-$$"
mkdir -p "$CONFORMANCE_LOG_DIR"
export RUST_LOG="${RUST_LOG:-trace}"
log "server logs and used tokens go to $CONFORMANCE_LOG_DIR (RUST_LOG=$RUST_LOG)"

py_rc=0 node_rc=0
py_summary="(not run)" node_summary="(not run)"
if [[ $run_python -eq 1 ]]; then
  log "Python suite (hubspot-api-client $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("hubspot-api-client"))'))"
  py_out="$(mktemp)"
  set +e
  (cd "$PY_DIR" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${pytest_args[@]}") 2>&1 | tee "$py_out"
  py_rc=${PIPESTATUS[0]}
  set -e
  py_summary="$(grep -E '^=*.*(passed|failed|error|no tests ran).* in [0-9.]+s' "$py_out" | tail -1 || true)"
  rm -f "$py_out"
fi
if [[ $run_node -eq 1 ]]; then
  log "Node suite (@hubspot/api-client $(node -p "require('$NODE_DIR/node_modules/@hubspot/api-client/package.json').version"))"
  node_out="$(mktemp)"
  set +e
  (cd "$NODE_DIR" && node --test --test-reporter=tap test/) 2>&1 | tee "$node_out"
  node_rc=${PIPESTATUS[0]}
  set -e
  node_summary="$(grep -E '^# (tests|pass|fail|todo) ' "$node_out" | tr '\n' ' ' || true)"
  rm -f "$node_out"
fi

# No token, nor its hash, in any server log (one check, counted like a test).
secrets_rc=0
secrets_check() {
  local tokens="$CONFORMANCE_LOG_DIR/tokens.txt" logs found=0 n=0 token hash
  mapfile -t logs < <(find "$CONFORMANCE_LOG_DIR" -name '*.log' -type f)
  if [[ ! -s "$tokens" || ${#logs[@]} -eq 0 ]]; then
    echo "log secrets check: no tokens or no logs recorded in $CONFORMANCE_LOG_DIR"
    return 1
  fi
  while IFS= read -r token; do
    [[ -z "$token" ]] && continue
    n=$((n + 1))
    hash="$(printf '%s' "$token" | sha256sum | cut -c1-64)"
    if grep -F -l -e "$token" -e "$hash" "${logs[@]}" >/dev/null; then
      echo "log secrets check: token #$n (or its hash) appears in: $(grep -F -l -e "$token" -e "$hash" "${logs[@]}" | tr '\n' ' ')"
      found=$((found + 1))
    fi
  done < <(sort -u "$tokens")
  echo "log secrets check: $n tokens searched in ${#logs[@]} log(s) ($(cat "${logs[@]}" | wc -l) lines): found $found"
  [[ $found -eq 0 ]]
}
secrets_check || secrets_rc=1

# first number N in "N <word>" (pytest) or "# <word> N" (TAP) of $2; 0 when absent
num() {
  local n
  n=$(grep -oE "([0-9]+ $1)|(# $1 [0-9]+)" <<<"$2" | head -1 | grep -oE '[0-9]+' || true)
  echo "${n:-0}"
}
py_pass=$(num passed "$py_summary")
py_fail=$(( $(num failed "$py_summary") + $(num errors? "$py_summary") ))
node_pass=$(num pass "$node_summary")
node_fail=$(num fail "$node_summary")
# A runner that crashed before its summary counts as one failure.
[[ $py_rc -ne 0 && $py_fail -eq 0 ]] && py_fail=1
[[ $node_rc -ne 0 && $node_fail -eq 0 ]] && node_fail=1
echo
echo "conformance summary:"
echo "  python (pytest, exit $py_rc): ${py_summary:-?}"
echo "  node (node --test, exit $node_rc): ${node_summary:-?}"
echo "  log secrets check: $([[ $secrets_rc -eq 0 ]] && echo passed || echo failed)"
echo "conformance: $(( py_pass + node_pass + 1 - secrets_rc )) passed, $(( py_fail + node_fail + secrets_rc )) failed"
if [[ $py_rc -ne 0 || $node_rc -ne 0 || $secrets_rc -ne 0 ]]; then
  exit 1
fi
