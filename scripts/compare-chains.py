#!/usr/bin/env python3
"""Times takevault's ingest against the command-line chains a user would otherwise script, as whole
processes on the same file, in one run (rounds rotate which chain goes first; medians reported):

  takevault        takevault ingest: analysis, FLAC master, levelled Opus preview, waveform, sealed
  ffmpeg loudnorm  two-pass loudnorm (measure, then linear normalisation) to Opus, and FLAC, all ffmpeg
  libebur128 chain  a libebur128 measurement (Benchmarks/Chains/ebur128-measure.c), flac for the master,
                   sox for gain and 48 kHz, opusenc for the preview

Every chain targets -16 LUFS and -1 dBTP at 128 kb/s; besides the takes given, a synthesised one-minute
take of quiet tone and sharp transients shows what each chain does when the ceiling binds. Each preview is then decoded (opusdec) and
measured with libebur128, so the table shows what each chain delivers as well as what it costs.
CPU time is user + system of the chain's processes (RUSAGE_CHILDREN).

Usage: compare-chains.py TAKEVAULT TAKE... [--rounds N] [--markdown FILE]
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("takevault")
parser.add_argument("takes", nargs="+")
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--markdown")
options = parser.parse_args()

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
scratch = tempfile.mkdtemp(prefix="takevault-chains-")
measure = os.path.join(scratch, "ebur128-measure")
subprocess.run(["gcc", "-O2", "-o", measure, os.path.join(root, "Benchmarks/Chains/ebur128-measure.c"),
                *subprocess.run(["pkg-config", "--cflags", "--libs", "libebur128", "sndfile"], capture_output=True, text=True, check=True).stdout.split(),
                "-lm"], check=True)

TARGET, CEILING, BITRATE = -16.0, -1.0, 128


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"{command[0] if isinstance(command, list) else command}: exit {result.returncode}\n{result.stderr[-2000:]}")
    return result


def takevault(take, out):
    vault = os.path.join(out, "vault")
    run([options.takevault, "init", "--vault", vault])
    started = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run([options.takevault, "ingest", "--vault", vault, "--owner", "bench", "--tier", "studio", "--json",
                  "--target-lufs", str(TARGET), "--ceiling-dbtp", str(CEILING), "--opus-bitrate", str(BITRATE * 1000), take])
    cost = elapsed(started)
    take = json.loads(result.stdout)["take_id"]
    run([options.takevault, "restore", "--vault", vault, take, "--artefact", "preview", "-o", os.path.join(out, "preview.opus")])
    return cost


def ffmpeg(take, out):
    started = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    spec = f"I={TARGET}:TP={CEILING}:LRA=20"
    first = run(["ffmpeg", "-hide_banner", "-nostats", "-i", take, "-af", f"loudnorm={spec}:print_format=json", "-f", "null", "-"])
    measured = json.loads(re.search(r"\{[^{}]*\}\s*$", first.stderr).group(0))
    second = (f"loudnorm={spec}:measured_I={measured['input_i']}:measured_TP={measured['input_tp']}:measured_LRA={measured['input_lra']}"
              f":measured_thresh={measured['input_thresh']}:offset={measured['target_offset']}:linear=true,aresample=48000,aformat=channel_layouts=mono|stereo")
    run(["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", take, "-af", second, "-c:a", "libopus", "-b:a", f"{BITRATE}k",
         "-compression_level", "10", os.path.join(out, "preview.opus")])
    run(["ffmpeg", "-hide_banner", "-nostats", "-y", "-i", take, "-c:a", "flac", "-compression_level", "5", os.path.join(out, "master.flac")])
    return elapsed(started)


def ebur128_chain(take, out):
    started = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    loudness, peak = map(float, run([measure, take]).stdout.split())
    gain = min(TARGET - loudness, CEILING - peak)   # linear gain; no limiter in this chain
    run(["flac", "-5", "--verify", "--silent", "-f", "-o", os.path.join(out, "master.flac"), take])
    run(["bash", "-o", "pipefail", "-c",
         f"sox '{take}' -t wav -b 24 - gain {gain:.3f} rate -v 48k | opusenc --quiet --bitrate {BITRATE} --comp 10 - '{out}/preview.opus'"])
    return elapsed(started)


def write_peaky_take(path, seconds=60, rate=48_000):
    """A quiet sustained tone with a sharp transient every half second: to reach the target its gain
    must push the transients far over the ceiling, so a chain needs a limiter (or falls short)."""
    import math
    import struct
    import wave
    frames = bytearray()
    for n in range(seconds * rate):
        value = 0.03 * math.sin(2 * math.pi * 220 * n / rate)
        if n % (rate // 2) < 96:
            value += 0.9 * math.sin(2 * math.pi * 3_000 * n / rate) * (1 - (n % (rate // 2)) / 96)
        sample = struct.pack("<i", int(max(-1.0, min(1.0, value)) * 8_388_607))[:3]
        frames += sample + sample
    with wave.open(path, "wb") as handle:
        handle.setnchannels(2)
        handle.setsampwidth(3)
        handle.setframerate(rate)
        handle.writeframes(bytes(frames))


def elapsed(started):
    wall, usage = started
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.monotonic() - wall, (now.ru_utime - usage.ru_utime) + (now.ru_stime - usage.ru_stime)


def preview_level(out):
    decoded = os.path.join(out, "preview.wav")
    run(["opusdec", "--quiet", "--float", os.path.join(out, "preview.opus"), decoded])
    return tuple(map(float, run([measure, decoded]).stdout.split()))


chains = [
    ("takevault ingest", "analysis, FLAC master, levelled Opus preview, waveform; sealed and stored", takevault),
    ("ffmpeg loudnorm two-pass", "FLAC master, Opus preview (loudnorm linear)", ffmpeg),
    ("libebur128 + flac + sox + opusenc", "FLAC master, Opus preview (linear gain, no limiter)", ebur128_chain),
]
peaky = os.path.join(scratch, "peaky-transients-60s.wav")
write_peaky_take(peaky)
rows = []
for take in options.takes + [peaky]:
    walls = {name: [] for name, _, _ in chains}
    cpus = {name: [] for name, _, _ in chains}
    levels = {}
    for round_index in range(options.rounds):
        order = chains[round_index % len(chains):] + chains[:round_index % len(chains)]
        for name, _, chain in order:
            out = tempfile.mkdtemp(dir=scratch)
            wall, cpu = chain(take, out)
            walls[name].append(wall)
            cpus[name].append(cpu)
            levels[name] = preview_level(out)
            shutil.rmtree(out)
    base = statistics.median(cpus["takevault ingest"])
    for name, produces, _ in chains:
        wall, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        loudness, peak = levels[name]
        rows.append(f"| {os.path.basename(take)} | {name} | {produces} | {wall:.2f} | {cpu:.2f} | {cpu / base:.2f} | {loudness:.2f} | {peak:.2f} |")
        print(f"{os.path.basename(take)}: {name}: wall {wall:.2f} s, CPU {cpu:.2f} s ({cpu / base:.2f}× takevault); preview {loudness:.2f} LUFS, {peak:.2f} dBTP")

if options.markdown:
    versions = " ".join(subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split()[:3])
    with open(options.markdown, "a") as handle:
        handle.write("\n## Command-line chains\n\n")
        handle.write(f"Written by `scripts/compare-chains.py` ({options.rounds} rounds, medians), each take through each chain; "
                     f"every chain targets {TARGET:g} LUFS and {CEILING:g} dBTP at {BITRATE} kb/s. Preview LUFS and dBTP are libebur128's, "
                     f"measured on the decoded preview. {versions}.\n\n")
        handle.write("| take | chain | produces | wall s | CPU s | CPU vs takevault | preview LUFS | preview dBTP |\n|---|---|---|---|---|---|---|---|\n")
        handle.write("\n".join(rows) + "\n")
shutil.rmtree(scratch)
