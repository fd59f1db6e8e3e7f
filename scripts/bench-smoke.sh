#!/usr/bin/env bash
# Smoke pass of the benchmark harness (crates/bench): builds assocd and the bench in release,
# then runs every scenario for 0.5 s at concurrency 1 and 32 on a small dataset, on SQLite and,
# when one answers, on PostgreSQL ($ASSOCD_TEST_POSTGRES_URL or 127.0.0.1:5432). It asserts no
# timing: it fails only when the harness breaks or a scenario gets an unexpected answer.
# The report goes to target/bench-smoke.md. Extra arguments go to `assocd-bench smoke`
# (e.g. --no-postgres). The full run is `cargo run --release -p assocd-bench -- all`.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked -p assocd -p assocd-bench
exec target/release/assocd-bench smoke --assocd target/release/assocd --out target/bench-smoke.md "$@"
