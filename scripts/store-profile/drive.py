#!/usr/bin/env python3
"""drive.py PORT TOKEN SCENARIO N : N keep-alive requests of one scenario, checks statuses."""
import http.client, json, sys, time
port, token, scen, n = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
CONTACTS = int(sys.argv[5]) if len(sys.argv) > 5 else 2000
h = {"authorization": f"Bearer {token}", "content-type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", port)
def mix(x):
    x = (x * 0x9E3779B97F4A7C15) & (2**64 - 1)
    return x ^ (x >> 29)
def req(i):
    if scen == "r6":
        ids = [{"id": str(1 + mix(i * 100 + k) % CONTACTS)} for k in range(100)]
        return "POST", "/crm/v4/associations/contacts/companies/batch/read", json.dumps({"inputs": ids}), 200
    if scen == "c5":
        return "POST", "/crm/v4/associations/definitions/configurations/deals/contacts/batch/purge", json.dumps({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}), 204
    if scen == "c5x":  # create the limit on even requests, purge it on odd ones
        if i % 2 == 1:
            return "POST", "/crm/v4/associations/definitions/configurations/deals/contacts/batch/create", json.dumps({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "maxToObjectIds": 50}]}), 201
        return "POST", "/crm/v4/associations/definitions/configurations/deals/contacts/batch/purge", json.dumps({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3}]}), 204
    if scen == "c1":  # create (update) only
        return "POST", "/crm/v4/associations/definitions/configurations/deals/contacts/batch/create", json.dumps({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "maxToObjectIds": 50}]}), 201
    if scen == "r1":
        return "GET", f"/crm/v4/objects/contacts/{1 + mix(i) % CONTACTS}/associations/companies?limit=10", None, 200
    raise SystemExit("scenario?")
t = time.time()
for i in range(n):
    m, p, b, want = req(i)
    c.request(m, p, body=b, headers=h)
    r = c.getresponse(); body = r.read()
    if r.status != want:
        raise SystemExit(f"{p}: {r.status} {body[:300]}")
print(f"{scen} n={n} {time.time()-t:.2f}s")
