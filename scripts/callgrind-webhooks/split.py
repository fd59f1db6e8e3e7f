#!/usr/bin/env python3
"""split.py LABEL N1 N2 : instructions per R5 request, off and on, by thread class and by
function (inclusive), from run.sh's per-thread callgrind files: (count at N2 - at N1) / (N2 - N1)."""
import glob, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cgfiles import annotate, klass
D = os.environ.get("CG_DIR", "/tmp/cgw")
label, n1, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
FUNCS = {  # name: substring of the demangled function (inclusive cost, summed over threads)
    "delivery task (attempt)": "assocd_webhooks::deliver::attempt::{{closure}}",
    "  body (payloads + JSON)": "assocd_webhooks::body::body",
    "  signing::v1": "assocd_webhooks::signing::v1",
    "  signing::v3": "assocd_webhooks::signing::v3",
    "  Client::post": "assocd_webhooks::client::Client::post::{{closure}}",
    "worker loop (step)": "assocd_webhooks::worker::Worker::step::{{closure}}",
    "  outbox_tick": "assocd_store::outbox::dispatch::tick::{{closure}}",
    "    undispatched": "assocd_store::outbox::dispatch::undispatched::{{closure}}",
    "    plan (fan-out read)": "assocd_store::outbox::fan_out::plan::{{closure}}",
    "    queue_plan": "assocd_store::outbox::fan_out::queue_plan::{{closure}}",
    "    record_results": "assocd_store::outbox::deliveries::record_results::{{closure}}",
    "  claim": "assocd_store::outbox::claims::claim::{{closure}}",
    "    claims load": "assocd_store::outbox::claims::load::{{closure}}",
    "event_from_row": "assocd_store::outbox::feed::event_from_row",
    "group writer": "assocd_store::associations::group::run::{{closure}}",
    "  outbox::record": "assocd_store::outbox::record::{{closure}}",
    "hyper client dispatch": "hyper::client::conn::http1::Connection",
}
def collect(mode, n):
    classes, fsum = {}, {}
    for p in sorted(glob.glob(f"{D}/cg-{label}-{mode}-{n}.out-*")):
        total, funcs = annotate(p)
        c = klass(total, funcs)
        classes[c] = classes.get(c, 0) + total
        classes["TOTAL"] = classes.get("TOTAL", 0) + total
        for name, sub in FUNCS.items():
            fsum[name] = fsum.get(name, 0) + max((v for k, v in funcs.items() if sub in k), default=0)
    return classes, fsum
res = {}
for mode in ("off", "on"):
    a, fa = collect(mode, n1)
    b, fb = collect(mode, n2)
    per = lambda x, y, k: (y.get(k, 0) - x.get(k, 0)) / (n2 - n1)
    res[mode] = ({k: per(a, b, k) for k in set(a) | set(b)}, {k: per(fa, fb, k) for k in FUNCS})
print(f"{'per R5 request':32} {'off':>12} {'on':>12} {'on-off':>12}")
for k in ["TOTAL", "tokio workers", "sqlite writer", "sqlite readers", "other threads"]:
    o, n = res["off"][0].get(k, 0), res["on"][0].get(k, 0)
    print(f"{k:32} {o:12,.0f} {n:12,.0f} {n-o:12,.0f}")
for k in FUNCS:
    o, n = res["off"][1][k], res["on"][1][k]
    print(f"{k:32} {o:12,.0f} {n:12,.0f} {n-o:12,.0f}")
