#!/bin/bash
# Functions assocd runs at start (through its first answer and an idle pause) and on ordinary
# requests, by callgrind; order.py turns the dumps into the link order (crates/server/link-order.txt).
# usage: profile.sh BIN OUTDIR [PORT]   (BIN: built as docs/benchmarks.md builds it)
set -e
BIN=$(realpath "$1"); OUT=$2; PORT=${3:-18590}
HERE=$(cd "$(dirname "$0")" && pwd)
TOKEN=profile-token-0123456789abcdef
rm -rf "$OUT"; mkdir -p "$OUT"
valgrind --tool=callgrind --dump-instr=no --compress-strings=no --demangle=no \
  --callgrind-out-file="$OUT/cg.out" "$BIN" serve --listen 127.0.0.1:$PORT \
  --database "sqlite://$OUT/db.sqlite" --bootstrap-token $TOKEN > "$OUT/log.txt" 2>&1 &
VP=$!
python3 "$HERE/drive.py" $PORT $TOKEN $VP || { kill -INT $VP; wait $VP; exit 1; }
kill -INT $VP; wait $VP || true
ls "$OUT"/cg.out*
python3 "$HERE/order.py" "$BIN" "$OUT/cg.out.1" "$OUT/cg.out.2" "$OUT/cg.out" > "$OUT/link-order.txt"
echo "copy $OUT/link-order.txt to crates/server/link-order.txt and rebuild"
