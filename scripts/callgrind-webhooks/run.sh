#!/bin/bash
# Instructions per R5 request with webhook subscriptions off or on, by callgrind: the release
# server on a fresh SQLite database with the bench's app (fixture), N R5 requests (drive.py),
# every event delivered to receiver.py. Per request: (count at N2 - count at N1) / (N2 - N1).
# usage: run.sh BIN LABEL MODE N PORT [CONC]   (writes $CG_DIR/cg-LABEL-MODE-N.out[-thread])
set -e
BIN=$1; LABEL=$2; MODE=$3; N=$4; PORT=$5; CONC=${6:-1}
HERE=$(cd "$(dirname "$0")" && pwd)
D=${CG_DIR:-/tmp/cgw}; mkdir -p "$D"
RECV=$((PORT + 1000))
python3 "$HERE/receiver.py" $RECV & RP=$!
trap 'kill $RP 2>/dev/null || true' EXIT
DB=$D/db-$LABEL-$MODE-$N; rm -rf "$DB"; mkdir -p "$DB"
cat > "$DB/fixture.json" <<JSON
{"apps": [{"appId": 7001, "clientSecret": "bench-secret", "developerApiKey": "bench-developer-key",
  "portals": [1], "webhooks": {"targetUrl": "http://127.0.0.1:$RECV/hook", "maxConcurrentRequests": 10,
  "subscriptions": [{"eventType": "contact.associationChange"}, {"eventType": "company.associationChange"}]}}]}
JSON
OUT=$D/cg-$LABEL-$MODE-$N.out
rm -f "$OUT"*
valgrind --tool=callgrind --separate-threads=yes --callgrind-out-file="$OUT" "$BIN" serve \
  --listen 127.0.0.1:$PORT --database "sqlite://$DB/db.sqlite" \
  --bootstrap-token bench-token-0123456789abcdef --fixtures "$DB/fixture.json" \
  > "$D/log-$LABEL-$MODE-$N.txt" 2>&1 &
VP=$!
for _ in $(seq 1 600); do curl -sf -o /dev/null 127.0.0.1:$PORT/healthz && break; sleep 0.2; done
python3 "$HERE/drive.py" $PORT $RECV $MODE $N $CONC || { kill -TERM $VP; wait $VP; exit 1; }
kill -TERM $VP; wait $VP || true
echo "$LABEL $MODE $N total $(cat "$OUT"-* | grep -E '^summary:' | awk '{s+=$2} END {print s}')"
