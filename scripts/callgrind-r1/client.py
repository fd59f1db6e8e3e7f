# A keep-alive client: 10 PUTs of contact 1 -> companies 2..11, then N R1 reads (bearer "tok").
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
h = {"Authorization": "Bearer tok"}
for i in range(2, 12):
    c.request("PUT", f"/crm/v4/objects/contacts/1/associations/default/companies/{i}", headers=h)
    r = c.getresponse(); r.read()
    assert r.status in (200, 201), (r.status)
hdrs = None
for i in range(n):
    c.request("GET", "/crm/v4/objects/contacts/1/associations/companies", headers=h)
    r = c.getresponse(); body = r.read()
    assert r.status == 200, (r.status, body)
    hdrs = r.getheaders()
print([h for h in hdrs if h[0].lower().startswith("x-hubspot-ratelimit")], file=sys.stderr)
