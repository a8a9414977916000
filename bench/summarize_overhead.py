#!/usr/bin/python3
"""Turns one bench-overhead.sh run into overhead.csv / .json / .md and two
PNG plots. Usage: summarize_overhead.py WORK_DIR OUT_DIR"""
import glob
import json
import math
import os
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

work, out = sys.argv[1], sys.argv[2]
machine = dict(line.rstrip("\n").split("=", 1) for line in open(f"{work}/machine.txt") if "=" in line)

# Record sealing rates (GB/s) of OpenSSL's AES-128-GCM on 16 KiB records:
# "record_seal_openssl=4.3 GB/s  # ..." and "record_seal_novaes=4.2 GB/s  # ..., VAES hidden".
crypto_text = open(f"{work}/crypto.txt").read()
seal_rates = {k: float(v) * 1e9 for k, v in re.findall(r"record_seal_(\w+)=([0-9.]+)", crypto_text)}
seal_names = dict(re.findall(r"record_seal_(\w+)=[0-9.]+ GB/s +# (.*)", crypto_text))
aes_rate = seal_rates["openssl"]  # what tls uses
gemm = [float(v) for v in re.findall(r"gemm_peak_gflops=([0-9.]+)", open(f"{work}/gemm.txt").read())]
fused = [float(v) for v in re.findall(r"gemm_fused_topk_gflops=([0-9.]+)", open(f"{work}/gemm.txt").read())]
gemm_rate = min(gemm) * 1e9  # per core with every core busy, as in the job
pingpong = json.load(open(f"{work}/pingpong.json"))
# Rounds that alternate an independent ping-pong (plain MPI; plain TCP) with
# ringsim's own (mpi; tcp and tls): medians per size over the rounds.


def independent_rounds(pattern):
    """{bytes: median MB/s} over files of "bytes median_us MB/s" lines."""
    rounds = {}
    for path in sorted(glob.glob(f"{work}/{pattern}")):
        for b, _, mbps in (line.split() for line in open(path)):
            rounds.setdefault(int(b), []).append(float(mbps))
    return {b: statistics.median(v) for b, v in rounds.items()}


def ringsim_rounds(pattern):
    """{(transport, bytes): median ping-pong MB/s} over `ringsim bench transport --out` files."""
    rounds = {}
    for path in sorted(glob.glob(f"{work}/{pattern}")):
        for p in json.load(open(path)):
            if p["test"] == "pingpong":
                rounds.setdefault((p["transport"], p["bytes"]), []).append(p["bandwidth_MBps"])
    return {k: statistics.median(v) for k, v in rounds.items()}


plain = independent_rounds("plain_pingpong.*.txt")
plain_tcp = independent_rounds("plain_tcp.*.txt")
ringsim_check = {**ringsim_rounds("mpi_check.*.json"), **ringsim_rounds("socket_check.*.json")}

# The 4 MiB rounds: per round, ringsim's tcp / tls / tls-serial (and
# tls-openssl where run) ping-pong (one process, alternating, with its own
# cipher rate) and the plain TCP ping-pong after it.
goal_rounds = []
for path in sorted(glob.glob(f"{work}/goal_4mib.*.json"), key=lambda p: int(p.split(".")[-2])):
    rates = {p["transport"]: p["bandwidth_MBps"] for p in json.load(open(path)) if p["test"] == "pingpong"}
    rates["cipher"] = statistics.median(p["cipher_seal_MBps"] for p in json.load(open(path)) if p["test"] == "pingpong")
    plain_path = path.replace("goal_4mib", "goal_plain_tcp").replace(".json", ".txt")
    rates["plain tcp"] = float(open(plain_path).read().split()[2])
    goal_rounds.append(rates)

