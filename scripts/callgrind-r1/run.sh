#!/bin/bash
# Instructions per sequential R1 request, by callgrind: the release server on a fresh SQLite
# database, 10 associations written, then N reads of them on one keep-alive connection; the
# per-request figure is (total for 1,200 reads - total for 200) / 1,000 (docs/benchmarks.md).
# usage: run.sh BIN LABEL PORT [serve flags...]   (writes /tmp/cg11/cg-LABEL-{200,1200}.out)
# then:  python3 split.py LABEL_OFF LABEL_ON       (splits the difference of two labels)
set -e
BIN=$1; LABEL=$2; PORT=$3; shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p /tmp/cg11
for N in 200 1200; do
  D=/tmp/cg11/db-$LABEL-$N; rm -rf "$D"; mkdir -p "$D"
  OUT=/tmp/cg11/cg-$LABEL-$N.out
  valgrind --tool=callgrind --callgrind-out-file="$OUT" "$BIN" serve --listen 127.0.0.1:$PORT \
    --database "sqlite://$D/db.sqlite" --bootstrap-token tok "$@" > /tmp/cg11/log-$LABEL-$N.txt 2>&1 &
  VP=$!
  for _ in $(seq 1 300); do
    python3 -c "import socket;socket.create_connection(('127.0.0.1',$PORT),timeout=1)" 2>/dev/null && break
    sleep 0.5
  done
  python3 "$HERE/client.py" $PORT $N
  kill -INT $VP; wait $VP || true
  echo "$LABEL $N $(grep '^summary:' "$OUT" | awk '{print $2}')"
  PORT=$((PORT + 1))
done
