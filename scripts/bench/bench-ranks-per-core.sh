#!/usr/bin/env bash
# One rank per core or two: the same job (default n = 20000, d = 256, top-10)
# with P = the cores this process may use, then P = twice that, alternating,
# --rounds times. Prints per run the wall time of the job, the compute phase's
# job's GFLOP/s (all flops over its wall time) and the ranks' summed peak memory, then the medians. Which
# cores are hardware-thread siblings is printed first (lscpu): on a machine
# with one thread per core, "two per core" is two processes time-sharing a
# core; with two threads per core (SMT) it is each rank on a sibling, which is
# what SageMaker's SM_NUM_CPUS default gave (docs/performance.md, "Ranks per
# core"). Results go to --out (default bench/results/ranks-per-core-DATE).
#
# Usage: scripts/bench/bench-ranks-per-core.sh [--rows N] [--cols D] [--rounds R] [--out DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=20000; cols=256; rounds=3; out=""
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --cols) cols=$2; shift ;; --rounds) rounds=$2; shift ;; --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$root/scripts/setup/env.sh"
source "$root/scripts/setup/ringsim-binary.sh"
out=${out:-$root/bench/results/ranks-per-core-$(date -u +%Y%m%d-%H%M%S)}
[[ ! -e $out ]] || { echo "bench-ranks-per-core: $out exists; give another --out" >&2; exit 2; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cores=$(nproc)
{
  echo "date: $(date -u +%FT%TZ)  rows=$rows cols=$cols rounds=$rounds cores=$cores"
  lscpu | grep -E "^(Model name|Thread\(s\) per core|Core\(s\) per socket|Socket\(s\)|CPU\(s\)):"
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 3 --out "$work/x.npy" >/dev/null
printf '%-5s %-6s %9s %14s %13s\n' round ranks wall_s job_gflops peak_rss_mib | tee "$out/runs.txt"
for round in $(seq 1 "$rounds"); do
  for ranks in "$cores" $((2 * cores)); do
    rm -rf "$work/out"
    mpirun -np "$ranks" "$ringsim" run --quiet --input "$work/x.npy" --out "$work/out" --k 10 >"$work/stdout" 2>"$work/stderr" ||
      { cat "$work/stderr" >&2; exit 1; }
    /usr/bin/python3 - "$work/out/report.json" "$round" "$ranks" <<'PY' | tee -a "$out/runs.txt"
import json, sys
r = json.load(open(sys.argv[1]))
rss = sum(x["peak_rss_bytes"] for x in r["ranks"]) / 2**20
print(f"{sys.argv[2]:<5} {sys.argv[3]:<6} {r['wall_seconds']:9.3f} {r['job_gflops']:14.1f} {rss:13.0f}")
PY
  done
done
/usr/bin/python3 - "$out/runs.txt" <<'PY' | tee "$out/summary.txt"
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]).read().splitlines()[1:]]
for ranks in sorted({r[1] for r in rows}, key=int):
    mine = [r for r in rows if r[1] == ranks]
    print(f"P={ranks}: median wall {statistics.median(float(r[2]) for r in mine):.3f} s, "
          f"median GFLOP/s {statistics.median(float(r[3]) for r in mine):.1f}, "
          f"peak RSS (all ranks) {statistics.median(float(r[4]) for r in mine):.0f} MiB")
PY
echo "results: $out"
