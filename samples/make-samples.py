#!/usr/bin/env python3
"""Regenerates the sample takes in this directory. Everything is synthesised here (no recordings),
deterministically (fixed seeds), so the files are takevault's own work, licensed like the project.

Needs Python 3 with numpy, and the `flac` and `sox` commands (Debian: flac, sox, libsox-fmt-all).
Run from anywhere: python3 samples/make-samples.py
"""
import os
import struct
import subprocess

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(2026)


def path(name):
    return os.path.join(HERE, name)


def chunk(cid, body):
    pad = b"\0" if len(body) % 2 else b""
    return cid + struct.pack("<I", len(body)) + body + pad


def pcm_bytes(x, bits):
    """Planar float channels (channels, frames) in [-1, 1) to interleaved little-endian PCM bytes."""
    scale = 2 ** (bits - 1)
    ints = np.clip(np.round(x.T * scale), -scale, scale - 1).astype(np.int32)
    if bits == 16:
        return ints.astype("<i2").tobytes()
    if bits == 24:
        b = np.ascontiguousarray(ints.astype("<i4")).view(np.uint8).reshape(-1, 4)[:, :3]
        return b.tobytes()
    raise ValueError(bits)


def write_wav(name, x, rate, bits=16, float32=False, extra_chunks=b""):
    """Plain RIFF/WAVE writer (PCM 16/24 or IEEE float 32) with optional extra chunks before data."""
    channels = x.shape[0]
    if float32:
        data = x.T.astype("<f4").tobytes()
        tag, bits = 3, 32
    else:
        data = pcm_bytes(x, bits)
        tag = 1
    align = channels * bits // 8
    fmt = struct.pack("<HHIIHH", tag, channels, rate, rate * align, align, bits)
    body = b"WAVE" + chunk(b"fmt ", fmt) + extra_chunks + chunk(b"data", data)
    with open(path(name), "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", len(body)) + body)


def fade(x, rate, seconds=0.02):
    n = int(rate * seconds)
    ramp = np.linspace(0, 1, n)
    x[..., :n] *= ramp
    x[..., -n:] *= ramp[::-1]
    return x


def voice(rate=48_000, seconds=6.0):
    """A sung phrase by formant synthesis: a glottal pulse train with vibrato through vowel formants."""
    t = np.arange(int(rate * seconds)) / rate
    notes = [(0.0, 220.0, "a"), (1.5, 246.9, "e"), (3.0, 261.6, "i"), (4.5, 220.0, "o")]
    formants = {"a": (800, 1150, 2900), "e": (400, 1600, 2700), "i": (300, 2300, 3000), "o": (450, 800, 2830)}
    out = np.zeros_like(t)
    for start, f0, vowel in notes:
        mask = (t >= start) & (t < start + 1.4)
        tt = t[mask] - start
        freq = f0 * (1 + 0.012 * np.sin(2 * np.pi * 5.5 * tt) * np.minimum(tt / 0.4, 1))
        phase = np.cumsum(freq) / rate
        source = (phase % 1.0) - 0.5  # sawtooth-like glottal source
        source += 0.02 * rng.standard_normal(source.size)  # breath
        sig = np.zeros_like(source)
        for i, fc in enumerate(formants[vowel]):
            bw = 80 + 40 * i
            r = np.exp(-np.pi * bw / rate)
            a1, a2 = -2 * r * np.cos(2 * np.pi * fc / rate), r * r
            y = np.zeros_like(source)
            y1 = y2 = 0.0
            g = (1 - r) * 0.5 ** i
            for n, s in enumerate(source):
                y0 = g * s - a1 * y1 - a2 * y2
                y[n] = y0
                y2, y1 = y1, y0
            sig += y
        env = np.minimum(tt / 0.08, 1) * np.minimum((1.4 - tt) / 0.15, 1)
        out[mask] += sig * env
    out = out / np.max(np.abs(out)) * 0.5
    return fade(out[np.newaxis, :], rate)


