#!/usr/bin/python3
"""Turns one scripts/bench/bench-netns-encryption.sh run (OUT_DIR: machine.txt,
runs.csv, reports/*.json) into netns-encryption.md / .json / .png, with the
IPsec (ESP) estimate beside the TLS figures. Usage: summarize_netns_encryption.py OUT_DIR"""
import csv
import glob
import json
import os
import re
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

out = sys.argv[1]
machine = dict(line.rstrip("\n").split("=", 1) for line in open(f"{out}/machine.txt") if "=" in line)
cipher = [float(machine[k]) * 1e6 for k in ("cipher_before_MBps", "cipher_after_MBps") if k in machine]
cipher_packet = [float(machine[k]) * 1e6 for k in ("cipher_packet_before_MBps", "cipher_packet_after_MBps")
                 if k in machine]
cipher_rate = statistics.mean(cipher)  # one core, AES-128-GCM, 16 KiB records (TLS)
packet_rate = statistics.mean(cipher_packet)  # the same on 1412-byte packets (ESP at MTU 1500)
VARIANTS = ("tcp", "tls-inter-host", "tls-all")

# Wire bytes per payload byte at MTU 1500 (IPv4, TCP with timestamps: 52
# bytes of headers, 1448 of payload per full packet). TLS 1.3 adds 22 bytes
# (5 header, 1 content type, 16 tag) per 16 KiB record; ESP in transport
# mode with AES-GCM-128 (rfc4106) adds SPI + sequence (8), IV (8), pad length
# and next header (2, padding to 4 bytes: 0-3) and the ICV (16): 36 bytes per
# packet, whose TCP payload shrinks to 1412 bytes for the same MTU.
MTU, HEADERS, ESP = 1500, 52, 36
tcp_payload = MTU - HEADERS
esp_payload = tcp_payload - ESP
tls_wire = 1 + 22 / 16384
esp_wire = tcp_payload / esp_payload  # packets per byte grow by this factor


def link_rate(text):
    value, unit = re.match(r"([0-9.]+)([a-z]+)", text).groups()
    return float(value) * {"gbit": 1e9, "mbit": 1e6}[unit] / 8  # bytes/s


runs = []
for row in csv.DictReader(open(f"{out}/runs.csv")):
    path = f"{out}/reports/h{row['hosts']}-{row['rate']}-{row['variant']}-{row['rep']}.json"
    if row["exit"] != "0" or not os.path.exists(path):
        continue
    r = json.load(open(path))
    ranks = r["ranks"]
    per_host = len(ranks) // int(row["hosts"])
    cross_bytes, edge_rates = [], []
    for q in ranks:
        ring = q["seconds"]["ring"]
        for e in q["transport"].get("edges", []):
            if e["peer"] // per_host != q["rank"] // per_host:
                cross_bytes.append(e["bytes_sent"])
                if ring > 0 and e["bytes_sent"] > 0:
                    edge_rates.append(e["bytes_sent"] / ring)
    encrypted = sum(e["encrypted"] for q in ranks for e in q["transport"].get("edges", []))
    runs.append({
        "hosts": int(row["hosts"]), "rate": row["rate"], "variant": row["variant"], "rep": int(row["rep"]),
        "end_to_end_s": float(row["end_to_end_s"]), "load1": float(row["load1"]),
        "wall_s": r["wall_seconds"], "ring_s": max(q["seconds"]["ring"] for q in ranks),
        "compute_s": max(q["seconds"]["compute"] for q in ranks),
        "wait_s": max(q["seconds"]["communication_wait"] for q in ranks),
        "encrypt_s": max(q["transport"]["encrypt_seconds"] for q in ranks),
        "decrypt_s": max(q["transport"]["decrypt_seconds"] for q in ranks),
        "cross_host_bytes_per_rank": max(cross_bytes) if cross_bytes else 0,
        "edge_MBps": max(edge_rates) / 1e6 if edge_rates else 0.0,
        "encrypted_edge_ends": encrypted,
        "P": r["P"], "n": r["n"], "d": r["d"],
    })


