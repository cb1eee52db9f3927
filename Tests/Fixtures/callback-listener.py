#!/usr/bin/env python3
"""A relay's callback endpoint, for the relay tests: records each POST (path, headers, body as
base64, attempt number) as a JSON line. With --fail-first N the first N requests get 500, so the
server's retries are exercised; with --redirect-to URL every request is recorded and answered
307 to URL (a redirect takevault must not follow). Listens on a free loopback port and writes it
to --port-file."""
import argparse
import base64
import http.server
import json
import threading

parser = argparse.ArgumentParser()
parser.add_argument("--port-file", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--fail-first", type=int, default=0)
parser.add_argument("--redirect-to")
options = parser.parse_args()
lock = threading.Lock()
seen = {"count": 0}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            seen["count"] += 1
            attempt = seen["count"]
        if attempt <= options.fail_first:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        record = {
            "path": self.path,
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": base64.b64encode(body).decode(),
            "attempt": attempt,
        }
        with lock, open(options.out, "a") as out:
            out.write(json.dumps(record) + "\n")
        if options.redirect_to:
            self.send_response(307)
            self.send_header("Location", options.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(options.port_file + ".tmp", "w") as port_file:
    port_file.write(str(server.server_address[1]))
import os
os.rename(options.port_file + ".tmp", options.port_file)
server.serve_forever()
