#!/usr/bin/env bash
# Strong scaling: one fixed problem (default n = 100000, d = 256, top-10)
# run with P = 1, 2, 4, ... ranks on one machine; prints wall time, speed-up,
# parallel efficiency and where the time went. Meant for a machine with as
# many cores as the largest P (the 16-core device machine).
#
# With --slow-rank R, rank R runs held to --slow-share of a core (a CPU quota
# on its own cgroup), as on a shared or throttled cloud host; each P then
# runs once per --balance plan, alternating, --rounds times. Every run is
# compared with the balanced ideal computed from its own ranks' measured
# rates: ideal = all flops / sum of each rank's GFLOP/s in its compute time.
# The per-rank table shows rows owned, entries computed, GFLOP/s and waiting.
#
# Usage: scripts/bench/bench-scaling.sh [--rows N] [--cols D] [--ranks "1 2 4 8 16"]
#          [--transports "mpi"] [--balance "even measured"] [--slow-rank R]
#          [--slow-share 0.5] [--rounds 1] [--out DIR]
# The binary: $RINGSIM, else build/ringsim (scripts/setup/ringsim-binary.sh).
# Example, the 2-core check: scripts/bench/bench-scaling.sh --rows 60000 --ranks 2 \
#          --slow-rank 1 --balance "even measured" --rounds 3
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=100000; cols=256; ranks="1 2 4 8 16"; transports="mpi"; out=""
balance="even"; slow_rank=""; slow_share=0.5; rounds=1
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --cols) cols=$2; shift ;; --ranks) ranks=$2; shift ;;
    --transports) transports=$2; shift ;; --out) out=$2; shift ;;
    --balance) balance=$2; shift ;; --slow-rank) slow_rank=$2; shift ;; --slow-share) slow_share=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$root/scripts/setup/env.sh"
source "$root/scripts/setup/ringsim-binary.sh"
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp  # no accelerator-aware transports
work=$(mktemp -d)
cgroup=""
cleanup() {
  if [[ -n "$cgroup" && -d "$cgroup" ]]; then
    # Processes left in it (none after a clean run) go back to the root group first.
    for pid in $(cat "$cgroup/tasks" "$cgroup/cgroup.procs" 2>/dev/null); do echo "$pid" >"$(dirname "$cgroup")/cgroup.procs" 2>/dev/null || true; done
    rmdir "$cgroup" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
out=${out:-$work}
mkdir -p "$out"

# The slowed rank's wrapper: join a cgroup whose CPU quota is slow_share of
# one core, then become the rank.
launch=()
if [[ -n "$slow_rank" ]]; then
  period=100000
  quota=$(/usr/bin/python3 -c "print(int($slow_share * $period))")
  if [[ -d /sys/fs/cgroup/cpu && -w /sys/fs/cgroup/cpu ]]; then  # cgroup v1
    cgroup=/sys/fs/cgroup/cpu/ringsim-bench-$$
    mkdir "$cgroup"
    echo "$period" >"$cgroup/cpu.cfs_period_us"
    echo "$quota" >"$cgroup/cpu.cfs_quota_us"
    join="$cgroup/tasks"
  elif [[ -f /sys/fs/cgroup/cgroup.controllers ]] && grep -qw cpu /sys/fs/cgroup/cgroup.controllers; then  # v2
    cgroup=/sys/fs/cgroup/ringsim-bench-$$
    mkdir "$cgroup"
    echo "$quota $period" >"$cgroup/cpu.max"
    join="$cgroup/cgroup.procs"
  else
    echo "bench-scaling: --slow-rank needs a writable cgroup cpu controller (run as root)" >&2
    exit 2
  fi
  cat >"$work/slow.sh" <<EOF
#!/usr/bin/env bash
if [[ "\${OMPI_COMM_WORLD_RANK:-}" == "$slow_rank" ]]; then echo \$\$ >"$join"; fi
exec "\$@"
EOF
  chmod +x "$work/slow.sh"
  launch=("$work/slow.sh")
fi

"$ringsim" gen --rows "$rows" --cols "$cols" --seed 3 --clusters 100 --out "$work/x.npy"
echo "n=$rows d=$cols k=10; $(nproc) cores; $(lscpu | sed -n 's/^Model name: *//p' | head -1)" \
  "${slow_rank:+; rank $slow_rank held to $slow_share of a core}"
runs=()
for round in $(seq 1 "$rounds"); do
  for t in $transports; do
    for p in $ranks; do
      for b in $balance; do
        name="$t-$p-$b-$round"
        mpirun -np "$p" --bind-to core "${launch[@]}" "$ringsim" run --input "$work/x.npy" --out "$work/out" \
          --k 10 --quiet --transport "$t" --tls-ephemeral --balance "$b" --progress-seconds 0 2>/dev/null
        cp "$work/out/report.json" "$out/scaling-$name.json"
        runs+=("$name")
      done
    done
  done
done
/usr/bin/python3 - "$out" "${runs[@]}" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], sys.argv[2:]
rows = ["| run | P | balance | wall s | ring s | ideal s | ring / ideal | wall / ideal | ring rate / sum of rank rates "
        "| speed-up vs P=1 | efficiency |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
per_rank = ["| run | rank | rows | entries | GFLOP/s | measured GFLOP/s | compute s | wait s | middle-step rows given / taken |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
base = {}
ratios = {}
for name in runs:
    r = json.load(open(f"{out}/scaling-{name}.json"))
    t, p, b, _ = name.split("-")
    q = r["ranks"]
    flops = sum(2.0 * r["d"] * x["similarity_entries"] for x in q)
    rate_sum = sum(x["gflops"] for x in q) * 1e9
    ideal = flops / rate_sum if rate_sum > 0 else float("nan")
    ring = max(x["seconds"]["ring"] for x in q)
    wall = r["wall_seconds"]
    if int(p) == 1:
        base.setdefault(t, wall)
    speedup = base[t] / wall if t in base else float("nan")
    ratios.setdefault((t, p, b), []).append(ring / ideal)
    rows.append(f"| {name} | {p} | {r.get('balance', '?')} | {wall:.2f} | {ring:.2f} | {ideal:.2f} | {ring / ideal:.3f} | "
                f"{wall / ideal:.3f} | {r.get('ring_rate_vs_rank_sum', 0):.3f} | {speedup:.2f} | {speedup / int(p):.2f} |")
    for x in q:
        measured = x.get("measured_gflops")
        per_rank.append(f"| {name} | {x['rank']} | {x['rows']} | {x['similarity_entries']} | {x['gflops']:.1f} | "
                        f"{'' if measured is None else f'{measured:.1f}'} | {x['seconds']['compute']:.2f} | "
                        f"{x['seconds']['communication_wait']:.2f} | "
                        f"{x.get('middle_step_rows_given', 0)} / {x.get('middle_step_rows_taken', 0)} |")
summary = ["| transport | P | balance | runs | ring / ideal, median (range) |", "|---|---:|---|---:|---|"]
for (t, p, b), v in ratios.items():
    summary.append(f"| {t} | {p} | {b} | {len(v)} | {statistics.median(v):.3f} ({min(v):.3f}-{max(v):.3f}) |")
text = "\n".join(summary + [""] + rows + [""] + per_rank)
print(text)
open(f"{out}/scaling.md", "w").write(text + "\n")
PY
