#!/usr/bin/env bash
# Strong scaling: one fixed problem (default n = 100000, d = 256, top-10)
# run with P = 1, 2, 4, ... ranks on one machine; prints wall time, speed-up,
# parallel efficiency and where the time went. Meant for a machine with as
# many cores as the largest P (here: the 16-core device machine).
#
# Usage: scripts/bench-scaling.sh [--rows N] [--cols D] [--ranks "1 2 4 8 16"]
#                                 [--transports "mpi"] [--out DIR] [--ringsim PATH]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=100000; cols=256; ranks="1 2 4 8 16"; transports="mpi"; out=""; ringsim="$root/build/ringsim"
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --cols) cols=$2; shift ;; --ranks) ranks=$2; shift ;;
    --transports) transports=$2; shift ;; --out) out=$2; shift ;; --ringsim) ringsim=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$root/scripts/env.sh"
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp  # no accelerator-aware transports
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
out=${out:-$work}
mkdir -p "$out"
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 3 --clusters 100 --out "$work/x.npy"
echo "n=$rows d=$cols k=10; $(nproc) cores; $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
for t in $transports; do
  for p in $ranks; do
    mpirun -np "$p" --bind-to core "$ringsim" run --input "$work/x.npy" --out "$work/out" --k 10 --quiet \
      --transport "$t" --tls-ephemeral 2>/dev/null
    cp "$work/out/report.json" "$out/scaling-$t-$p.json"
  done
done
/usr/bin/python3 - "$out" "$transports" "$ranks" <<'PY'
import json, sys
out, transports, ranks = sys.argv[1], sys.argv[2].split(), [int(p) for p in sys.argv[3].split()]
lines = ["| transport | P | wall s | speed-up | efficiency | compute s (max) | wait s (max) | GFLOP/s per rank | peak RSS MiB/rank |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
for t in transports:
    base = None
    for p in ranks:
        r = json.load(open(f"{out}/scaling-{t}-{p}.json"))
        wall = r["wall_seconds"]
        base = base or wall * ranks[0]
        q = r["ranks"]
        lines.append(f"| {t} | {p} | {wall:.2f} | {base / wall:.2f} | {base / wall / p:.2f} | "
                     f"{max(x['seconds']['compute'] for x in q):.2f} | {max(x['seconds']['communication_wait'] for x in q):.2f} | "
                     f"{sum(x['gflops'] for x in q) / p:.0f} | {max(x['peak_rss_bytes'] for x in q) / 2**20:.0f} |")
text = "\n".join(lines)
print(text)
open(f"{out}/scaling.md", "w").write(text + "\n")
PY
