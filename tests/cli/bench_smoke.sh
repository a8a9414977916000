#!/usr/bin/env bash
# scripts/bench/bench-overhead.sh --quick makes every file of the report, every
# figure in it is finite and positive, and the plots are real PNG pictures.
set -euo pipefail
export RINGSIM=$1; root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
start=$SECONDS
RINGSIM_SKIP_BUILD=1 "$root/scripts/bench/bench-overhead.sh" --quick --out "$out" >"$out/log" 2>&1 \
  || { cat "$out/log"; exit 1; }
echo "quick report in $((SECONDS - start)) s"
/usr/bin/python3 - "$out" <<'PY'
import csv, json, math, sys
out = sys.argv[1]
for name in ("overhead.csv", "overhead.json", "overhead.md", "overhead.png", "pingpong.png"):
    open(f"{out}/{name}", "rb").close()
for name in ("overhead.png", "pingpong.png"):
    assert open(f"{out}/{name}", "rb").read(8) == b"\x89PNG\r\n\x1a\n", f"{name} is not a PNG"
rows = list(csv.DictReader(open(f"{out}/overhead.csv")))
# tls-openssl only where the kernel offers kTLS (elsewhere it is tls's record layer).
try:
    ktls = "tls" in open("/proc/sys/net/ipv4/tcp_available_ulp").read().split()
except OSError:
    ktls = False
extra = {"tls-openssl"} if ktls else set()
assert {r["transport"] for r in rows} == {"mpi", "tcp", "tls"} | extra, "every transport measured, no duplicate series"
if ktls:
    tls_crypto = {r["transport"]: r["tls_crypto"] for r in rows if r["transport"].startswith("tls")}
    assert "OpenSSL" in tls_crypto["tls-openssl"], tls_crypto
for r in rows:
    for key in ("wall_s", "compute_s", "bytes_sent_per_rank", "gflops_per_rank"):
        v = float(r[key]); assert math.isfinite(v) and v > 0, (key, r)
summary = json.load(open(f"{out}/overhead.json"))
for r in summary["overhead"]:
    for key in ("mpi_s", "tcp_s", "tls_s", "tls_over_tcp", "tls_over_mpi", "model_tls_compute_plus_comm_s"):
        assert math.isfinite(r[key]) and r[key] > 0, (key, r)
    for key in ("tls_over_tcp_per_rep", "tls_over_mpi_per_rep"):  # the plot's error bars
        b = r[key]
        assert b["n"] == 2 and 0 < b["min"] <= b["median"] <= b["max"], (key, b)
for r in summary["pingpong"]:
    for key in ("mpi_pingpong_MBps", "tcp_pingpong_MBps", "tls_pingpong_MBps", "tls-serial_pingpong_MBps",
                "plain_mpi_pingpong_MBps", "cipher_seal_MBps",
                "mpi_alternating_MBps", "mpi_over_plain", "plain_tcp_pingpong_MBps", "tls_over_plain_tcp",
                "tls_over_tcp_alternating"):
        assert math.isfinite(r[key]) and r[key] > 0, (key, r)
assert len(summary["goal_4mib_rounds"]) == 2, "the 4 MiB rounds"
for r in summary["goal_4mib_rounds"]:
    assert set(r) == {"tcp", "tls", "tls-serial", "plain tcp", "cipher"} | extra and all(math.isfinite(v) and v > 0 for v in r.values()), r
assert "4 MiB ping-pong, 2 rounds" in open(f"{out}/overhead.md").read()
assert min(summary["record_seal_bytes_per_second"].values()) > 0 and summary["gemm_peak_gflops_per_core"] > 0
print(f"ok: {len(rows)} runs, {len(summary['pingpong'])} message sizes, all figures finite and positive")
PY
