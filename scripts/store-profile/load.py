#!/usr/bin/env python3
"""load.py PORT TOKEN CONTACTS : contacts 1..CONTACTS with 10 companies each; a limit on deals->contacts."""
import http.client, json, sys
port, token, contacts = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
h = {"authorization": f"Bearer {token}", "content-type": "application/json"}
c = http.client.HTTPConnection("127.0.0.1", port)
inputs = [{"from": {"id": str(ct)}, "to": {"id": str(ct * 10 + k)}, "types": []} for ct in range(1, contacts + 1) for k in range(10)]
for i in range(0, len(inputs), 1000):
    c.request("POST", "/crm/v4/associations/contacts/companies/batch/create", body=json.dumps({"inputs": inputs[i:i+1000]}), headers=h)
    r = c.getresponse(); b = r.read(); assert r.status == 201, b[:300]
c.request("POST", "/crm/v4/associations/definitions/configurations/deals/contacts/batch/create", body=json.dumps({"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 3, "maxToObjectIds": 50}]}), headers=h)
r = c.getresponse(); print("limit", r.status, r.read()[:200])
