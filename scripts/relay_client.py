"""The relay API as a client sees it, written from docs/RELAY.md — a second, independent
implementation of the signing scheme — for the load and scaling scripts (relay-load.py,
nodes-bench.py). Standard library only."""
import base64
import hashlib
import hmac
import http.client
import json
import math
import os
import random
import secrets
import struct
import time


def write_wav(path, seconds, bits, channels, seed, rate=48_000):
    """A tone with noise, written in 1-second blocks (no large buffers)."""
    rng = random.Random(seed)
    frames = int(seconds * rate)
    width = bits // 8
    peak = (1 << (bits - 1)) - 1
    data_bytes = frames * channels * width
    with open(path, "wb") as out:
        out.write(b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVEfmt ")
        out.write(struct.pack("<IHHIIHH", 16, 1, channels, rate, rate * channels * width, channels * width, bits))
        out.write(b"data" + struct.pack("<I", data_bytes))
        frequency = 110 * (1 + seed % 7)
        step = 2 * math.pi * frequency / rate
        for start in range(0, frames, rate):
            block = bytearray()
            for n in range(start, min(frames, start + rate)):
                value = 0.25 * math.sin(step * n) + rng.uniform(-0.01, 0.01)
                sample = int(value * peak)
                for _ in range(channels):
                    block += sample.to_bytes(width, "little", signed=True)
            out.write(block)


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Relay:
    """One node's address and the relay key it is called with."""

    def __init__(self, host, port, key_id, secret):
        self.host, self.port, self.key_id, self.secret = host, port, key_id, secret

    @staticmethod
    def from_url(url, key_id, secret):
        host, port = url[len("http://"):].rsplit(":", 1)
        return Relay(host, int(port), key_id, secret)

    def sign(self, method, path, idempotency_key, metadata_header, body_sha256):
        timestamp = str(int(time.time()))
        nonce = secrets.token_hex(16)
        canonical = "\n".join([
            "TAKEVAULT-HMAC-SHA256", method, path, timestamp, nonce, idempotency_key,
            hashlib.sha256(metadata_header.encode()).hexdigest(), body_sha256,
        ])
        signature = hmac.new(self.secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Authorization": f"TAKEVAULT-HMAC-SHA256 Credential={self.key_id}, Signature={signature}",
            "X-Takevault-Date": timestamp,
            "X-Takevault-Nonce": nonce,
            "X-Takevault-Content-SHA256": body_sha256,
        }
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if metadata_header:
            headers["X-Takevault-Metadata"] = metadata_header
        return headers

    def upload(self, item, tier="pro"):
        """One signed upload of item (path, owner, sha, size, key): (status, headers, body, seconds)."""
        metadata = base64.urlsafe_b64encode(json.dumps(
            {"owner": item["owner"], "tier": tier, "file_name": os.path.basename(item["path"])}).encode()).decode().rstrip("=")
        headers = self.sign("POST", "/v1/takes", item["key"], metadata, item["sha"])
        headers["Content-Length"] = str(item["size"])
        headers["Content-Type"] = "application/octet-stream"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=300)
        started = time.monotonic()
        try:
            connection.putrequest("POST", "/v1/takes")
            for name, value in headers.items():
                connection.putheader(name, value)
            connection.endheaders()
            with open(item["path"], "rb") as body:
                for block in iter(lambda: body.read(256 * 1024), b""):
                    connection.send(block)
            response = connection.getresponse()
            payload = response.read()
            return response.status, dict(response.getheaders()), payload, time.monotonic() - started
        finally:
            connection.close()

    def job(self, job):
        headers = self.sign("GET", f"/v1/jobs/{job}", "", "", hashlib.sha256(b"").hexdigest())
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", f"/v1/jobs/{job}", headers=headers)
            response = connection.getresponse()
            return json.loads(response.read())
        finally:
            connection.close()


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else float("nan")
