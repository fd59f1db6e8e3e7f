#!/usr/bin/env python3
"""incdiff.py LABEL N1 N2 [FILTER...] : inclusive instructions per request by function, on minus
off (each the N2 - N1 difference), summed over threads; functions matching a FILTER substring."""
import glob, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cgfiles import add, annotate
D = os.environ.get("CG_DIR", "/tmp/cgw")
label, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
filters = sys.argv[4:] or ["assocd", "reqwest", "hyper", "sqlx", "rusqlite", "blocking", "sha2", "serde_json"]
def ann(p):
    return annotate(p, True, add)[1]
def tot(mode, n):
    s = {}
    for p in glob.glob(f"{D}/cg-{label}-{mode}-{n}.out-*"):
        for k, v in ann(p).items(): s[k] = s.get(k, 0) + v
    return s
per = {}
for mode in ("off", "on"):
    a, b = tot(mode, n1), tot(mode, n2)
    per[mode] = {k: (b.get(k, 0) - a.get(k, 0)) / (n2 - n1) for k in set(a) | set(b)}
keys = [k for k in set(per["off"]) | set(per["on"]) if any(f in k for f in filters)]
rows = sorted(((per["on"].get(k, 0) - per["off"].get(k, 0)), k) for k in keys)
rows.reverse()
print(f"{'on-off':>12} {'off':>12} {'on':>12}")
for v, k in rows[:50]:
    print(f"{v:12,.0f} {per['off'].get(k,0):12,.0f} {per['on'].get(k,0):12,.0f} {k[:120]}")
