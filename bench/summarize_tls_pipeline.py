#!/usr/bin/env python3
"""Summarises scripts/bench/bench-tls-pipeline.sh: DIR/runs/run-K.json -> DIR/tls-pipeline.{md,json}.

Per test (pingpong, ring), size and transport: the run medians' median and
range of MB/s and of MB/s over the same run's cipher rate, the cores the
transport kept busy and its CPU time per byte; then ratios taken inside each
run (tls / tcp, tls / tls-serial-receive, tls / tls-serial), as min / median
/ max over the runs; then the most any TLS over this machine's TCP could move
(its CPU floor: tcp's CPU per byte plus one seal and one open per byte).
"""
import json
import math
import pathlib
import statistics
import sys

out = pathlib.Path(sys.argv[1])
runs = [json.loads(p.read_text()) for p in sorted(out.glob("runs/run-*.json"))]
if not runs:
    sys.exit(f"no runs in {out}/runs")
machine = dict(
    line.split("=", 1) for line in (out / "machine.txt").read_text().splitlines() if "=" in line
)

order = ["tcp", "tls", "tls-serial-receive", "tls-serial"]
# (test, bytes, transport) -> per run: (MB/s, cipher MB/s, cores busy, CPU ns per byte, CPU ceiling MB/s)
table = {}
for run in runs:
    for row in run:
        # Runs from before the CPU accounting (no busy_cores) summarise with NaN there.
        table.setdefault((row["test"], row["bytes"], row["transport"]), []).append(
            (row["bandwidth_MBps"], row["cipher_seal_MBps"], row.get("busy_cores", math.nan),
             row.get("cpu_ns_per_byte", math.nan), row.get("cpu_ceiling_MBps", math.nan))
        )
cores = runs[0][0].get("cores", "?")


def spread(values, digits):
    values = sorted(values)
    return f"{statistics.median(values):.{digits}f} ({values[0]:.{digits}f}-{values[-1]:.{digits}f})"


def stats(values):
    values = sorted(values)
    return {"min": values[0], "median": statistics.median(values), "max": values[-1]}


summary = []
lines = [
    "# Pipelined TLS records on one edge",
    "",
    f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores, {machine.get('openssl', '?')}; "
    f"{machine.get('link', '?')}; {len(runs)} runs; {machine.get('date', '?')}, git {machine.get('git_revision', '?')}; "
    f"load average before {machine.get('load_before', '?')}, after {machine.get('load_after', '?')}.",
    "",
    f"Remade by: `{machine.get('command', '?')}`",
    "",
    "MB/s one way (ping-pong: half a round trip; ring: both directions at once, per direction), "
    "median over runs of each run's median (range over runs); /cipher: against one core's AES-128-GCM "
    "sealing rate measured in the same run. tls: pipelined sending and receiving; tls-serial-receive: "
    "pipelined sending only; tls-serial: neither. busy: the cores the transport kept busy (CPU seconds of "
    f"every rank over wall seconds; {cores} available); CPU ns/B: CPU time of every rank per byte moved; "
    "ceiling: the rate at which that CPU work would fill every core, over the cipher rate.",
    "",
    "| test | size | transport | MB/s | /cipher | busy | CPU ns/B | ceiling/cipher |",
    "|---|---:|---|---:|---:|---:|---:|---:|",
]
tests = sorted({k[0] for k in table}, key=lambda t: ["pingpong", "ring"].index(t))
sizes = sorted({k[1] for k in table})
for test in tests:
    for size in sizes:
        for transport in [t for t in order if (test, size, t) in table]:
            samples = table[(test, size, transport)]
            rates = [s[0] for s in samples]
            over = [s[0] / s[1] for s in samples]
            busy = [s[2] for s in samples]
            cpu = [s[3] for s in samples]
            ceiling = [s[4] / s[1] for s in samples]
            lines.append(
                f"| {test} | {size >> 20} MiB | {transport} | {spread(rates, 0)} | {spread(over, 2)} | "
                f"{spread(busy, 2)} | {spread(cpu, 2)} | {spread(ceiling, 2)} |"
            )
            summary.append(
                {"test": test, "bytes": size, "transport": transport, "MBps": stats(rates),
                 "over_cipher": stats(over), "cipher_MBps": stats([s[1] for s in samples]),
                 "busy_cores": stats(busy), "cpu_ns_per_byte": stats(cpu), "ceiling_over_cipher": stats(ceiling)}
            )
lines += [
    "",
    "Ratios inside each run, min / median / max over the runs:",
    "",
    "| test | size | tls/tcp | tls/tls-serial-receive | tls/tls-serial |",
    "|---|---:|---:|---:|---:|",
]
for test in tests:
    for size in sizes:
        cells = []
        for other in ["tcp", "tls-serial-receive", "tls-serial"]:
            a, b = table.get((test, size, "tls")), table.get((test, size, other))
            if not a or not b:
                cells.append("-")
                continue
            ratios = sorted(x[0] / y[0] for x, y in zip(a, b))
            cells.append(f"{ratios[0]:.2f} / {statistics.median(ratios):.2f} / {ratios[-1]:.2f}")
            summary.append({"test": test, "bytes": size, "ratio": f"tls/{other}", **stats(ratios)})
        lines.append(f"| {test} | {size >> 20} MiB | " + " | ".join(cells) + " |")
if any(k[2] == "tcp" for k in table):
    lines += [
        "",
        "The most any TLS over this machine's TCP could move, per run: tcp's CPU per byte plus one AES-128-GCM "
        "seal and one open per byte at the run's cipher rate (the cipher work no record layer avoids), with "
        f"all {cores} cores doing nothing else; over the cipher rate, and over tcp's measured rate (at most 1: "
        "TLS moves no more than tcp on the same link), min / median / max over the runs. "
        "Where it is below a target, no TLS transport over TCP meets that target on this machine.",
        "",
        "| test | size | tcp CPU ns/B | + seal and open ns/B | any TLS: ceiling/cipher | tls measured/cipher "
        "| any TLS: most/tcp | tls measured/tcp |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for test in tests:
        for size in sizes:
            tcp, tls = table.get((test, size, "tcp")), table.get((test, size, "tls"))
            if not tcp:
                continue
            # A transport's ceiling is inversely proportional to its CPU per byte.
            cipher_ns = [2 * 1e3 / t[1] for t in tcp]
            bound = [t[4] * t[3] / (t[3] + c) / t[1] for t, c in zip(tcp, cipher_ns)]
            # Against tcp: TLS moves no more than tcp does on the same link, nor than its ceiling.
            bound_tcp = [min(1.0, b * t[1] / t[0]) for b, t in zip(bound, tcp)]
            measured = [t[0] / t[1] for t in tls] if tls else []
            measured_tcp = [x[0] / t[0] for x, t in zip(tls, tcp)] if tls else []

            def mmm(values):
                return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}" if values else "-"

            lines.append(
                f"| {test} | {size >> 20} MiB | {spread([t[3] for t in tcp], 2)} | {spread(cipher_ns, 2)} | "
                f"{mmm(bound)} | {mmm(measured)} | {mmm(bound_tcp)} | {mmm(measured_tcp)} |"
            )
            summary.append({"test": test, "bytes": size, "any_tls_ceiling_over_cipher": stats(bound),
                            "any_tls_most_over_tcp": stats(bound_tcp)})
(out / "tls-pipeline.md").write_text("\n".join(lines) + "\n")
(out / "tls-pipeline.json").write_text(json.dumps({"machine": machine, "cores": cores, "rows": summary}, indent=1) + "\n")
print("\n".join(lines))
