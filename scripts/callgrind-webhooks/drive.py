#!/usr/bin/env python3
"""drive.py PORT RECV_PORT MODE N [CONC] : the bench's R5 (100 fresh contact->company
associations per request) N times over CONC keep-alive connections, with the app's
subscriptions active (MODE=on) or paused (off); then waits for every event at the receiver
(on) and a fixed settle time, the same in both modes."""
import http.client, json, sys, threading, time, urllib.request
port, recv, mode, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
conc = int(sys.argv[5]) if len(sys.argv) > 5 else 1
TOKEN, APP, KEY = "bench-token-0123456789abcdef", 7001, "bench-developer-key"
H = {"authorization": f"Bearer {TOKEN}", "content-type": "application/json"}
def call(c, m, p, body=None, want=(200, 201)):
    c.request(m, p, body=body, headers=H)
    r = c.getresponse(); b = r.read()
    if r.status not in want:
        raise SystemExit(f"{m} {p}: {r.status} {b[:300]}")
    return b
c = http.client.HTTPConnection("127.0.0.1", port)
for pair, body in [("contacts/companies", '{"inputs":[{"category":"HUBSPOT_DEFINED","typeId":279,"maxToObjectIds":1000}]}'),
                   ("deals/contacts", '{"inputs":[{"category":"HUBSPOT_DEFINED","typeId":3,"maxToObjectIds":50}]}')]:
    call(c, "POST", f"/crm/v4/associations/definitions/configurations/{pair}/batch/create", body)
subs = json.loads(call(c, "GET", f"/webhooks/v3/{APP}/subscriptions?hapikey={KEY}"))["results"]
for s in subs:
    call(c, "PATCH", f"/webhooks/v3/{APP}/subscriptions/{s['id']}?hapikey={KEY}",
         json.dumps({"active": mode == "on"}))
FIRST, PER, COMPANIES = 1_000_000_000, 10, 100_000
def pair_of(k):
    contact = 1 + k // PER
    company = 1 + (contact * 37 + (k % PER) * (COMPANIES // PER)) % COMPANIES
    return contact, company
def body(i):
    ins = []
    for k in range(FIRST + i * 100, FIRST + i * 100 + 100):
        a, b = pair_of(k)
        ins.append({"from": {"id": str(a)}, "to": {"id": str(b)},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]})
    return json.dumps({"inputs": ins})
bodies = [body(i) for i in range(n)]
def worker(j):
    cc = http.client.HTTPConnection("127.0.0.1", port)
    for i in range(j, n, conc):
        call(cc, "POST", "/crm/v4/associations/contacts/companies/batch/create", bodies[i])
t = time.time()
ts = [threading.Thread(target=worker, args=(j,)) for j in range(conc)]
[x.start() for x in ts]; [x.join() for x in ts]
wrote = time.time() - t
want = 200 * n if mode == "on" else 0
got = 0
while True:
    got = int(urllib.request.urlopen(f"http://127.0.0.1:{recv}/count").read())
    if got >= want or time.time() - t > 900:
        break
    time.sleep(0.5)
time.sleep(3)  # the worker records the last results; the same wait in both modes
print(f"{mode} n={n} conc={conc}: writes {wrote:.1f}s, events {got} of {want}, {time.time()-t:.1f}s")
