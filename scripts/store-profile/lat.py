#!/usr/bin/env python3
"""lat.py PORT TOKEN CONTACTS N: R1 (limit=10) at c=1 on random contacts; prints p50/p90 in us."""
import http.client, random, sys, time
port, token, contacts, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
h = {"authorization": f"Bearer {token}"}
c = http.client.HTTPConnection("127.0.0.1", port)
rnd = random.Random(7); lat = []
for i in range(n):
    p = f"/crm/v4/objects/contacts/{1 + rnd.randrange(contacts)}/associations/companies?limit=10"
    t = time.perf_counter(); c.request("GET", p, headers=h); r = c.getresponse(); b = r.read(); lat.append(time.perf_counter() - t)
    assert r.status == 200 and b.count(b"toObjectId") == 10, (r.status, b[:200])
lat.sort()
print(f"p50 {lat[n//2]*1e6:.0f} us  p90 {lat[n*9//10]*1e6:.0f} us")
