#!/usr/bin/env python3
"""gen.py N OUT SMALL: an assocd dump of N associations (2N rows) laid out as the bench's
dataset (contact 1 + k/10 -> company 1 + (contact*37 + j*10000) % 100000), rows in key order
as `assocd export` writes them; portals, tokens and limits copied from the dump SMALL."""
import json, subprocess, sys
n, out, small = int(sys.argv[1]), sys.argv[2], sys.argv[3]
lines = open(small).read().splitlines()
header = json.loads(lines[0])
for t in header["tables"]:
    if t["name"] == "associations":
        t["rows"] = 2 * n
others = [l for l in lines[1:] if not l.startswith('{"table":"associations"')]
with open(out, "w") as f:
    f.write(json.dumps(header, separators=(",", ":")) + "\n")
    contacts = n // 10
    for c in range(1, contacts + 1):
        cos = sorted(1 + (c * 37 + j * 10000) % 100000 for j in range(10))
        f.write("".join('{"table":"associations","values":[1,"0-1",%d,"0-2",%d,"HUBSPOT_DEFINED",279]}\n' % (c, co) for co in cos))
    f.flush()
    # Inverse rows, sorted by (company, contact) with GNU sort on fixed-width keys.
    p = subprocess.Popen("LC_ALL=C sort -S 2G --parallel=2 | cut -c23-", shell=True, stdin=subprocess.PIPE, stdout=f, text=True)
    w = p.stdin
    for c in range(1, contacts + 1):
        w.write("".join('%010d %010d {"table":"associations","values":[1,"0-2",%d,"0-1",%d,"HUBSPOT_DEFINED",280]}\n' % (co, c, co, c) for co in (1 + (c * 37 + j * 10000) % 100000 for j in range(10))))
    w.close(); p.wait()
    f.write("\n".join(others) + "\n")
