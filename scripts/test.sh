#!/usr/bin/env bash
# Runs every test of assocd, installing what the tests need:
#   1. unit tests and the black-box HTTP suite on SQLite;
#   2. the black-box suite again on PostgreSQL (a server found or started by ensure-postgres.sh);
#   3. the conformance suites with HubSpot's official Python and Node clients, on both backends.
# Usage: scripts/test.sh            (everything)
#        SKIP_POSTGRES=1 scripts/test.sh   (SQLite only)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s\n' "$*"; }

step "build"
cargo build --workspace --all-targets --locked

step "unit and black-box tests (SQLite)"
cargo test --workspace --locked 2>&1 | tee target/test-sqlite.log

if [ -z "${SKIP_POSTGRES:-}" ]; then
  step "PostgreSQL"
  PG_URL=$(scripts/ensure-postgres.sh)
  echo "using PostgreSQL at ${PG_URL%%\?*}"
  step "black-box tests (PostgreSQL)"
  ASSOCD_TEST_DATABASE_URL="$PG_URL" cargo test --locked -p assocd --test api 2>&1 | tee target/test-postgres.log
fi

step "conformance suites (official HubSpot clients, SQLite)"
scripts/conformance.sh
if [ -z "${SKIP_POSTGRES:-}" ]; then
  step "conformance suites (official HubSpot clients, PostgreSQL)"
  # A fresh database of their own, so the run starts from an empty schema.
  CONF_DB="assocd_conformance_$(date +%s)_$$"
  psql "$PG_URL" -qc "CREATE DATABASE $CONF_DB"
  ASSOCD_TEST_DATABASE_URL="${PG_URL%/*}/$CONF_DB" scripts/conformance.sh
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $CONF_DB" || true
fi
step "all tests passed"