# ---- raw runs
runs = []
for path in sorted(glob.glob(f"{work}/runs/*.json")):
    rows, cols, transport, rep = re.match(r".*/r(\d+)-d(\d+)-([\w-]+)-(\d+)\.json", path).groups()
    r = json.load(open(path))
    ranks = r["ranks"]
    runs.append({
        "rows_per_rank": int(rows), "d": int(cols), "n": r["n"], "P": r["P"], "transport": transport, "rep": int(rep),
        "wall_s": r["wall_seconds"],
        "compute_s": max(q["seconds"]["compute"] for q in ranks),
        "wait_s": max(q["seconds"]["communication_wait"] for q in ranks),
        "handshake_s": max(q["transport"]["handshake_seconds"] for q in ranks),
        "encrypt_s": max(q["transport"]["encrypt_seconds"] for q in ranks),
        "decrypt_s": max(q["transport"]["decrypt_seconds"] for q in ranks),
        "bytes_sent_per_rank": max(q["transport"]["bytes_sent"] for q in ranks),
        "gflops_per_rank": statistics.mean(q["gflops"] for q in ranks),
        "cipher_suite": r["cipher_suite"], "tls_crypto": r.get("tls_crypto", ""),
        "gemm_backend": r.get("gemm_backend", ""),
    })

with open(f"{out}/overhead.csv", "w") as f:
    keys = list(runs[0].keys())
    f.write(",".join(keys) + "\n")
    for run in runs:
        f.write(",".join(str(run[k]) for k in keys) + "\n")


def ring_rate(transport, size):
    """Ring bandwidth (bytes/s) measured at the size closest to `size`."""
    rows = [p for p in pingpong if p["transport"] == transport and p["test"] == "ring"]
    best = min(rows, key=lambda p: abs(math.log(p["bytes"]) - math.log(max(size, 1))))
    return best["bandwidth_MBps"] * 1e6


# Series: only those the run measured. tls-openssl (TLS records in user
# space only) is run only where the kernel offers kTLS: elsewhere it is the
# same record layer as tls. tls-serial (bench transport only): TLS without
# pipelined sending or receiving, what the pipelining gains.
JOB_T = [t for t in ("mpi", "tcp", "tls", "tls-openssl") if any(r["transport"] == t for r in runs)]
PP_T = [t for t in ("mpi", "tcp", "tls", "tls-serial", "tls-openssl") if any(p["transport"] == t for p in pingpong)]
GOAL_T = [t for t in ("tcp", "tls", "tls-serial", "tls-openssl") if goal_rounds and t in goal_rounds[0]]


def rep_ratios(rows, d, a, b):
    """wall(a) / wall(b) within each repetition (the two ran side by side)."""
    wall = {(r["transport"], r["rep"]): r["wall_s"] for r in runs if (r["rows_per_rank"], r["d"]) == (rows, d)}
    return [wall[(a, k)] / wall[(b, k)] for (t, k) in sorted(wall) if t == a and (b, k) in wall]