def one_pole_lowpass(x, cutoff, rate):
    y = np.empty_like(x)
    acc = 0.0
    alpha = 1 - np.exp(-2 * np.pi * cutoff / rate)
    for i, v in enumerate(x):
        acc += alpha * (v - acc)
        y[i] = acc
    return y


def karplus_strong(f0, rate, seconds, seed):
    g = np.random.default_rng(seed)
    period = int(round(rate / f0))
    buf = g.uniform(-1, 1, period)
    n = int(rate * seconds)
    out = np.empty(n)
    for i in range(n):
        out[i] = buf[i % period]
        buf[i % period] = 0.996 * 0.5 * (buf[i % period] + buf[(i + 1) % period])
    return out


def guitar(rate=44_100, seconds=5.0):
    """Strummed chords (Karplus–Strong strings), panned across the stereo field."""
    n = int(rate * seconds)
    out = np.zeros((2, n))
    chords = [[82.4, 123.5, 164.8, 207.7, 246.9, 329.6], [110.0, 164.8, 220.0, 277.2, 329.6]]
    for k, start in enumerate(np.arange(0, seconds - 1.0, 1.25)):
        for j, f in enumerate(chords[k % 2]):
            s = int((start + 0.015 * j) * rate)
            note = karplus_strong(f, rate, min(2.0, seconds - start - 0.02), seed=k * 10 + j)
            pan = 0.2 + 0.6 * j / 5
            end = min(n, s + note.size)
            out[0, s:end] += (1 - pan) * note[: end - s]
            out[1, s:end] += pan * note[: end - s]
    out = out / np.max(np.abs(out)) * 0.7
    return fade(out, rate)


def keys(rate=48_000, seconds=3.0):
    """An FM electric piano playing a chord progression, with a slow stereo tremolo."""
    t = np.arange(int(rate * seconds)) / rate
    out = np.zeros((2, t.size))
    for start, chord in [(0.0, [261.6, 329.6, 392.0]), (1.5, [220.0, 277.2, 329.6])]:
        tt = t - start
        on = tt >= 0
        for f in chord:
            env = np.exp(-2.5 * np.clip(tt, 0, None)) * on
            mod = 1.8 * np.exp(-6 * np.clip(tt, 0, None)) * np.sin(2 * np.pi * f * 14 * tt)
            tone = np.sin(2 * np.pi * f * tt + mod) * env
            out[0] += tone * (1 + 0.3 * np.sin(2 * np.pi * 4 * t))
            out[1] += tone * (1 - 0.3 * np.sin(2 * np.pi * 4 * t))
    out = out / np.max(np.abs(out)) * 0.6
    return fade(out, rate)


def pad(rate=48_000, seconds=4.0):
    """A float32 synth pad: detuned saws through a gentle low-pass; peaks just above full scale
    (+0.5 dBFS), as float bounces from a DAW often do."""
    t = np.arange(int(rate * seconds)) / rate
    x = sum(((t * f * d) % 1.0 - 0.5) for f in (110.0, 164.8) for d in (0.997, 1.0, 1.003))
    y = one_pole_lowpass(x, 1200, rate)
    env = np.minimum(t / 0.8, 1) * np.minimum((seconds - t) / 0.8, 1)
    y = y * env
    y = y / np.max(np.abs(y)) * 10 ** (0.5 / 20)
    return y[np.newaxis, :].astype(np.float32)


