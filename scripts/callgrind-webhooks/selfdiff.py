#!/usr/bin/env python3
"""selfdiff.py LABEL MODE N1 N2 [CLASS] : exclusive instructions per request by function (top 40),
summed over the threads of CLASS (default: all), (N2 - N1) difference."""
import glob, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cgfiles import add, annotate, klass
D = os.environ.get("CG_DIR", "/tmp/cgw")
label, mode, n1, n2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
want = sys.argv[5] if len(sys.argv) > 5 else None
def ann(p, inclusive):
    return annotate(p, inclusive, max if inclusive else add)
def collect(n):
    s = {}
    for p in sorted(glob.glob(f"{D}/cg-{label}-{mode}-{n}.out-*")):
        tot, inc = ann(p, True)
        if want and klass(tot, inc) != want: continue
        _, ex = ann(p, False)
        for k, v in ex.items(): s[k] = s.get(k, 0) + v
    return s
a, b = collect(n1), collect(n2)
diff = sorted(((b.get(k, 0) - a.get(k, 0)) / (n2 - n1), k) for k in set(a) | set(b))
diff.reverse()
print(f"sum {sum(v for v, _ in diff):,.0f}")
for v, k in diff[:40]:
    print(f"{v:12,.0f}  {k[:150]}")
