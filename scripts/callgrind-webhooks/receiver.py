#!/usr/bin/env python3
"""receiver.py PORT : a webhook target that answers 200 and counts events (occurrences of
"eventId" in each body, no JSON parse); GET /count answers the count so far."""
import http.server, sys, threading
count = 0
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global count
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        with lock:
            count += body.count(b'"eventId"')
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
    def do_GET(self):
        b = str(count).encode()
        self.send_response(200); self.send_header("content-length", str(len(b))); self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