def band(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


# ---- medians and the cost model
configs = sorted({(r["rows_per_rank"], r["d"]) for r in runs})
table = []
for rows, d in configs:
    med = {}
    for t in JOB_T:
        sel = [r for r in runs if (r["rows_per_rank"], r["d"], r["transport"]) == (rows, d, t)]
        med[t] = {k: statistics.median(r[k] for r in sel) for k in
                  ("wall_s", "compute_s", "wait_s", "handshake_s", "encrypt_s", "decrypt_s", "bytes_sent_per_rank",
                   "gflops_per_rank")}
    n, P = rows * 2, 2
    flops_per_rank = n * n * d / P  # symmetric: n^2/2 pairs x 2d flops, split over P ranks
    block_bytes = rows * d * 4
    compute = flops_per_rank / gemm_rate
    transfer = med["tls"]["bytes_sent_per_rank"] / ring_rate("tcp", block_bytes)
    crypto = 2 * med["tls"]["bytes_sent_per_rank"] / aes_rate  # encrypt what we send, decrypt what we receive
    overlap = compute  # the next block travels while the current one is computed
    predicted = compute + max(0.0, transfer + crypto - overlap)
    table.append({
        "rows_per_rank": rows, "d": d, "n": n,
        "mpi_s": med["mpi"]["wall_s"], "tcp_s": med["tcp"]["wall_s"], "tls_s": med["tls"]["wall_s"],
        **({"tls_openssl_s": med["tls-openssl"]["wall_s"],
            "tls_openssl_over_tcp": med["tls-openssl"]["wall_s"] / med["tcp"]["wall_s"]} if "tls-openssl" in med else {}),
        "tls_over_tcp": med["tls"]["wall_s"] / med["tcp"]["wall_s"],
        "tls_over_mpi": med["tls"]["wall_s"] / med["mpi"]["wall_s"],
        "tls_over_tcp_per_rep": band(rep_ratios(rows, d, "tls", "tcp")),
        "tls_over_mpi_per_rep": band(rep_ratios(rows, d, "tls", "mpi")),
        "tcp_over_mpi_per_rep": band(rep_ratios(rows, d, "tcp", "mpi")),
        "tls_compute_s": med["tls"]["compute_s"], "tls_wait_s": med["tls"]["wait_s"],
        "tcp_wait_s": med["tcp"]["wait_s"],
        "handshake_s": med["tls"]["handshake_s"], "encrypt_s": med["tls"]["encrypt_s"],
        "decrypt_s": med["tls"]["decrypt_s"], "gflops_per_rank": med["tls"]["gflops_per_rank"],
        "model_compute_s": compute, "model_transfer_s": transfer, "model_crypto_s": crypto,
        "model_tls_compute_plus_comm_s": predicted,
        "measured_tls_compute_plus_wait_s": med["tls"]["compute_s"] + med["tls"]["wait_s"],
    })

pp_rows = []
for size in sorted({p["bytes"] for p in pingpong}):
    row = {"bytes": size}
    for t in PP_T:
        for test in ("pingpong", "ring"):
            sel = [p for p in pingpong if p["transport"] == t and p["test"] == test and p["bytes"] == size]
            row[f"{t}_{test}_MBps"] = sel[0]["bandwidth_MBps"] if sel else float("nan")
            if test == "pingpong" and sel:
                row[f"{t}_latency_us"] = sel[0]["median_seconds"] * 1e6
    row["plain_mpi_pingpong_MBps"] = plain.get(size, float("nan"))
    row["mpi_alternating_MBps"] = ringsim_check.get(("mpi", size), float("nan"))
    row["mpi_over_plain"] = row["mpi_alternating_MBps"] / row["plain_mpi_pingpong_MBps"]
    row["plain_tcp_pingpong_MBps"] = plain_tcp.get(size, float("nan"))
    row["tcp_alternating_MBps"] = ringsim_check.get(("tcp", size), float("nan"))
    row["tls_alternating_MBps"] = ringsim_check.get(("tls", size), float("nan"))
    row["tls_over_plain_tcp"] = row["tls_alternating_MBps"] / row["plain_tcp_pingpong_MBps"]
    row["tls_over_tcp_alternating"] = row["tls_alternating_MBps"] / row["tcp_alternating_MBps"]
    row["tls_over_tcp_pingpong"] = row["tls_pingpong_MBps"] / row["tcp_pingpong_MBps"]
    for t in PP_T[3:]:
        row[f"{t.replace('-', '_')}_over_tcp_pingpong"] = row[f"{t}_pingpong_MBps"] / row["tcp_pingpong_MBps"]
    row["cipher_seal_MBps"] = next((p.get("cipher_seal_MBps") for p in pingpong if p["bytes"] == size), None)
    pp_rows.append(row)

summary = {"machine": machine, "record_seal_bytes_per_second": seal_rates, "record_sealers": seal_names,
           "gemm_peak_gflops_per_core": min(gemm),
           "gemm_fused_topk_gflops_per_core": min(fused) if fused else None,
           "overhead": table, "pingpong": pp_rows, "runs": runs, "pingpong_samples": pingpong,
           "goal_4mib_rounds": goal_rounds}
json.dump(summary, open(f"{out}/overhead.json", "w"), indent=1)

# ---- markdown
def cell(b):
    return f"{b['median']:.2f} ({b['min']:.2f}-{b['max']:.2f})"


extra_job = [t for t in JOB_T if t not in ("mpi", "tcp", "tls")]
md = [f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, {machine.get('memory_gib')} GiB; "
      f"{machine.get('openssl')}; {machine.get('date')}; git {machine.get('git_revision')}; "
      f"load average {machine.get('load', '?')}. "
      f"Reproduce: `{machine.get('command')}`.", "",
      f"TLS record sealing, AES-128-GCM, 16 KiB records, 1 core (`openssl speed`): "
      f"{seal_rates['openssl'] / 1e9:.2f} GB/s with {seal_names.get('openssl', '?')}, "
      f"{seal_rates.get('novaes', 0) / 1e9:.2f} GB/s with VAES hidden. "
      f"GEMM (1024x1024x256, per core, all cores "
      f"busy): {min(gemm):.0f} GFLOP/s peak, {min(fused) if fused else float('nan'):.0f} with fused top-k. "
      f"{machine.get('series_note', '')}", "",
      f"Similarity job, P = 2, k = 10, median wall seconds over {max(r['rep'] for r in runs)} repetitions "
      "(transports alternated); the ratios are taken within each repetition (side by side): median (min-max):", "",
      "| rows/rank | d | " + " | ".join(f"{t} s" for t in JOB_T) + " | tls/tcp | tls/mpi | tcp/mpi | tls compute s "
      "| tls wait s | handshake s | encrypt s | decrypt s | GFLOP/s/rank | model tls s | measured s |",
      "|---:|---:|" + "---:|" * (len(JOB_T) + 11)]
for r in table:
    walls = " | ".join(f"{r[t.replace('-', '_') + '_s']:.3f}" for t in JOB_T)
    md.append(f"| {r['rows_per_rank']} | {r['d']} | {walls} | {cell(r['tls_over_tcp_per_rep'])} | "
              f"{cell(r['tls_over_mpi_per_rep'])} | {cell(r['tcp_over_mpi_per_rep'])} | "
              f"{r['tls_compute_s']:.3f} | {r['tls_wait_s']:.3f} | "
              f"{r['handshake_s']:.4f} | {r['encrypt_s']:.4f} | {r['decrypt_s']:.4f} | {r['gflops_per_rank']:.0f} | "
              f"{r['model_tls_compute_plus_comm_s']:.3f} | {r['measured_tls_compute_plus_wait_s']:.3f} |")
md += ["", "Model: predicted = compute + max(0, transfer + crypto - overlap), with compute = flops per rank / "
       "GEMM rate, transfer = bytes sent per rank / tcp ring bandwidth at the block size, crypto = 2 x bytes / "
       "record sealing rate, overlap = compute (the next block travels while this one is computed). 'measured' is the "
       "tls run's compute + communication wait (the ring phase the model describes).", "",
       "Ping-pong (one-way, median) and ring bandwidth per transport, MB/s; 'cipher' is one core's AES-128-GCM "
       "sealing rate on 16 KiB records measured by the same process between the transports' rounds. tls-serial "
       "is tls without pipelining (seal, then send; read, then open). 'mpi (alt.)' and 'plain MPI' are "
       "medians of three rounds that alternate ringsim's mpi ping-pong with an independent plain MPI ping-pong "
       "(bench/plain_pingpong.cpp); 'mpi/plain' is their ratio. 'plain TCP' is an independent blocking-socket "
       "loopback ping-pong (bench/plain_tcp_pingpong.cpp) alternated the same way with ringsim's tcp and tls "
       "ping-pong ('tls/tcp (alt.)', 'tls/plain TCP').", "",
       "| bytes | " + " | ".join(PP_T) + " | cipher | tls/cipher | ring tls/cipher | mpi (alt.) | plain MPI | mpi/plain "
       "| tls/tcp | plain TCP | tls/tcp (alt.) | tls/plain TCP | " + " | ".join(f"ring {t}" for t in PP_T) + " |",
       "|---:|" + "---:|" * (2 * len(PP_T) + 10)]
for r in pp_rows:
    c = r["cipher_seal_MBps"] or float("nan")
    md.append(f"| {r['bytes']} | " + " | ".join(f"{r[t + '_pingpong_MBps']:.0f}" for t in PP_T) +
              f" | {c:.0f} | {r['tls_pingpong_MBps'] / c:.2f} | {r['tls_ring_MBps'] / c:.2f} | "
              f"{r['mpi_alternating_MBps']:.0f} | {r['plain_mpi_pingpong_MBps']:.0f} | {r['mpi_over_plain']:.2f} | "
              f"{r['tls_over_tcp_pingpong']:.2f} | "
              f"{r['plain_tcp_pingpong_MBps']:.0f} | {r['tls_over_tcp_alternating']:.2f} | "
              f"{r['tls_over_plain_tcp']:.2f} | " + " | ".join(f"{r[t + '_ring_MBps']:.0f}" for t in PP_T) + " |")
if goal_rounds:
    def ratio(r, a, b):
        return r[a] / r[b]

    columns = [(t, "tcp") for t in GOAL_T if t != "tcp"] + [("tls", "plain tcp"), ("tls", "cipher")]
    md += ["", f"4 MiB ping-pong, {len(goal_rounds)} rounds (MB/s one-way medians; each round one "
           f"`bench transport` process alternating {', '.join(GOAL_T)} and measuring its cipher rate, then the "
           "independent plain TCP ping-pong):", "",
           "| round | " + " | ".join(GOAL_T) + " | plain TCP | cipher | " + " | ".join(f"{a}/{b}" for a, b in columns) + " |",
           "|---:|" + "---:|" * (len(GOAL_T) + 2 + len(columns))]
    for i, r in enumerate(goal_rounds, 1):
        md.append(f"| {i} | " + " | ".join(f"{r[t]:.0f}" for t in GOAL_T) +
                  f" | {r['plain tcp']:.0f} | {r['cipher']:.0f} | " +
                  " | ".join(f"{ratio(r, a, b):.2f}" for a, b in columns) + " |")
    cells = []
    for a, b in columns:
        values = [ratio(r, a, b) for r in goal_rounds]
        cells.append(f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})")
    md.append(f"| median (range) |{' |' * (len(GOAL_T) + 2)} {' | '.join(cells)} |")
