"""What the three scripts here share: reading one per-thread callgrind file, and a thread's class."""
import re, subprocess


def annotate(path, inclusive=True, combine=max):
    """(program total, {function: instructions}) of one callgrind file; a function listed more
    than once (same name, other objects) is merged with `combine` (max, or sum)."""
    out = subprocess.run(["callgrind_annotate", "--auto=no", f"--inclusive={'yes' if inclusive else 'no'}",
                          "--threshold=100", path], capture_output=True, text=True).stdout
    total, funcs = 0, {}
    for line in out.split("\n"):
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)$", line)
        if not m:
            continue
        v, k = int(m.group(1).replace(",", "")), m.group(2)
        if "PROGRAM TOTALS" in k:
            total = v
            continue
        k = re.sub(r" \[[^\]]*\]$", "", k)
        k = re.sub(r"^[^:]*[/?][^:]*:", "", k, count=1)  # the source file
        funcs[k] = combine(funcs.get(k, 0), v) if k in funcs else v
    return total, funcs


def add(a, b):
    return a + b


def klass(total, funcs):
    """A thread's class by what runs at its root: a tokio worker, or an sqlx SQLite
    connection's thread (the writer is the one whose inserts are a sizeable part)."""
    root = lambda s: any(s in k and v > total // 2 for k, v in funcs.items())
    if root("sqlx_sqlite::"):
        ins = max((v for k, v in funcs.items() if k.endswith("sqlite3BtreeInsert")), default=0)
        return "sqlite writer" if ins > total // 20 else "sqlite readers"
    if root("tokio::runtime::"):
        return "tokio workers"
    return "other threads"
