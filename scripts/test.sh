#!/usr/bin/env bash
# Runs every test of assocd, installing what the tests need:
#   1. unit tests, the black-box HTTP suite on SQLite, and the multi-process tests (replicas,
#      export/import, store backends) on PostgreSQL;
#   2. the black-box suite again on PostgreSQL;
#   3. the conformance suites with HubSpot's official Python and Node clients, on both backends,
#      and the pytest and Vitest recipes of docs/testing.md;
#   4. Schemathesis from each of HubSpot's association documents and from assocd's own
#      /openapi.json (SQLite), then the check that docs/coverage.md is up to date.
# PostgreSQL: $ASSOCD_TEST_POSTGRES_URL, else 127.0.0.1:5432, else a throwaway server that
# scripts/ensure-postgres.sh starts (installing Debian's package when run as root).
# The web console's browser test (step 1) needs Debian's Chromium and chromedriver:
# scripts/ensure-chromium.sh installs them when run as root, else that test prints SKIPPED.
# Usage: scripts/test.sh                  (everything)
#        SKIP_POSTGRES=1 scripts/test.sh  (SQLite only; PostgreSQL tests print SKIPPED)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

# Everything is also written to a log, from which the closing summary line is counted.
mkdir -p target
LOG=target/test-run.log
exec > >(tee "$LOG") 2>&1

if [ -z "${SKIP_POSTGRES:-}" ]; then
  step "PostgreSQL"
  PG_URL=$(scripts/ensure-postgres.sh)
  export ASSOCD_TEST_POSTGRES_URL="$PG_URL"
  echo "using PostgreSQL at $PG_URL"
  # Test databases of earlier runs on this server are left behind by design (a failed test
  # keeps its data for a look); clear them now.
  psql "$PG_URL" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE 'assocd\_%'" 2>/dev/null |
    while read -r db; do psql "$PG_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true; done
fi

step "Chromium for the console's browser test"
scripts/ensure-chromium.sh

step "build"
cargo build --workspace --all-targets --locked

step "unit tests, black-box suite (SQLite), multi-process tests"
cargo test --workspace --locked

if [ -z "${SKIP_POSTGRES:-}" ]; then
  step "black-box suite (PostgreSQL)"
  ASSOCD_TEST_DATABASE_URL="$PG_URL" cargo test --locked -p assocd --test api
fi

step "conformance suites (official HubSpot clients, SQLite)"
scripts/conformance.sh

step "docs/testing.md recipes (pytest and Vitest, as written there)"
scripts/recipes.sh
if [ -z "${SKIP_POSTGRES:-}" ]; then
  step "conformance suites (official HubSpot clients, PostgreSQL)"
  # A fresh database of their own, so the run starts from an empty schema.
  CONF_DB="assocd_conformance_$(date +%s)_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $CONF_DB"
  ASSOCD_TEST_DATABASE_URL="${PG_URL%/*}/$CONF_DB" scripts/conformance.sh
fi

step "Schemathesis (HubSpot's association documents and assocd's own, SQLite)"
scripts/schemathesis.sh

step "coverage table (docs/coverage.md is up to date)"
python3 scripts/coverage.py --check

step "benchmark smoke pass (one second per scenario)"
scripts/bench-smoke.sh

step "all tests passed"
# One closing line over every runner: cargo's "test result" lines and the conformance summaries.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     /^(conformance|schemathesis|recipes): [0-9]+ passed, [0-9]+ failed/ { p += $2; f += $4 }
     END { printf "summary: %d passed, %d failed\n", p, f }' "$LOG"
