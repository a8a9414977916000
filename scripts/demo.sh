#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing,
# builds, generates a clustered matrix and runs a 4-rank encrypted (TLS 1.3)
# top-k job, then prints a few neighbour rows and the report.
# Usage: scripts/demo.sh [rows] [cols] [transport]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-20000}
cols=${2:-128}
transport=${3:-tls}
scripts/setup/deps.sh
# Only the binary the demo runs: the whole tree (tests, fuzzers, benchmarks)
# is 100+ targets, a quarter of an hour on a busy 2-core machine.
BUILD_TARGET=ringsim scripts/setup/build.sh
source scripts/setup/ringsim-binary.sh
source scripts/setup/env.sh
work=${RINGSIM_DEMO_DIR:-demo-out}
mkdir -p "$work"
"$ringsim" gen --rows "$rows" --cols "$cols" --clusters 50 --seed 42 --out "$work/matrix.npy"
tls_args=()
[[ "$transport" == tls ]] && tls_args=(--tls-ephemeral)
echo "== mpirun -np 4 ringsim run --transport $transport on $rows x $cols"
mpirun -np 4 "$ringsim" run --input "$work/matrix.npy" --out "$work/result" --k 10 \
  --transport "$transport" "${tls_args[@]}"
/usr/bin/python3 - "$work" <<'PY'
import json, sys
import numpy as np
work = sys.argv[1]
nb = np.load(f"{work}/result/neighbors.npy"); sc = np.load(f"{work}/result/scores.npy")
print(f"== neighbours of the first 5 rows (of {nb.shape[0]}; k = {nb.shape[1]})")
for i in range(5):
    print(f"row {i}: " + "  ".join(f"{j}:{s:.3f}" for j, s in zip(nb[i, :5], sc[i, :5])) + "  ...")
r = json.load(open(f"{work}/result/report.json"))
print(f"== report: n={r['n']} d={r['d']} P={r['P']} transport={r['transport']} "
      f"cipher={r['cipher_suite'] or '-'} wall={r['wall_seconds']:.3f}s job_gflops={r['job_gflops']:.1f}")
if r.get("tls_crypto"):
    print(f"   TLS records: {r['tls_crypto']}")
print("rank  rows    compute_s  wait_s  handshake_s  MiB_sent  peak_RSS_MiB")
for q in r["ranks"]:
    t = q["transport"]
    print(f"{q['rank']:>4}  {q['rows']:>6}  {q['seconds']['compute']:>9.3f}  {q['seconds']['communication_wait']:>6.3f}"
          f"  {t['handshake_seconds']:>11.3f}  {t['bytes_sent']/2**20:>8.1f}  {q['peak_rss_bytes']/2**20:>12.1f}")
print(f"full report: {work}/result/report.json")
PY
