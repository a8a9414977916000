#!/usr/bin/env bash
# Whole TLS jobs with pipelined records (--tls-pipelining on) against serial
# ones (off), alternating inside each repetition (A B, B A, ...), on this machine's
# cores: a communication-heavy job at P = 2 and P = 4 (n = 1024, d = 65536:
# 32 flops per byte moved at P = 2) and the demo's job (n = 20000, d = 128,
# P = 4, compute-bound). Per job: in-job wall and ring phase (report.json),
# each variant's median and range, and serial/pipelined per repetition.
# Both variants' neighbours are compared every time (they must be identical).
#
# What --tls-pipelining auto (the default) picks here is in report.json's
# tls_pipelined: on only where the machine has 2 cores per rank on it.
#
# Usage: scripts/bench/bench-tls-pipelining-jobs.sh [--reps R] [--out DIR]
#   writes DIR/runs.csv, DIR/machine.txt and DIR/tls-pipelining-jobs.md; DIR
#   defaults to a new bench/results/tls-pipelining-jobs-DATE-TIME (never an existing one).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
reps=5
out="$root/bench/results/tls-pipelining-jobs-$(date -u +%Y%m%d-%H%M%S)"
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ ! -e $out ]] || { echo "$out exists; pick a new --out (results are never overwritten)" >&2; exit 2; }
source "$root/scripts/bench/bench-setup.sh"  # $ringsim, built; MPI's environment; $work
source "$root/scripts/bench/machine-info.sh"
mkdir -p "$out"
"$ringsim" gen --rows 1024 --cols 65536 --seed 1 --out "$work/wide.npy" >/dev/null
"$ringsim" gen --rows 20000 --cols 128 --seed 42 --clusters 50 --out "$work/demo.npy" >/dev/null
{
  machine_info
  echo "command=scripts/bench/bench-tls-pipelining-jobs.sh --reps $reps"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/machine.txt"

# job name, ranks, input, tile
jobs=("wide-p2 2 $work/wide.npy 256" "wide-p4 4 $work/wide.npy 128" "demo-p4 4 $work/demo.npy 512")
echo "job,ranks,variant,rep,wall_s,ring_s,load" >"$out/runs.csv"
one() {  # JOB RANKS INPUT TILE VARIANT REP
  local flags=(--tls-pipelining on); [[ $5 == serial ]] && flags=(--tls-pipelining off)
  rm -rf "$work/out-$5"
  mpirun -np "$2" --bind-to none "$ringsim" run --input "$3" --out "$work/out-$5" --k 10 --tile "$4" --quiet \
    --transport tls --tls-ephemeral "${flags[@]}" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
  /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
wall, ring = r["wall_seconds"], max(x["seconds"]["ring"] for x in r["ranks"])
print(f"{sys.argv[2]},{wall:.4f},{ring:.4f},{sys.argv[3]}")' \
    "$work/out-$5/report.json" "$1,$2,$5,$6" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/runs.csv"
}
for rep in $(seq 1 "$reps"); do
  for job in "${jobs[@]}"; do
    read -r name ranks input tile <<<"$job"
    order=(pipelined serial); ((rep % 2)) || order=(serial pipelined)
    for variant in "${order[@]}"; do one "$name" "$ranks" "$input" "$tile" "$variant" "$rep"; done
    cmp -s "$work/out-pipelined/neighbors.npy" "$work/out-serial/neighbors.npy" ||
      { echo "$name rep $rep: pipelined and serial neighbours differ" >&2; exit 1; }
  done
done
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/machine.txt"
/usr/bin/python3 - "$out" <<'PY'
import csv, statistics, sys
out = sys.argv[1]
machine = dict(l.split("=", 1) for l in open(f"{out}/machine.txt").read().splitlines() if "=" in l)
rows = list(csv.DictReader(open(f"{out}/runs.csv")))
def spread(v, d=3):
    v = sorted(v)
    return f"{statistics.median(v):.{d}f} ({v[0]:.{d}f}-{v[-1]:.{d}f})"
lines = [
    "# Whole TLS jobs: pipelined records (--tls-pipelining on) against serial (off)",
    "",
    f"{machine.get('cpu', '?')}, {machine.get('cores', '?')} cores; {machine.get('date', '?')}, git "
    f"{machine.get('git_revision', '?')}; load average before {machine.get('load_before', '?')}, after "
    f"{machine.get('load_after', '?')}. Remade by: `{machine.get('command', '?')}`",
    "",
    "In-job wall and ring phase (report.json), median (range) over the repetitions; serial/pipelined: "
    "per repetition, min / median / max (below 1: serial is faster). Neighbours identical every time.",
    "",
    "| job | ranks | pipelined wall s | serial wall s | pipelined ring s | serial ring s | serial/pipelined wall |",
    "|---|---:|---:|---:|---:|---:|---:|",
]
for job in dict.fromkeys(r["job"] for r in rows):
    by = {v: {int(r["rep"]): r for r in rows if r["job"] == job and r["variant"] == v} for v in ("pipelined", "serial")}
    ratio = sorted(float(by["serial"][k]["wall_s"]) / float(by["pipelined"][k]["wall_s"]) for k in by["serial"])
    ranks = next(r["ranks"] for r in rows if r["job"] == job)
    cell = lambda v, key: spread([float(r[key]) for r in by[v].values()])
    lines.append(f"| {job} | {ranks} | {cell('pipelined', 'wall_s')} | {cell('serial', 'wall_s')} | "
                 f"{cell('pipelined', 'ring_s')} | {cell('serial', 'ring_s')} | "
                 f"{ratio[0]:.2f} / {statistics.median(ratio):.2f} / {ratio[-1]:.2f} |")
open(f"{out}/tls-pipelining-jobs.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
