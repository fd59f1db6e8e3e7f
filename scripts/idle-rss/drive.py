# Drives assocd under callgrind through the phases whose code the order file packs first.
# usage: drive.py PORT TOKEN VALGRIND_PID
#   phase "start": polls the S1 labels list (Connection: close, as assocd-bench does) until it
#   answers 200, then idles 3 s; dumped as its own part.
#   phase "requests": the API calls of the bench's scenarios and the console's start page
#   (list, batch read, batch create, put/delete default, labels, limits, healthz, an error).
import http.client, json, socket, subprocess, sys, time

port, token, vpid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
S1 = "/crm/v4/associations/contacts/companies/labels"
auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def probe():
    s = socket.create_connection(("127.0.0.1", port), timeout=1)
    s.settimeout(60)
    s.sendall(f"GET {S1} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
              "Connection: close\r\n\r\n".encode())
    data = b""
    while (d := s.recv(65536)):
        data += d
    return int(data.split(b" ", 2)[1])


def dump(name):
    subprocess.run(["callgrind_control", "--dump=" + name, vpid], check=True,
                   stdout=subprocess.DEVNULL)


deadline = time.time() + 300
while True:
    try:
        if probe() == 200:
            break
    except OSError:
        pass
    if time.time() > deadline:
        sys.exit("assocd did not answer")
    time.sleep(0.05)
time.sleep(3)
dump("start")

c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)


def call(method, path, body=None, ok=(200, 201, 204, 207)):
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=auth)
    r = c.getresponse()
    r.read()
    if r.status not in ok:
        sys.exit(f"{method} {path} answered {r.status}")


for i in range(3):
    call("POST", S1, {"label": f"Role {i}", "name": f"role_{i}", "inverseLabel": f"Inverse {i}"})
call("GET", S1)
inputs = [{"from": {"id": str(1 + i % 10)}, "to": {"id": str(100 + i)},
           "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 279}]}
          for i in range(100)]
call("POST", "/crm/v4/associations/contacts/companies/batch/create", {"inputs": inputs})
for i in range(2, 12):
    call("PUT", f"/crm/v4/objects/contacts/1/associations/default/companies/{i}")
for _ in range(20):
    call("GET", "/crm/v4/objects/contacts/1/associations/companies?limit=10")
call("POST", "/crm/v4/associations/contacts/companies/batch/read",
     {"inputs": [{"id": str(i)} for i in range(1, 101)]})
call("POST", "/crm/v4/associations/definitions/configurations/contacts/companies/batch/create",
     {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279, "maxToObjectIds": 1000}]})
call("GET", "/crm/v4/associations/definitions/configurations/contacts/companies")
call("POST", "/crm/v4/associations/definitions/configurations/contacts/companies/batch/purge",
     {"inputs": [{"category": "HUBSPOT_DEFINED", "typeId": 279}]})
call("DELETE", "/crm/v4/objects/contacts/1/associations/companies/2")
call("POST", "/crm/v4/associations/contacts/companies/batch/archive",
     {"inputs": [{"from": {"id": "1"}, "to": [{"id": "3"}]}]})
call("GET", "/crm/v4/objects/nosuchtype/1/associations/companies", ok=(400, 404))
call("GET", "/healthz")
time.sleep(2)
dump("requests")
