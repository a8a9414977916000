#!/usr/bin/env python3
"""Summarises scripts/bench-tls-pipeline.sh: DIR/runs/run-K.json -> DIR/tls-pipeline.{md,json}.

Per test (pingpong, ring), size and transport: the run medians' median and
range of MB/s and of MB/s over the same run's cipher rate; then ratios taken
inside each run (tls / tcp, tls / tls-serial-receive, tls / tls-serial), as
min / median / max over the runs.
"""
import json
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
# (test, bytes, transport) -> per run: (MB/s, cipher MB/s)
table = {}
for run in runs:
    for row in run:
        table.setdefault((row["test"], row["bytes"], row["transport"]), []).append(
            (row["bandwidth_MBps"], row["cipher_seal_MBps"])
        )


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
    "pipelined sending only; tls-serial: neither.",
    "",
    "| test | size | transport | MB/s | /cipher |",
    "|---|---:|---|---:|---:|",
]
tests = sorted({k[0] for k in table}, key=lambda t: ["pingpong", "ring"].index(t))
sizes = sorted({k[1] for k in table})
for test in tests:
    for size in sizes:
        for transport in [t for t in order if (test, size, t) in table]:
            samples = table[(test, size, transport)]
            rates = [s[0] for s in samples]
            over = [s[0] / s[1] for s in samples]
            lines.append(
                f"| {test} | {size >> 20} MiB | {transport} | {spread(rates, 0)} | {spread(over, 2)} |"
            )
            summary.append(
                {"test": test, "bytes": size, "transport": transport, "MBps": stats(rates),
                 "over_cipher": stats(over), "cipher_MBps": stats([s[1] for s in samples])}
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
(out / "tls-pipeline.md").write_text("\n".join(lines) + "\n")
(out / "tls-pipeline.json").write_text(json.dumps({"machine": machine, "rows": summary}, indent=1) + "\n")
print("\n".join(lines))
