#!/usr/bin/env bash
# Property-based conformance: Schemathesis generates requests from each of HubSpot's association
# documents (../shared/hubspot-openapi/associations-*.json), from the webhooks management document
# (webhooks-v3.json, authenticated by an app's developer key) and from assocd's own /openapi.json,
# sends them to a real assocd and checks every answer against the same document
# (not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance). Fixed seed, bounded cases per operation; the deviations assocd
# keeps on purpose are excluded one by one (conformance/schemathesis/deviations.py, each in
# docs/compat.md), none for assocd's own document.
#
# Installs Schemathesis into conformance/python/.venv (pinned in its requirements.txt) when
# missing; builds the binary with cargo unless ASSOCD_BIN is set.
# Usage: scripts/schemathesis.sh [--only NAME] [--max-examples N] [--seed N] [--verbose]
# Writes target/coverage/{schemathesis,assocd-openapi}.json, which scripts/coverage.py reads.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/scripts/conformance.sh" --install-only --python-only
if [[ -z "${ASSOCD_BIN:-}" ]]; then
  (cd "$ROOT" && cargo build --quiet --bin assocd)
  export ASSOCD_BIN="$ROOT/target/debug/assocd"
fi
exec "$ROOT/conformance/python/.venv/bin/python" "$ROOT/conformance/schemathesis/run.py" "$@"
