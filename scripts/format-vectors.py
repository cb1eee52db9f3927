#!/usr/bin/python3
"""An independent implementation of docs/FORMAT.md's cryptography, in Python, used to produce and
check the format's test vectors (docs/format-vectors.json). The Swift tests check takevault against
the same file, so two implementations agree on every byte.

Needs Debian's python3-cryptography (scripts/deps.sh installs it).
Usage: scripts/format-vectors.py --check | --write
"""
import hashlib
import hmac
import json
import struct
import sys
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SALT = b"takevault/v1"
VECTORS = Path(__file__).resolve().parent.parent / "docs" / "format-vectors.json"


def hkdf(ikm: bytes, label: str, context: bytes = b"") -> bytes:
    """HKDF-SHA256 (RFC 5869), 32 bytes, salt "takevault/v1", info = label || context."""
    prk = hmac.new(SALT, ikm, hashlib.sha256).digest()
    return hmac.new(prk, label.encode() + context + b"\x01", hashlib.sha256).digest()


def lp(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def build():
    master = bytes(range(0x00, 0x20))
    owner = "owner-1"
    data_key = bytes(range(0x20, 0x40))
    wrap_nonce = bytes(range(0x40, 0x4C))
    version = 1

    master_id = hkdf(master, "takevault/v1/master-key-id")[:8]
    wrapping = hkdf(master, "takevault/v1/wrap-owner-key")
    aad = b"takevault/v1/owner-key" + lp(owner.encode()) + struct.pack(">I", version) + master_id
    key_object = b"TVK1" + master_id + struct.pack(">I", version) + wrap_nonce + AESGCM(wrapping).encrypt(wrap_nonce, data_key, aad)

    upload = b"RIFF test upload bytes"
    take_id = hmac.new(hkdf(data_key, "takevault/v1/take-id"), hashlib.sha256(upload).digest(), hashlib.sha256).digest()[:16].hex()
    relay = "relay-a"
    take_id_via_relay = hmac.new(hkdf(data_key, "takevault/v1/take-id"), hashlib.sha256(upload).digest() + lp(relay.encode()),
                                 hashlib.sha256).digest()[:16].hex()

    plaintext = bytes((i * 7 + 3) % 256 for i in range(100))
    chunk_id = hmac.new(hkdf(data_key, "takevault/v1/chunk-id"), plaintext, hashlib.sha256).digest()
    chunk_key = hkdf(data_key, "takevault/v1/chunk-seal", chunk_id)
    chunk_aad = b"takevault/v1/chunk" + lp(owner.encode()) + chunk_id
    chunk_object = b"TVC1" + AESGCM(chunk_key).encrypt(bytes(12), plaintext, chunk_aad)

    def manifest_header(fmt):
        return json.dumps({"format": fmt, "generation": 1, "key_version": 1, "owner": owner, "retain_until": None,
                           "take_id": take_id, "tier": "studio"}, sort_keys=True, separators=(",", ":")).encode()
    body = (Path(__file__).resolve().parent.parent / "docs" / "format-vector-body.json").read_bytes().strip()
    body = body.replace(b"TAKE_ID", take_id.encode()).replace(b"CHUNK_ID", chunk_id.hex().encode())
    manifest_nonce = bytes(range(0x50, 0x5C))
    body_key = hkdf(data_key, "takevault/v1/manifest-seal", lp(take_id.encode()) + struct.pack(">I", 1))
    # Format 2: the owner, take id and generation of the object's name in the associated data.
    header = manifest_header(2)
    name_binding = lp(owner.encode()) + lp(take_id.encode()) + struct.pack(">I", 1)
    manifest = b"TVM1" + struct.pack(">I", len(header)) + header + manifest_nonce + \
        AESGCM(body_key).encrypt(manifest_nonce, body, b"takevault/v2/manifest" + name_binding + header)
    # Format 1 (still read): the header bytes alone.
    header_v1 = manifest_header(1)
    manifest_v1 = b"TVM1" + struct.pack(">I", len(header_v1)) + header_v1 + manifest_nonce + \
        AESGCM(body_key).encrypt(manifest_nonce, body, b"takevault/v1/manifest" + header_v1)

    # Owner policy object (FORMAT.md §8), version 2 of the owner's policy, sealed under key version 1.
    policy_version = 2
    policy = json.dumps({
        "schema": 1, "owner": owner, "version": policy_version, "created_at": "2026-01-05T10:00:00Z", "tier": "studio",
        "tier_history": [{"tier": "free", "at": "2026-01-05T10:00:00Z"}, {"tier": "studio", "at": "2026-02-01T08:30:00Z"}],
        "restricted": True,
        "holds": [{"id": "h_0011223344556677", "take": take_id, "reason": "inquiry 7", "set_by": "legal", "set_at": "2026-02-02T09:00:00Z",
                   "lifted_by": "legal", "lifted_at": "2026-02-03T09:00:00Z"},
                  {"id": "h_8899aabbccddeeff", "reason": "account review", "set_by": "ops", "set_at": "2026-02-04T12:00:00Z"}],
    }, sort_keys=True, separators=(",", ":")).encode()
    policy_nonce = bytes(range(0x60, 0x6C))
    policy_context = lp(owner.encode()) + struct.pack(">I", policy_version)
    policy_key = hkdf(data_key, "takevault/v1/owner-policy", policy_context)
    policy_aad = b"takevault/v1/owner-policy" + policy_context + struct.pack(">I", version)
    policy_object = b"TVP1" + struct.pack(">I", version) + policy_nonce + AESGCM(policy_key).encrypt(policy_nonce, policy, policy_aad)

    # Format 3 (FORMAT.md §9): owner key version 2 holds the stable key (the data key above) and a
    # take-wrapping key; the take's own key wraps under it and seals the take's chunks and manifests.
    version_v3 = 2
    take_wrapping = bytes(range(0x70, 0x90))
    wrap_nonce_v3 = bytes(range(0x90, 0x9C))
    aad_v3 = b"takevault/v3/owner-key" + lp(owner.encode()) + struct.pack(">I", version_v3) + master_id
    key_object_v3 = b"TVK2" + master_id + struct.pack(">I", version_v3) + wrap_nonce_v3 + \
        AESGCM(wrapping).encrypt(wrap_nonce_v3, data_key + take_wrapping, aad_v3)
    take_key = bytes(range(0xA0, 0xC0))
    take_key_nonce = bytes(range(0xC0, 0xCC))
    take_key_aad = b"takevault/v3/take-key" + lp(owner.encode()) + lp(take_id.encode()) + struct.pack(">I", version_v3)
    take_key_object = b"TVT1" + struct.pack(">I", version_v3) + take_key_nonce + \
        AESGCM(hkdf(take_wrapping, "takevault/v3/wrap-take-key")).encrypt(take_key_nonce, take_key, take_key_aad)
    chunk_id_v3 = hmac.new(hkdf(take_key, "takevault/v3/chunk-id"), plaintext, hashlib.sha256).digest()
    chunk_object_v3 = b"TVC1" + AESGCM(hkdf(take_key, "takevault/v3/chunk-seal", chunk_id_v3)).encrypt(
        bytes(12), plaintext, b"takevault/v3/chunk" + lp(owner.encode()) + chunk_id_v3)
    header_v3 = manifest_header(3)
    body_v3 = (Path(__file__).resolve().parent.parent / "docs" / "format-vector-body.json").read_bytes().strip()
    body_v3 = body_v3.replace(b"TAKE_ID", take_id.encode()).replace(b"CHUNK_ID", chunk_id_v3.hex().encode())
    manifest_v3 = b"TVM1" + struct.pack(">I", len(header_v3)) + header_v3 + manifest_nonce + \
        AESGCM(hkdf(take_key, "takevault/v3/manifest-seal", struct.pack(">I", 1))).encrypt(
            manifest_nonce, body_v3, b"takevault/v3/manifest" + name_binding + header_v3)

    # Staged upload (FORMAT.md §10): the seal of a one-segment upload (segment 0), and a segment
    # at index 1 alone, for the index's place in the nonce and the associated data.
    job = "job_0123456789abcdefghijklm"
    upload_key = bytes(range(0x60, 0x80))
    staging_nonce = bytes(range(0x80, 0x8C))
    segment_key = hkdf(upload_key, "takevault/v1/staging-segment", lp(owner.encode()) + lp(job.encode()))
    segments = [bytes((i * 11 + 5) % 256 for i in range(64)), bytes((i * 13 + 1) % 256 for i in range(17))]
    segment_objects = [b"TVS1" + AESGCM(segment_key).encrypt(struct.pack(">IQ", 0, index), segment,
                                                               b"takevault/v1/staging-segment" + struct.pack(">Q", index))
                       for index, segment in enumerate(segments)]
    staged = segments[0]
    seal_body = upload_key + struct.pack(">QI", len(staged), 1) + hashlib.sha256(staged).digest()
    seal_aad = b"takevault/v1/staging-seal" + lp(owner.encode()) + lp(job.encode()) + master_id
    seal_object = b"TVU1" + master_id + staging_nonce + \
        AESGCM(hkdf(master, "takevault/v1/wrap-upload-key")).encrypt(staging_nonce, seal_body, seal_aad)

    return {
        "inputs": {
            "staging_job": job, "upload_key": upload_key.hex(), "staging_nonce": staging_nonce.hex(),
            "staging_segment_0": segments[0].hex(), "staging_segment_1": segments[1].hex(),
            "owner_key_version_v3": version_v3, "take_wrapping_key": take_wrapping.hex(), "wrap_nonce_v3": wrap_nonce_v3.hex(),
            "take_key": take_key.hex(), "take_key_nonce": take_key_nonce.hex(), "manifest_header_v3": header_v3.decode(),
            "manifest_body_v3": body_v3.decode(),
            "policy_json": policy.decode(), "policy_nonce": policy_nonce.hex(),
            "master_key": master.hex(), "owner": owner, "owner_key": data_key.hex(), "owner_key_version": version,
            "wrap_nonce": wrap_nonce.hex(), "upload": upload.hex(), "chunk_plaintext": plaintext.hex(),
            "manifest_nonce": manifest_nonce.hex(), "manifest_header": header.decode(), "manifest_body": body.decode(),
            "manifest_header_v1": header_v1.decode(),
            "relay_key_id": relay,
        },
        "outputs": {
            "staging_segment_object_0": segment_objects[0].hex(), "staging_segment_object_1": segment_objects[1].hex(),
            "staging_seal_object": seal_object.hex(),
            "master_key_id": master_id.hex(), "key_object": key_object.hex(), "take_id": take_id, "take_id_via_relay": take_id_via_relay,
            "chunk_id": chunk_id.hex(), "chunk_object": chunk_object.hex(), "manifest_object": manifest.hex(), "manifest_object_v1": manifest_v1.hex(),
            "policy_object": policy_object.hex(),
            "key_object_v3": key_object_v3.hex(), "take_key_object": take_key_object.hex(), "chunk_id_v3": chunk_id_v3.hex(),
            "chunk_object_v3": chunk_object_v3.hex(), "manifest_object_v3": manifest_v3.hex(),
        },
    }


def main():
    vectors = build()
    if sys.argv[1:] == ["--write"]:
        VECTORS.write_text(json.dumps(vectors, indent=2, sort_keys=True) + "\n")
        print(f"wrote {VECTORS}")
    elif sys.argv[1:] == ["--check"]:
        stored = json.loads(VECTORS.read_text())
        if stored != vectors:
            for section in ("inputs", "outputs"):
                for key in vectors[section]:
                    if stored.get(section, {}).get(key) != vectors[section][key]:
                        print(f"format vector {section}.{key} differs from the Python implementation")
            sys.exit(1)
        print("format vectors: the Python implementation agrees with docs/format-vectors.json")
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
