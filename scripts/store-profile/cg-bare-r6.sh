#!/bin/bash
# cg-bare-r6.sh BENCH SQLITE_PATH N PORT -> total Ir of a callgrind run of R6's bare handler
# (`assocd-bench ceiling-r6`, the bench's R6 ceiling) serving N requests of drive.py's r6, so
# its cost per request can be set beside assocd's (`cg.sh … r6`) on the same database.
set -e
BENCH=$1; DB=$2; N=$3; PORT=$4
OUT=${OUT_DIR:-/tmp}/cg.bare-r6.$N.$PORT.out
valgrind --tool=callgrind --callgrind-out-file=$OUT $BENCH ceiling-r6 --listen 127.0.0.1:$PORT --database "$DB" >${OUT_DIR:-/tmp}/cg-bare.log 2>&1 &
VPID=$!
for i in $(seq 1 200); do
  code=$(curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:$PORT/crm/v4/associations/contacts/companies/batch/read || true)
  [ "$code" = 405 ] && break; sleep 0.2
done
python3 "$(dirname "$0")"/drive.py $PORT x r6 $N ${CONTACTS:-2000} || { kill -TERM $VPID; wait $VPID; exit 1; }
kill -TERM $VPID; wait $VPID || true
grep -E "^(summary|totals):" $OUT | head -1
