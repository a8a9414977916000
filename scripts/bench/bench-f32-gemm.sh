#!/usr/bin/env bash
# oneDNN's float32 matmul against the BLAS (OpenBLAS) for the exact rule's
# float32 tiles (docs/precision.md, RINGSIM_F32_GEMM): the two GEMMs'
# single-core GFLOP/s on 512 x 512 x 256 tiles (`ringsim bench gemm`, both
# in one process, alternating rounds) and the ring seconds of a float32
# top-10 job on clustered 30000 x 256 at P = 1 with each forced and with
# the measured choice (auto). Runs alternate A B C, C B A, ... so that a
# shared machine's drift hits each alike; each repetition's jobs must write
# byte-identical results. Medians of --reps, with the load before each run.
#
# Usage: scripts/bench/bench-f32-gemm.sh [--rows N] [--reps R] [--out DIR]
#   writes DIR/f32-gemm.{md,json} and machine.txt (DIR defaults to
#   bench/results/<date>-f32-gemm; an existing DIR is refused).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/bench/rows-reps-out.sh" f32-gemm 5 "$@"  # $rows, $cols, $reps, $out
set --  # read: bench-setup.sh takes no arguments from the command line
source "$root/scripts/bench/bench-setup.sh"  # $ringsim, built; MPI's environment; $work
mkdir -p "$out"
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 5 --clusters 64 --out "$work/clustered.npy" >/dev/null

{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "git_revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "command=scripts/bench/bench-f32-gemm.sh --rows $rows --reps $reps"
} | tee "$out/machine.txt"

load() { cut -d' ' -f1 /proc/loadavg; }
results="$work/results.jsonl"
for rep in $(seq 1 "$reps"); do
  # The GEMMs: one process times both (10 alternating rounds of 0.1 s).
  before=$(load)
  "$ringsim" bench gemm --tile 512 --depth "$cols" --seconds 1 >"$work/gemm.txt"
  /usr/bin/python3 - "$work/gemm.txt" "$rep" "$before" >>"$results" <<'PY'
import json, sys
lines = dict(line.strip().split("=", 1) for line in open(sys.argv[1]) if "=" in line)
print(json.dumps({"kind": "gemm", "rep": int(sys.argv[2]), "load": float(sys.argv[3]),
                  "openblas_gflops": float(lines["gemm_f32_openblas_gflops"]),
                  "onednn_gflops": float(lines["gemm_f32_onednn_gflops"])}))
PY
  # The jobs, in alternating order.
  order=(openblas onednn auto); ((rep % 2 == 0)) && order=(auto onednn openblas)
  dirs=()
  for gemm in "${order[@]}"; do
    dir="$work/job-$gemm-$rep"
    before=$(load)
    RINGSIM_F32_GEMM=$gemm mpirun -np 1 "$ringsim" run --input "$work/clustered.npy" --out "$dir" --mode topk --k 10 \
      --precision float32 --quiet --progress-seconds 0 >/dev/null
    dirs+=("$dir")
    /usr/bin/python3 - "$dir/report.json" "$gemm" "$rep" "$before" >>"$results" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
chosen = report["precision"]["float32_gemm"]
print(json.dumps({"kind": "job", "gemm": sys.argv[2], "rep": int(sys.argv[3]), "load": float(sys.argv[4]),
                  "ring_seconds": max(r["seconds"]["ring"] for r in report["ranks"]),
                  "library": chosen["library"], "by": chosen["by"],
                  "probe_openblas_gflops": chosen["openblas_gflops"], "probe_onednn_gflops": chosen["onednn_gflops"],
                  "gemm_backend": report["gemm_backend"]}))
PY
  done
  for file in neighbors.npy scores.npy; do
    for dir in "${dirs[@]:1}"; do
      cmp -s "${dirs[0]}/$file" "$dir/$file" ||
        { echo "bench-f32-gemm: $file differs between ${dirs[0]} and $dir" >&2; exit 1; }
    done
  done
  rm -rf "${dirs[@]}"
done

/usr/bin/python3 - "$results" "$out" <<'PY' | tee "$out/f32-gemm.md"
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
json.dump(rows, open(sys.argv[2] + "/f32-gemm.json", "w"), indent=1)
med = statistics.median
# Each repetition's runs ran minutes apart at most: their ratio is the
# figure least moved by the shared machine's drift.
gemm = [r for r in rows if r["kind"] == "gemm"]
jobs = {(r["gemm"], r["rep"]): r for r in rows if r["kind"] == "job"}
reps = sorted({r["rep"] for r in gemm})
ring = {g: [jobs[(g, rep)]["ring_seconds"] for rep in reps] for g in ("openblas", "onednn", "auto")}
gemm_ratio = med(r["onednn_gflops"] / r["openblas_gflops"] for r in gemm)
ring_ratio = med(o / n for o, n in zip(ring["openblas"], ring["onednn"]))
auto_ratio = med(o / a for o, a in zip(ring["openblas"], ring["auto"]))
picked = ", ".join(sorted({jobs[("auto", rep)]["library"] for rep in reps}))
print("| measure | OpenBLAS | oneDNN f32 | oneDNN / OpenBLAS | auto (measured choice) |")
print("|---|---|---|---|---|")
print(f"| GEMM 512 x 512 x 256 GFLOP/s, one core | {med(r['openblas_gflops'] for r in gemm):.1f} | "
      f"{med(r['onednn_gflops'] for r in gemm):.1f} | {gemm_ratio:.2f}x | |")
print(f"| top-10 ring seconds, P = 1 | {med(ring['openblas']):.3f} | {med(ring['onednn']):.3f} | "
      f"{ring_ratio:.2f}x faster | {med(ring['auto']):.3f}, {auto_ratio:.2f}x faster (picked {picked}) |")
loads = [r["load"] for r in rows]
print()
print(f"Medians of {len(reps)} repetitions; ratios: the median of each repetition's own ratio. Load (1-minute "
      f"average) {min(loads):.1f}-{max(loads):.1f}; the three jobs of each repetition wrote byte-identical results.")
PY
