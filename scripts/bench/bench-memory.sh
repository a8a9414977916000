#!/usr/bin/env bash
# Peak resident memory per rank in top-k mode against the goal
# "at most 3x the rank's share of the input + 64 MiB" (default P = 4,
# n = 200000, d = 64). Exits non-zero if a rank is over.
# Usage: scripts/bench/bench-memory.sh [--rows N] [--cols D] [--ranks P] [--transport mpi|tcp|tls]
# (tls runs with --tls-ephemeral)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=200000; cols=64; ranks=4; transport=mpi
while (($#)); do
  case $1 in --rows) rows=$2; shift ;; --cols) cols=$2; shift ;; --ranks) ranks=$2; shift ;;
    --transport) transport=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;; esac
  shift
done
source "$root/scripts/bench/bench-setup.sh"  # $ringsim, built; MPI's environment; $work
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 2 --out "$work/x.npy"
extra=(); [[ $transport == tls ]] && extra=(--tls-ephemeral)
mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" --out "$work/out" --k 10 --quiet \
  --transport "$transport" "${extra[@]}"
/usr/bin/python3 - "$work/out/report.json" "$rows" "$cols" "$ranks" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n, d, p = map(int, sys.argv[2:5])
share = n * d * 4 / p
limit = 3 * share + 64 * 2**20
print(f"n={n} d={d} P={p} k=10 transport={r['ranks'][0]['transport']['transport']}: input share per rank {share / 2**20:.1f} MiB, limit {limit / 2**20:.1f} MiB "
      f"(wall {r['wall_seconds']:.2f} s)")
worst = 0
for q in r["ranks"]:
    rss = q["peak_rss_bytes"]
    worst = max(worst, rss)
    print(f"rank {q['rank']}: peak RSS {rss / 2**20:.1f} MiB")
print(f"{'within' if worst <= limit else 'OVER'} the limit")
sys.exit(0 if worst <= limit else 1)
PY
