#!/usr/bin/env bash
# Peak resident memory per rank in threshold mode with tens of millions of
# qualifying pairs, against the goal "rank 0's peak stays within 2x of the
# other ranks'": every rank keeps the pairs it computed, and rank 0 merges
# them into pairs.csv pulling one chunk at a time from each other rank, so it
# should hold its own pairs plus P - 1 chunks, not the whole result.
# Default: P = 4, n = 20000, d = 64, threshold 0.12 (about a quarter of the
# 2e8 pairs of this generated matrix qualify: ~50 million).
# Prints the number of qualifying pairs (lines of pairs.csv), each rank's
# peak RSS (report.json, VmHWM taken after the output is written) and the
# ratio rank 0 / max(other ranks); exits non-zero above --max-ratio.
#
# Usage: scripts/bench/bench-threshold-memory.sh [--rows N] [--cols D] [--ranks P]
#          [--threshold T] [--transport mpi|tcp|tls] [--max-ratio R] [--out DIR]
#          [--checkpoint]
#   --checkpoint runs with --checkpoint-dir (saves after every ring step), to
#   see what saving the pairs found so far adds to each rank's peak.
#   --out DIR keeps report.json and summary.md there (a new folder; an
#   existing non-empty one is refused); pairs.csv is always deleted.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=20000; cols=64; ranks=4; threshold=0.12; transport=mpi; max_ratio=2; out=""; checkpoint=0
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --cols) cols=$2; shift ;; --ranks) ranks=$2; shift ;;
    --threshold) threshold=$2; shift ;; --transport) transport=$2; shift ;;
    --max-ratio) max_ratio=$2; shift ;; --out) out=$2; shift ;;
    --checkpoint) checkpoint=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -n $out && -e $out && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  echo "bench-threshold-memory: $out exists and is not empty; give a new --out" >&2
  exit 2
fi
source "$root/scripts/bench/bench-setup.sh"  # $ringsim, built; MPI's environment; $work
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 2 --out "$work/x.npy" >/dev/null
extra=(); [[ $transport == tls ]] && extra=(--tls-ephemeral)
((checkpoint)) && extra+=(--checkpoint-dir "$work/ckpt")
# The output is about 25 bytes a pair: raise the output limit well above it
# (this measures memory, not the guard).
pairs_max=$((rows * (rows - 1) / 2))
start=$(date +%s.%N)
timeout -s KILL 1800 mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" --out "$work/out" \
  --mode threshold --threshold "$threshold" --max-output-bytes $((pairs_max * 40 + (1 << 20))) --quiet \
  --transport "$transport" "${extra[@]}"
seconds=$(echo "$(date +%s.%N) - $start" | bc)
pairs=$(($(wc -l <"$work/out/pairs.csv") - 1))
csv_bytes=$(stat -c %s "$work/out/pairs.csv")
rm -f "$work/out/pairs.csv"
machine="$(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(free -g | awk '/^Mem:/ {print $2}') GiB"
code=0
/usr/bin/python3 - "$work/out/report.json" "$rows" "$cols" "$ranks" "$threshold" "$pairs" "$csv_bytes" \
  "$seconds" "$max_ratio" "$machine" "$work/summary.md" "$checkpoint" <<'PY' || code=$?
import json, sys
rep, n, d, p, t, pairs, csv_bytes, seconds, max_ratio, machine, summary, checkpoint = sys.argv[1:]
r = json.load(open(rep))
n, d, p, pairs, csv_bytes = int(n), int(d), int(p), int(pairs), int(csv_bytes)
mib = 2**20
rss = {q["rank"]: q["peak_rss_bytes"] for q in r["ranks"]}
others = max(v for k, v in rss.items() if k != 0) if p > 1 else rss[0]
ratio = rss[0] / others
pair_bytes = 24  # sizeof(ScoredPair<float>): i, j int64 and the score, padded
lines = [
    f"n={n} d={d} P={p} threshold {t} transport={r['transport']}"
    f"{', --checkpoint-dir (every step)' if checkpoint == '1' else ''} ({machine})",
    f"qualifying pairs: {pairs:,} of {n * (n - 1) // 2:,} ({pairs / (n * (n - 1) / 2) * 100:.1f} %); "
    f"pairs.csv {csv_bytes / 2**30:.2f} GiB; {pairs * pair_bytes / p / mib:.0f} MiB of pairs per rank on average "
    f"({pair_bytes} B each); end to end {float(seconds):.1f} s (in-job wall {r['wall_seconds']:.1f} s, "
    f"rank 0 write {r['ranks'][0]['seconds']['write']:.1f} s)",
    "",
    "| rank | peak RSS MiB | write s | checkpoint s |",
    "|---:|---:|---:|---:|",
]
for q in r["ranks"]:
    lines.append(f"| {q['rank']} | {q['peak_rss_bytes'] / mib:.1f} | {q['seconds']['write']:.1f} | "
                 f"{q['seconds']['checkpoint']:.1f} |")
lines += ["", f"rank 0 / max(other ranks) = {ratio:.2f} (goal: at most {max_ratio})"]
text = "\n".join(lines) + "\n"
print(text, end="")
open(summary, "w").write(text)
sys.exit(0 if ratio <= float(max_ratio) else 1)
PY
if [[ -n $out ]]; then mkdir -p "$out"; cp "$work/out/report.json" "$work/summary.md" "$out/"; fi
exit $code
