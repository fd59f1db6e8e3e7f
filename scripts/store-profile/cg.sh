#!/bin/bash
# cg.sh BIN DBURL SCEN N PORT -> prints total Ir of a callgrind run serving N requests
set -e
BIN=$1; DB=$2; SCEN=$3; N=$4; PORT=$5
TOKEN=pat-na1-11111111-2222-3333-4444-555555555555
OUT=${OUT_DIR:-/tmp}/cg.$SCEN.$N.$PORT.out
valgrind --tool=callgrind --callgrind-out-file=$OUT $BIN serve --listen 127.0.0.1:$PORT --database "$DB" --bootstrap-token $TOKEN --log-format json >${OUT_DIR:-/tmp}/cg.log 2>&1 &
VPID=$!
for i in $(seq 1 200); do curl -sf -o /dev/null 127.0.0.1:$PORT/healthz && break; sleep 0.2; done
python3 "$(dirname "$0")"/drive.py $PORT $TOKEN $SCEN $N ${CONTACTS:-2000} || { kill -TERM $VPID; wait $VPID; exit 1; }
kill -TERM $VPID; wait $VPID || true
grep -E "^(summary|totals):" $OUT | head -1
