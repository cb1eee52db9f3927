#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into Tests/Fuzz/Corpus/<target>/ (committed; run again
only to change them). Audio seeds are tiny real files made with sox, flac and opusenc from a
short synthesised tone; the archive seeds are the format's test vectors (docs/format-vectors.json,
whose keys the harness uses); the rest are written here. Needs sox (with libsox-fmt-all), flac and
opus-tools, as the tests do."""
import json
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile

root = pathlib.Path(__file__).resolve().parent
corpus = root / "Corpus"
repository = root.parent.parent


def write(target, name, data):
    folder = corpus / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def audio_seeds():
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        tone = scratch / "tone.wav"
        # 40 ms of 8 kHz mono 16-bit: the smallest take every encoder accepts.
        subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(tone), "synth", "0.04", "sine", "440"], check=True)
        stereo = scratch / "stereo.wav"
        subprocess.run(["sox", "-n", "-r", "48000", "-c", "2", "-b", "24", str(stereo), "synth", "0.01", "sine", "440"], check=True)
        made = {
            "tone.wav": tone,
            "stereo-24.wav": stereo,
        }
        for name, arguments in {
            "tone.aiff": ["-t", "aiff"], "tone.aifc": ["-t", "aifc"], "tone.au": ["-t", "au"], "tone.caf": ["-t", "caf"],
            "tone.w64": ["-t", "w64"], "tone-float.wav": ["-e", "floating-point", "-b", "32"], "tone-ulaw.wav": ["-e", "u-law"],
            "tone.ogg": ["-t", "vorbis", "-C", "-1"], "tone.mp3": ["-t", "mp3", "-C", "32"],
        }.items():
            out = scratch / name
            subprocess.run(["sox", str(tone)] + arguments + [str(out)], check=True)
            made[name] = out
        flac = scratch / "tone.flac"
        subprocess.run(["flac", "-s", "--no-padding", "-o", str(flac), str(tone)], check=True)
        made["tone.flac"] = flac
        opus = scratch / "tone.opus"
        subprocess.run(["opusenc", "--quiet", "--bitrate", "16", str(tone), str(opus)], check=True)
        made["tone.opus"] = opus
        # RF64: a WAV's chunks behind a ds64 chunk (RIFF and data sizes 0xFFFFFFFF), 16-bit and 8-bit.
        def rf64_of(wav):
            body = wav[12:]
            data_at = body.index(b"data")
            data_size = struct.unpack("<I", body[data_at + 4:data_at + 8])[0]
            ds64 = b"ds64" + struct.pack("<IQQQI", 28, len(wav) - 8 + 36, data_size, 320, 0)
            return b"RF64" + b"\xff\xff\xff\xff" + b"WAVE" + ds64 + body[:data_at + 4] + b"\xff\xff\xff\xff" + body[data_at + 8:]
        rf64 = rf64_of(tone.read_bytes())
        eight = scratch / "tone-8.wav"
        subprocess.run(["sox", str(tone), "-b", "8", "-e", "unsigned-integer", str(eight)], check=True)
        rf64_eight = rf64_of(eight.read_bytes())
        for name, path in made.items():
            data = path.read_bytes()
            write("audio-decode", name, data)
            write("audio-sniffer", name, data[:4096])
            if name.endswith((".wav", ".aiff", ".aifc")):
                write("header-check", name, data)
        for target in ["audio-decode", "audio-sniffer", "header-check"]:
            write(target, "tone.rf64", rf64)
            write(target, "tone-8.rf64", rf64_eight)
        write("ogg-opus", "tone.opus", opus.read_bytes())
        stereo_opus = scratch / "stereo.opus"
        subprocess.run(["opusenc", "--quiet", "--bitrate", "24", str(stereo), str(stereo_opus)], check=True)
        write("ogg-opus", "stereo.opus", stereo_opus.read_bytes())


def archive_seeds():
    vectors = json.loads((repository / "docs" / "format-vectors.json").read_text())
    outputs, inputs = vectors["outputs"], vectors["inputs"]
    write("manifest-open", "vector", b"\x00" + bytes.fromhex(outputs["manifest_object"]))
    write("manifest-open", "vector-v1", b"\x00" + bytes.fromhex(outputs["manifest_object_v1"]))
    write("manifest-open", "vector-plaintext", b"\x01" + inputs["manifest_header"].encode() + b"\x00" + inputs["manifest_body"].encode())
    write("chunk-open", "vector", b"\x00" + bytes.fromhex(outputs["chunk_id"]) + bytes.fromhex(outputs["chunk_object"]))
    write("chunk-open", "plaintext", b"\x01" + bytes.fromhex(inputs["chunk_plaintext"]))
    write("key-unwrap", "vector", bytes.fromhex(outputs["key_object"]))
    write("key-unwrap", "vector-v3", bytes.fromhex(outputs["key_object_v3"]))
    write("key-unwrap", "take-key", bytes.fromhex(outputs["take_key_object"]))
    write("manifest-open", "vector-v3", b"\x00" + bytes.fromhex(outputs["manifest_object_v3"]))
    write("chunk-open", "vector-v3", b"\x00" + bytes.fromhex(outputs["chunk_id_v3"]) + bytes.fromhex(outputs["chunk_object_v3"]))
    write("policy-open", "vector", b"\x00" + bytes.fromhex(outputs["policy_object"]))
    write("policy-open", "vector-plaintext", b"\x01" + inputs["policy_json"].encode())
    write("key-unwrap", "master-key-file",
          json.dumps({"format": 1, "key": inputs["master_key"], "key_id": outputs["master_key_id"]}).encode() + b"\n")


def relay_seeds():
    signature = "0" * 64
    lines = [f"TAKEVAULT-HMAC-SHA256 Credential=relay-a, Signature={signature}", "1796000000", "4f1c9a0e7b3d52a86c0e1f2a3b4c5d6e",
             "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "take-2026-11-29-bass-01",
             "eyJmaWxlX25hbWUiOiJiYXNzLndhdiIsIm93bmVyIjoidTEiLCJ0aWVyIjoicHJvIn0"]
    write("relay-headers", "upload", "\n".join(lines))
    write("relay-headers", "get", "\n".join(lines[:4] + ["\x00", "\x00"]))
    tag = '"' + "ab" * 32 + '"'
    cursor = "u1/s1/2026-11-29T10:00:00Z/c89a3672bceb47563465acb44b438e9a".encode().hex()
    length = (1 << 20).to_bytes(8, "little")
    write("delivery-headers", "range", length + "\n".join(["bytes=0-1023", tag, tag, cursor]).encode())
    write("delivery-headers", "suffix", length + "\n".join(["bytes=-512", 'W/"x", ' + tag, '"other"', ""]).encode())
    write("delivery-headers", "open-ended", (100).to_bytes(8, "little") + "\n".join(["bytes=99-", "*", "", "zz"]).encode())
    metadata = {"owner": "u1", "tier": "pro", "file_name": "bass.wav", "session_id": "s1",
                "participants": [{"id": "u2", "role": "producer"}], "recorded_at": "2026-11-29T10:00:00Z",
                "daw_transport": {"tempo_bpm": 92, "time_signature": "4/4", "position_beats": 128}}
    text = json.dumps(metadata, separators=(",", ":"))
    import base64
    write("upload-metadata", "header", base64.urlsafe_b64encode(text.encode()).decode().rstrip("="))
    write("upload-metadata", "json", text)


def store_seeds():
    write("s3-xml", "list", '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
          "<Name>b</Name><Prefix>v1/</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
          "<Contents><Key>v1/owners/u1/keys/1</Key><LastModified>2026-11-29T10:00:00.000Z</LastModified><Size>76</Size></Contents>"
          "<NextContinuationToken>abc</NextContinuationToken></ListBucketResult>")
    write("s3-xml", "error", '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>'
          "<Key>v1/owners/u1/keys/1</Key></Error>")
    write("s3-xml", "tagging", "<Tagging><TagSet><Tag><Key>owner</Key><Value>u1</Value></Tag><Tag><Key>held</Key><Value>no</Value></Tag></TagSet></Tagging>")
    write("s3-xml", "multipart", "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>id-1</UploadId></InitiateMultipartUploadResult>")
    write("s3-xml", "delete", "<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key><Code>AccessDenied</Code><Message>no</Message></Error></DeleteResult>")


if __name__ == "__main__":
    if corpus.exists():
        shutil.rmtree(corpus)
    audio_seeds()
    archive_seeds()
    relay_seeds()
    store_seeds()
    total = sum(path.stat().st_size for path in corpus.rglob("*") if path.is_file())
    print(f"seeds written to {corpus} ({total} bytes)")