def spread(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


table = []
for hosts in sorted({r["hosts"] for r in runs}):
    for rate in sorted({r["rate"] for r in runs if r["hosts"] == hosts}, key=link_rate):
        sel = {v: [r for r in runs if (r["hosts"], r["rate"], r["variant"]) == (hosts, rate, v)] for v in VARIANTS}
        if not all(sel.values()):
            continue
        tcp_ring = {r["rep"]: r["ring_s"] for r in sel["tcp"]}
        link = link_rate(rate)
        for v in VARIANTS:
            rs = sel[v]
            # tcp's ring time over this variant's, within each repetition (side by side)
            ratios = [tcp_ring[r["rep"]] / r["ring_s"] for r in rs if r["rep"] in tcp_ring and r["ring_s"] > 0]
            cross = statistics.median(r["cross_host_bytes_per_rank"] for r in rs)
            row = {"hosts": hosts, "rate": rate, "variant": v, "P": rs[0]["P"], "n": rs[0]["n"], "d": rs[0]["d"],
                   "wall_s": spread([r["wall_s"] for r in rs]),
                   "end_to_end_s": spread([r["end_to_end_s"] for r in rs]),
                   "ring_s": spread([r["ring_s"] for r in rs]),
                   "edge_MBps": spread([r["edge_MBps"] for r in rs]),
                   "ring_throughput_vs_tcp": spread(ratios) if ratios else None,
                   "cross_host_bytes_per_rank": cross,
                   "encrypted_edge_ends": rs[0]["encrypted_edge_ends"],
                   "load1": spread([r["load1"] for r in rs])}
            if v == "tcp":
                # ESP estimate for the same bytes: one AES-GCM pass per side on
                # 1412-byte packets, not overlapped (an upper bound on busy
                # cores), plus the extra wire bytes at the link's rate.
                row["esp_estimate_extra_s"] = 2 * cross / packet_rate + cross * (esp_wire - 1) / link
                row["esp_estimate_ring_s"] = row["ring_s"]["median"] + row["esp_estimate_extra_s"]
                row["tls_model_extra_s"] = 2 * cross / cipher_rate + cross * (tls_wire - 1) / link
            table.append(row)

# Link rate above which TLS costs more than 5 %: an edge moves min(link, C)
# where C is what one edge's sealing and opening sustain, serial or
# pipelined (send(2) returns once the kernel holds the bytes, so the wire
# drains the socket buffer while the next records are sealed); tcp moves
# min(link, T). Below C, TLS costs nothing on the wire; it costs > 5 % once
# min(link, T) > 1.05 x C, i.e. from link = 1.05 x C (when T is higher). C is
# at most the cipher rate measured in this run; the core also runs the TCP
# stack and the copies (scripts/bench/bench-tls-pipeline.sh measures how much of
# it an edge gets). The wire bytes add 22 / 16384 = 0.13 %.
threshold = {"cipher_Bps": cipher_rate, "tls_costs_5pct_from_link_Gbit": 1.05 * cipher_rate * 8 / 1e9}

summary = {"machine": machine, "cipher_seal_Bps": cipher_rate, "cipher_seal_packet_Bps": packet_rate,
           "mtu": MTU, "esp_bytes_per_packet": ESP, "table": table, "threshold": threshold, "runs": runs}
json.dump(summary, open(f"{out}/netns-encryption.json", "w"), indent=1)


def cell(s, fmt="{:.3f}"):
    if s is None:
        return "-"
    return f"{fmt.format(s['median'])} ({fmt.format(s['min'])}-{fmt.format(s['max'])})"


md = [f"Machine: {machine.get('cpu')}, {machine.get('cores')} cores, kernel {machine.get('kernel')}; "
      f"{machine.get('openssl')}; {machine.get('date')}; git {machine.get('git_revision')}; load average "
      f"{machine.get('load_before')} before, {machine.get('load_after')} after. "
      f"Reproduce: `{machine.get('command')}`.", "",
      f"Cipher, one core, AES-128-GCM (`ringsim bench cipher`, same run, before and after): "
      f"{cipher_rate / 1e6:.0f} MB/s on 16 KiB records (TLS), {packet_rate / 1e6:.0f} MB/s on 1412-byte packets "
      f"(ESP at MTU 1500). ESP in this kernel: {machine.get('esp_kernel', 'not tried')}.", "",
      "Median (min-max) over the repetitions; variants rotated within each repetition. ring: the slowest rank's "
      "ring phase; edge MB/s: the busiest cross-host edge's bytes over its rank's ring phase (an average that "
      "includes compute, a lower bound on the edge's rate while it moves); tcp/variant: tcp's ring time over "
      "the variant's, per repetition (ring throughput relative to tcp).", "",
      "| hosts x ranks | link cap | variant | encrypted edge ends | wall s | end to end s | ring s | edge MB/s "
      "| ring throughput vs tcp | load |",
      "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
for r in table:
    md.append(f"| {r['hosts']} x 2 | {r['rate']} | {r['variant']} | {r['encrypted_edge_ends']} | "
              f"{cell(r['wall_s'], '{:.2f}')} | {cell(r['end_to_end_s'], '{:.1f}')} | {cell(r['ring_s'])} | "
              f"{cell(r['edge_MBps'], '{:.0f}')} | {cell(r['ring_throughput_vs_tcp'], '{:.2f}')} | "
              f"{cell(r['load1'], '{:.1f}')} |")
md += ["", "IPsec (ESP) beside TLS, **estimates** from the cipher rates above (not measured: "
       + ("this kernel refused ESP" if "refused" in machine.get("esp_kernel", "") else "see esp_kernel") +
       "): extra ring seconds for the bytes that cross hosts = 2 x bytes / cipher rate (seal on the sender, "
       "open on the receiver, not overlapped) + bytes x wire overhead / link rate; ESP adds 36 bytes per "
       f"{MTU}-byte packet ({(esp_wire - 1) * 100:.1f} % more packets), TLS 22 per 16 KiB record "
       f"({(tls_wire - 1) * 100:.2f} %).", "",
       "| hosts x ranks | link cap | cross-host MB per rank | tcp ring s | ESP estimate: extra s | ESP estimate: ring s "
       "| TLS same model: extra s | TLS measured (all): extra s |",
       "|---|---|---:|---:|---:|---:|---:|---:|"]
for r in table:
    if r["variant"] != "tcp":
        continue
    tls_all = next(t for t in table if (t["hosts"], t["rate"], t["variant"]) == (r["hosts"], r["rate"], "tls-all"))
    md.append(f"| {r['hosts']} x 2 | {r['rate']} | {r['cross_host_bytes_per_rank'] / 1e6:.0f} | "
              f"{r['ring_s']['median']:.3f} | {r['esp_estimate_extra_s']:.3f} | {r['esp_estimate_ring_s']:.3f} | "
              f"{r['tls_model_extra_s']:.3f} | {tls_all['ring_s']['median'] - r['ring_s']['median']:.3f} |")
md += ["", f"Link rate from which TLS costs more than 5 %: an edge moves min(link, C), C what sealing on one "
       f"side and opening on the other sustain (both overlap the wire: send(2) returns once the kernel holds "
       f"the bytes); so TLS costs nothing below C and more than 5 % from 1.05 x C. With C = this run's "
       f"cipher rate ({cipher_rate / 1e6:.0f} MB/s): **{threshold['tls_costs_5pct_from_link_Gbit']:.1f} Gbit/s**, "
       f"an upper bound: the same cores run the TCP stack, the copies and the job "
       f"(scripts/bench/bench-tls-pipeline.sh measures the most any TLS could move on this machine)."]
open(f"{out}/netns-encryption.md", "w").write("\n".join(md) + "\n")
print("\n".join(md))

# ---- plot: ring phase per variant, median with min-max error bars
groups = [(h, rate) for h in sorted({r["hosts"] for r in table})
          for rate in sorted({r["rate"] for r in table if r["hosts"] == h}, key=link_rate)]
fig, ax = plt.subplots(figsize=(8, 4.5))
width = 0.2
for k, v in enumerate(VARIANTS):
    xs, ys, lo, hi = [], [], [], []
    for g, (h, rate) in enumerate(groups):
        row = next((t for t in table if (t["hosts"], t["rate"], t["variant"]) == (h, rate, v)), None)
        if row is None:
            continue
        s = row["ring_s"]
        xs.append(g + (k - 1) * width)
        ys.append(s["median"])
        lo.append(s["median"] - s["min"])
        hi.append(s["max"] - s["median"])
    ax.bar(xs, ys, width, yerr=[lo, hi], capsize=3, label=v)
esp_x, esp_y = [], []
for g, (h, rate) in enumerate(groups):
    row = next(t for t in table if (t["hosts"], t["rate"], t["variant"]) == (h, rate, "tcp"))
    esp_x.append(g + 2 * width)
    esp_y.append(row["esp_estimate_ring_s"])
ax.bar(esp_x, esp_y, width, color="none", edgecolor="gray", hatch="//", label="ESP (estimate)")
ax.set_xticks(range(len(groups)))
ax.set_xticklabels([f"{h} hosts x 2, {rate}" for h, rate in groups])
ax.set_ylabel("ring phase, s (median, min-max)")
ax.set_title(f"netns bed, n = {table[0]['n']}, d = {table[0]['d']}: tcp vs TLS, {machine.get('date', '')[:10]}")
ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(f"{out}/netns-encryption.png", dpi=120)
print(f"wrote {out}/netns-encryption.md, .json, .png")
