#!/usr/bin/env bash
# bfloat16 against float32 GEMMs (--precision, docs/precision.md): top-10 and
# threshold jobs on 30000 x 256 at P = 1 and 2, on generated clustered rows
# and on a real embedding set (TF-IDF + SVD of this machine's Debian package
# descriptions, scripts/bench/make-package-embeddings.py). The two precisions run
# side by side, alternating within each repetition (A B, B A, ...), so that
# a shared machine's drift hits both alike; each pair of runs must write
# byte-identical results (the exact rule). Per case: the pair rate (pairs
# of the input / the slowest rank's ring seconds), median of --reps, the
# bfloat16 / float32 ratio, and the candidates re-scored per row.
#
# Usage: scripts/bench/bench-precision.sh [--rows N] [--reps R] [--out DIR]
#   writes DIR/precision.{md,json} and each run's report.json (DIR defaults
#   to bench/results/<date>-precision; an existing DIR is refused).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/bench/rows-reps-out.sh" precision 3 "$@"  # $rows, $cols, $reps, $out
set --  # read: bench-setup.sh takes no arguments from the command line
source "$root/scripts/bench/bench-setup.sh"  # $ringsim, built; MPI's environment; $work
mkdir -p "$out" "$root/bench/data"
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 5 --clusters 64 --out "$work/clustered.npy" >/dev/null
packages="$root/bench/data/packages-${rows}x${cols}.npy"  # ignored folder: built once, reused
[[ -e $packages ]] || /usr/bin/python3 "$root/scripts/bench/make-package-embeddings.py" "$packages" --rows "$rows" --dims "$cols"

# One job; prints its report's path.
run_job() {  # data mode ranks precision rep
  local dir="$work/$1-$2-P$3-$4-$5" mode_args
  if [[ $2 == topk ]]; then mode_args=(--mode topk --k 10); else mode_args=(--mode threshold --threshold "$threshold"); fi
  mpirun -np "$3" "$ringsim" run --input "$work/$1.npy" --out "$dir" "${mode_args[@]}" --precision "$4" \
    --quiet --progress-seconds 0 >/dev/null
  echo "$dir"
}

{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "git_revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "bf16=$(grep -qw avx512_bf16 /proc/cpuinfo && echo avx512_bf16 || echo none)"
  echo "cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command=scripts/bench/bench-precision.sh --rows $rows --reps $reps"
} | tee "$out/machine.txt"

results="$work/results.jsonl"
for data in clustered packages; do
  [[ $data == packages ]] && cp "$packages" "$work/packages.npy"
  # A threshold that keeps a few pairs per row on each set.
  threshold=$([[ $data == clustered ]] && echo 0.8 || echo 0.9)
  for mode in topk threshold; do
    for ranks in 1 2; do
      for rep in $(seq 1 "$reps"); do
        order=(float32 bfloat16); ((rep % 2 == 0)) && order=(bfloat16 float32)
        dirs=()
        for precision in "${order[@]}"; do
          dir=$(run_job "$data" "$mode" "$ranks" "$precision" "$rep")
          dirs+=("$dir")
          /usr/bin/python3 - "$dir/report.json" "$data" "$mode" "$ranks" "$precision" "$rep" >>"$results" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
ring = max(r["seconds"]["ring"] for r in report["ranks"])
n = report["n"]
p = report["precision"]
print(json.dumps({"data": sys.argv[2], "mode": sys.argv[3], "ranks": int(sys.argv[4]), "precision": sys.argv[5],
                  "rep": int(sys.argv[6]), "gemm": p["gemm"], "bound": p.get("bound"), "ring_seconds": ring,
                  "pair_rate": n * (n - 1) / 2 / ring, "rescored_mean": p.get("rescored_per_row_mean"),
                  "rescored_max": p.get("rescored_per_row_max"), "n": n, "d": report["d"]}))
PY
        done
        for file in neighbors.npy scores.npy pairs.csv pairs.npy; do
          [[ -e ${dirs[0]}/$file ]] || continue
          cmp -s "${dirs[0]}/$file" "${dirs[1]}/$file" ||
            { echo "bench-precision: $data $mode P=$ranks: $file differs between precisions" >&2; exit 1; }
        done
        cp "${dirs[1]}/report.json" "$out/report-$data-$mode-P$ranks-${order[1]}.json"
        cp "${dirs[0]}/report.json" "$out/report-$data-$mode-P$ranks-${order[0]}.json"
        rm -rf "${dirs[@]}"
      done
    done
  done
done

/usr/bin/python3 - "$results" "$out" <<'PY' | tee "$out/precision.md"
import collections, json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
json.dump(rows, open(sys.argv[2] + "/precision.json", "w"), indent=1)
cases = collections.defaultdict(list)
for r in rows:
    cases[(r["data"], r["mode"], r["ranks"], r["precision"])].append(r)
print("| data | mode | P | float32 Mpairs/s | bfloat16 Mpairs/s | ratio | candidates/row f32 | bf16 (mean, max) |")
print("|---|---|---|---|---|---|---|---|")
for data in ("clustered", "packages"):
    for mode in ("topk", "threshold"):
        for ranks in (1, 2):
            f32, bf16 = cases[(data, mode, ranks, "float32")], cases[(data, mode, ranks, "bfloat16")]
            if not f32 or not bf16:
                continue
            a = statistics.median(r["pair_rate"] for r in f32)
            b = statistics.median(r["pair_rate"] for r in bf16)
            print(f"| {data} | {mode} | {ranks} | {a / 1e6:.1f} | {b / 1e6:.1f} | {b / a:.2f}x | "
                  f"{f32[0]['rescored_mean']:.1f} | {bf16[0]['rescored_mean']:.1f}, {bf16[0]['rescored_max']} |")
print()
print("Pairs of the input per second of the slowest rank's ring, median of the repetitions; "
      "both precisions wrote byte-identical results in every repetition.")
PY