def drums(rate=44_100, seconds=6.0):
    """A drum loop at 120 BPM: sine-sweep kick, noise snare, hi-hats; kick and snare centred,
    hats slightly right."""
    n = int(rate * seconds)
    out = np.zeros((2, n))
    g = np.random.default_rng(7)
    beat = 0.5

    def place(sig, at, pan=0.5):
        s = int(at * rate)
        e = min(n, s + sig.size)
        out[0, s:e] += (1 - pan) * sig[: e - s] * 2
        out[1, s:e] += pan * sig[: e - s] * 2

    tk = np.arange(int(0.4 * rate)) / rate
    kick = np.sin(2 * np.pi * (50 * tk + 60 * (1 - np.exp(-tk * 30)) / 30)) * np.exp(-tk * 9)
    ts = np.arange(int(0.25 * rate)) / rate
    snare = (g.uniform(-1, 1, ts.size) * 0.7 + 0.3 * np.sin(2 * np.pi * 190 * ts)) * np.exp(-ts * 18)
    th = np.arange(int(0.06 * rate)) / rate
    hat = np.diff(g.uniform(-1, 1, th.size + 1)) * np.exp(-th * 70) * 0.4
    for b in range(int(seconds / beat)):
        at = b * beat
        place(kick if b % 2 == 0 else snare, at)
        place(hat, at + beat / 2, pan=0.65)
    out = out / np.max(np.abs(out)) * 0.8
    return fade(out, rate)


def bass(rate=48_000, seconds=5.0):
    """A synth bass line (square through a decaying filter)."""
    t = np.arange(int(rate * seconds)) / rate
    notes = [55.0, 55.0, 65.4, 73.4, 55.0, 82.4, 73.4, 65.4, 55.0, 55.0]
    step = seconds / len(notes)
    x = np.zeros_like(t)
    for i, f in enumerate(notes):
        m = (t >= i * step) & (t < (i + 1) * step)
        tt = t[m] - i * step
        x[m] = np.sign(np.sin(2 * np.pi * f * tt)) * np.exp(-tt * 3)
    y = one_pole_lowpass(x, 400, rate)
    y = y / np.max(np.abs(y)) * 0.7
    return fade(np.vstack([y, y]), rate)


def bext_chunk(description, originator, reference, date, time, time_reference):
    body = description.encode().ljust(256, b"\0") + originator.encode().ljust(32, b"\0")
    body += reference.encode().ljust(32, b"\0") + date.encode()[:10] + time.encode()[:8]
    body += struct.pack("<QH", time_reference, 1) + b"\0" * 64 + struct.pack("<5H", 0, 0, 0, 0, 0) + b"\0" * 180
    body += b"A=PCM,F=48000,W=16,M=mono,T=takevault sample generator\r\n"
    return chunk(b"bext", body)


def cue_chunks(markers):
    cue = struct.pack("<I", len(markers))
    labels = b"adtl"
    for i, (frame, label) in enumerate(markers, start=1):
        cue += struct.pack("<II4sIII", i, frame, b"data", 0, 0, frame)
        text = label.encode() + b"\0"
        labels += chunk(b"labl", struct.pack("<I", i) + text)
    return chunk(b"cue ", cue) + chunk(b"LIST", labels)


def main():
    rate = 48_000
    metadata = bext_chunk("Lead vocal, verse, take 3", "takevault samples", "TV-VOX-0003",
                          "2026-11-02", "19:42:07", 3600 * rate)
    metadata += cue_chunks([(0, "verse"), (72_000, "second line"), (144_000, "high note"), (216_000, "last line")])
    write_wav("voice-take-48k16-mono.wav", voice(rate), rate, 16, extra_chunks=metadata)
    write_wav("guitar-44k16-stereo.wav", guitar(), 44_100, 16)
    write_wav("keys-48k24-stereo.wav", keys(), 48_000, 24)
    write_wav("pad-48k-float32-mono.wav", pad(), 48_000, float32=True)
    write_wav("drums.tmp.wav", drums(), 44_100, 16)
    subprocess.run(["flac", "--silent", "--force", "-8", "-T", "TITLE=Drum loop 120 BPM",
                    "-o", path("drums-44k16-stereo.flac"), path("drums.tmp.wav")], check=True)
    os.remove(path("drums.tmp.wav"))
    write_wav("bass.tmp.wav", bass(), 48_000, 16)
    subprocess.run(["sox", path("bass.tmp.wav"), "-C", "3", path("bass-48k-stereo.ogg")], check=True)
    os.remove(path("bass.tmp.wav"))


if __name__ == "__main__":
    main()
