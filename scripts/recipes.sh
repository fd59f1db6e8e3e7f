#!/usr/bin/env bash
# Runs the recipes of docs/testing.md as they are written there: every fenced code block whose
# info string names `file=PATH` is written to PATH under a scratch folder, then the pytest recipe
# runs with the conformance venv and the Vitest recipe with conformance/node's node_modules
# (scripts/conformance.sh --install-only installs both).
# Environment: ASSOCD_BIN (default target/debug/assocd).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ASSOCD_BIN="${ASSOCD_BIN:-$ROOT/target/debug/assocd}"
OUT="$ROOT/conformance/node/.recipes"   # under conformance/node so `vitest` and the client resolve
rm -rf "$OUT"
mkdir -p "$OUT"

python3 - "$ROOT/docs/testing.md" "$OUT" <<'PY'
import pathlib, re, sys
doc, out = pathlib.Path(sys.argv[1]).read_text(), pathlib.Path(sys.argv[2])
blocks = re.findall(r"^```\w*[ \t]+file=(\S+)\n(.*?)^```$", doc, flags=re.M | re.S)
if not blocks:
    sys.exit("docs/testing.md has no file= code blocks")
for name, body in blocks:
    target = out / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body)
    print(f"recipes: wrote {name}")
PY

log="$(mktemp)"
status=0
echo "==> pytest recipe"
(cd "$OUT/recipes/pytest" && "$ROOT/conformance/python/.venv/bin/python" -m pytest -q -p no:cacheprovider) 2>&1 | tee -a "$log" || status=1
echo "==> Vitest recipe"
(cd "$ROOT/conformance/node" && ./node_modules/.bin/vitest run --root "$OUT/recipes/vitest") 2>&1 | tee -a "$log" || status=1
# One line for scripts/test.sh's closing summary: pytest's "N passed" and Vitest's "Tests  N passed".
sum() { { grep -oE "$1" "$log" || true; } | { grep -oE '[0-9]+' || true; } | awk '{ s += $1 } END { print s + 0 }'; }
passed=$(sum '(^|Tests +)[0-9]+ passed')
failed=$(sum '[0-9]+ failed')
rm -f "$log"
[[ $status -ne 0 && ${failed:-0} -eq 0 ]] && failed=1
echo "recipes: ${passed:-0} passed, ${failed:-0} failed"
exit $status
