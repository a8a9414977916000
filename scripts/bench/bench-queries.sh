#!/usr/bin/env bash
# Queries against a corpus: ringsim --queries on P ranks against faiss
# IndexFlatIP.search (exact inner product over normalised rows, P threads)
# and a numpy script (Q @ C.T in chunks of queries, argpartition, P BLAS
# threads), on the same generated data, alternating within each repetition.
# Writes times, ratios and the neighbour agreement to OUT (bench/results/
# queries-DATE by default; never an existing folder).
#
# Usage: scripts/bench/bench-queries.sh [--rows N] [--queries Q] [--cols D] [--k K] [--ranks P] [--reps R] [--out DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=100000; queries=10000; cols=256; k=10; ranks=2; reps=3
out="$root/bench/results/queries-$(date +%Y%m%d-%H%M%S)"
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --queries) queries=$2; shift ;; --cols) cols=$2; shift ;; --k) k=$2; shift ;;
    --ranks) ranks=$2; shift ;; --reps) reps=$2; shift ;; --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -e $out ]] && { echo "bench-queries: $out exists; give another --out" >&2; exit 2; }
source "$root/scripts/bench/bench-setup.sh" --faiss  # $ringsim, built; MPI's environment; $work
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 9 --clusters 64 --out "$work/c.npy" >/dev/null
"$ringsim" gen --rows "$queries" --cols "$cols" --seed 10 --clusters 64 --out "$work/q.npy" >/dev/null

cat >"$work/numpy_search.py" <<'PY'
# What a user writes with numpy: normalise, Q @ C.T a chunk of queries at a
# time, argpartition for the k best, sort those.
import sys
import numpy as np
c, q, k, out = np.load(sys.argv[1]), np.load(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def unit(x):
    n = np.linalg.norm(x, axis=1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)
c, q = unit(c), unit(q)
ids = np.empty((len(q), k), np.int64)
for start in range(0, len(q), 1024):
    s = q[start:start + 1024] @ c.T
    part = np.argpartition(-s, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, part, 1), axis=1, kind="stable")
    ids[start:start + 1024] = np.take_along_axis(part, order, 1)
np.save(out, ids)
PY
cat >"$work/faiss_search.py" <<'PY'
import sys
import numpy as np
import faiss
c, q, k, threads, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
faiss.omp_set_num_threads(threads)
c = np.ascontiguousarray(np.load(c), dtype=np.float32)
q = np.ascontiguousarray(np.load(q), dtype=np.float32)
faiss.normalize_L2(c)
faiss.normalize_L2(q)
index = faiss.IndexFlatIP(c.shape[1])
index.add(c)
_, ids = index.search(q, k)
np.save(out, ids)
PY

mkdir -p "$out"
declare -A times
for rep in $(seq 1 "$reps"); do
  times[ringsim]+=" $(time_of mpirun -np "$ranks" "$ringsim" run --input "$work/c.npy" --queries "$work/q.npy" \
    --out "$work/ringsim" --k "$k" --quiet --progress-seconds 0)"
  times[numpy]+=" $(time_of env OPENBLAS_NUM_THREADS=$ranks /usr/bin/python3 "$work/numpy_search.py" "$work/c.npy" \
    "$work/q.npy" "$k" "$work/numpy.npy")"
  if ((have_faiss)); then
    times[faiss]+=" $(time_of env OMP_NUM_THREADS=$ranks OPENBLAS_NUM_THREADS=1 /usr/bin/python3 \
      "$work/faiss_search.py" "$work/c.npy" "$work/q.npy" "$k" "$ranks" "$work/faiss.npy")"
  fi
done
cp "$work/ringsim/report.json" "$out/ringsim-report.json"
/usr/bin/python3 - "$work" "$k" "$ranks" "$rows" "$queries" "$cols" "$reps" "${times[ringsim]}" "${times[numpy]}" \
  "${times[faiss]:-}" <<'PY' | tee "$out/queries.md"
import json, platform, statistics, subprocess, sys
import numpy as np
work, k, ranks, rows, queries, cols, reps = sys.argv[1], *map(int, sys.argv[2:8])
runs = {name: list(map(float, t.split())) for name, t in zip(("ringsim", "numpy", "faiss"), sys.argv[8:11]) if t.strip()}
med = {name: statistics.median(t) for name, t in runs.items()}
cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
model = next((l.split(":", 1)[1].strip() for l in cpu.splitlines() if l.startswith("Model name")), platform.processor())
report = json.load(open(f"{work}/ringsim/report.json"))
ours = np.load(f"{work}/ringsim/neighbors.npy")
def agreement(path):
    other = np.load(path)
    return np.mean([len(set(a) & set(b)) / k for a, b in zip(ours, other)])
print(f"# Queries against a corpus: {queries} queries x {rows} corpus rows, d = {cols}, k = {k}\n")
print(f"{model}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores; "
      f"{ranks} ranks / threads each; {reps} repetitions, alternating; end-to-end wall seconds (load included).\n")
print("| tool | median s | min s | max s | / ringsim | neighbour sets equal to ringsim's |")
print("|---|---|---|---|---|---|")
names = {"ringsim": f"ringsim --queries (mpirun -np {ranks})", "numpy": f"numpy Q @ C.T + argpartition ({ranks} BLAS threads)",
         "faiss": f"faiss IndexFlatIP.search ({ranks} threads)"}
for name in runs:
    agree = "-" if name == "ringsim" else f"{agreement(f'{work}/{name}.npy'):.4f}"
    print(f"| {names[name]} | {med[name]:.3f} | {min(runs[name]):.3f} | {max(runs[name]):.3f} | "
          f"{med[name] / med['ringsim']:.2f} | {agree} |")
print(f"\nringsim in-job wall {report['wall_seconds']:.3f} s, {report['gemm_backend']}; "
      f"raw times: {json.dumps(runs)}")
if "faiss" not in runs:
    print("\nfaiss: not installed (scripts/setup/deps.sh --faiss installs Debian's python3-faiss)")
PY
echo "bench-queries: wrote $out" >&2
