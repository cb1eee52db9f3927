#!/usr/bin/env python3
"""A loopback HTTP proxy that misbehaves on purpose, between takevault and a real S3 server.

For each request it draws (from a seeded generator) one of:
  error        answer 500 or 503 SlowDown without forwarding;
  lost-answer  forward, let S3 act, then answer 500 instead of S3's reply
               (the request took effect and the client cannot know);
  reset        close the connection with a TCP reset, before or after forwarding;
  stall        forward nothing, hold the connection silent for --stall seconds, then drop it;
  pass         forward and relay S3's answer unchanged.
Requests are forwarded byte for byte (Host included), so SigV4 signatures still verify upstream.

Usage: s3-fault-proxy.py --upstream http://127.0.0.1:PORT --port-file FILE
                         [--error R] [--lost-answer R] [--reset R] [--stall R] [--stall-seconds S] [--seed N]
Writes the port it listens on to FILE, then serves until killed. Counts of each fault go to stderr.
"""
import argparse
import http.client
import random
import socket
import struct
import sys
import threading
import time
import os
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

parser = argparse.ArgumentParser()
parser.add_argument("--upstream", required=True)
parser.add_argument("--port-file", required=True)
parser.add_argument("--error", type=float, default=0.0)
parser.add_argument("--lost-answer", type=float, default=0.0)
parser.add_argument("--reset", type=float, default=0.0)
parser.add_argument("--stall", type=float, default=0.0)
parser.add_argument("--stall-seconds", type=float, default=3.0)
parser.add_argument("--seed", type=int, default=1)
options = parser.parse_args()

upstream = urllib.parse.urlsplit(options.upstream)
generator = random.Random(options.seed)
lock = threading.Lock()
counts = {"error": 0, "lost-answer": 0, "reset": 0, "stall": 0, "pass": 0}


def draw():
    with lock:
        value = generator.random()
    for name in ("error", "lost-answer", "reset", "stall"):
        rate = getattr(options, name.replace("-", "_"))
        if value < rate:
            return name
        value -= rate
    return "pass"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *arguments):
        pass

    def forward(self, body):
        connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
        headers = {key: value for key, value in self.headers.items() if key.lower() not in ("connection", "keep-alive")}
        connection.request(self.command, self.path, body=body, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        connection.close()
        return response, payload

    def reset(self):
        # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def answer(self, status, headers, payload):
        self.send_response(status)
        length = str(len(payload))
        for key, value in headers:
            if key.lower() == "content-length" and self.command == "HEAD":
                length = value  # a HEAD answer states the object's size, with no body
            elif key.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(key, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        fault = draw()
        with lock:
            counts[fault] += 1
        if fault == "error":
            if generator.random() < 0.5:
                xml = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                self.answer(500, [("Content-Type", "application/xml")], xml)
            else:
                xml = b"<Error><Code>SlowDown</Code><Message>injected</Message></Error>"
                self.answer(503, [("Content-Type", "application/xml")], xml)
        elif fault == "lost-answer":
            self.forward(body)
            self.answer(500, [("Content-Type", "application/xml")], b"<Error><Code>InternalError</Code><Message>answer lost</Message></Error>")
        elif fault == "reset":
            if generator.random() < 0.5:
                self.forward(body)
            self.reset()
        elif fault == "stall":
            time.sleep(options.stall_seconds)
            self.close_connection = True
        else:
            response, payload = self.forward(body)
            self.answer(response.status, response.getheaders(), payload)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(options.port_file + ".tmp", "w") as handle:
    handle.write(str(server.server_address[1]))
os.rename(options.port_file + ".tmp", options.port_file)


def report():
    while True:
        time.sleep(5)
        with lock:
            print(counts, file=sys.stderr, flush=True)


threading.Thread(target=report, daemon=True).start()
server.serve_forever()