open(f"{out}/overhead.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))

# ---- plots
# Each point: the median over the repetitions of the ratio taken within one
# repetition; the bar spans the smallest to the largest such ratio.
fig, ax = plt.subplots(figsize=(7.5, 4.8))
series = (("tls_over_tcp_per_rep", "tls / tcp", "o-"), ("tls_over_mpi_per_rep", "tls / mpi", "s--"))
ds = sorted({r["d"] for r in table})
for j, d in enumerate(ds):
    sel = [r for r in table if r["d"] == d]
    for k, (key, label, style) in enumerate(series):
        # nudge the x positions apart so the bars do not hide one another
        xs = [r["rows_per_rank"] * (1 + 0.04 * (2 * j + k - 1.5)) for r in sel]
        mid = [r[key]["median"] for r in sel]
        err = [[r[key]["median"] - r[key]["min"] for r in sel], [r[key]["max"] - r[key]["median"] for r in sel]]
        ax.errorbar(xs, mid, yerr=err, fmt=style, capsize=3, label=f"{label}, d = {d}")
ax.axhline(1.0, color="gray", lw=0.8)
ax.axhline(1.05, color="red", lw=0.8, ls=":", label="1.05")
ax.set_xscale("log")
ax.set_xlabel("rows per rank")
ax.set_ylabel("wall-time ratio, median and range over repetitions")
ax.set_title(f"Cost of TLS for the similarity job (P = 2, {max(r['rep'] for r in runs)} repetitions), "
             f"{machine.get('date', '')[:10]}", fontsize=10)
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{out}/overhead.png", dpi=120)

fig, ax = plt.subplots(figsize=(7, 4.5))
sizes = [r["bytes"] for r in pp_rows]
keys = [(f"{t}_pingpong_MBps", t) for t in PP_T] + [
    ("plain_mpi_pingpong_MBps", "plain MPI (independent)"), ("plain_tcp_pingpong_MBps", "plain TCP (independent)"),
    ("tls_ring_MBps", "tls ring (both ways)"), ("cipher_seal_MBps", "cipher, one core (same process)")]
for key, label in keys:
    ax.plot(sizes, [r[key] if r[key] is not None else float("nan") for r in pp_rows],
            "o-" if "plain" not in key and "cipher" not in key else "x:", label=label)
ax.set_xscale("log", base=2)
ax.set_yscale("log")
ax.set_xlabel("message size (bytes)")
ax.set_ylabel("bandwidth (MB/s, one-way median)")
ax.set_title("Ping-pong bandwidth per transport (2 ranks, one host)")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{out}/pingpong.png", dpi=120)
print(f"wrote {out}/overhead.csv, overhead.json, overhead.md, overhead.png, pingpong.png")
