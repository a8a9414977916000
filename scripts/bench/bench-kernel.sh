#!/usr/bin/env bash
# ringsim against the usual alternatives on the same generated data, in one
# run: a replicated numpy job that splits rows by rank (each process loads
# the whole matrix, computes its rows against all rows, keeps the top k) and
# faiss IndexFlatIP (exact inner-product search over normalised rows), with
# the same number of processes / threads. Prints times and ratios.
#
# Usage: scripts/bench/bench-kernel.sh [--rows N] [--cols D] [--k K] [--ranks P] [--reps R]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=20000; cols=256; k=10; ranks=2; reps=3
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --cols) cols=$2; shift ;; --k) k=$2; shift ;;
    --ranks) ranks=$2; shift ;; --reps) reps=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$root/scripts/bench/bench-setup.sh" --faiss  # $ringsim, built; MPI's environment; $work
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 9 --clusters 64 --out "$work/x.npy"
echo "n=$rows d=$cols k=$k, $ranks processes/threads, $reps repetitions (median), $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores"

cat >"$work/numpy_job.py" <<'PY'
# A replicated job as users write it today: every process loads the whole
# matrix, takes rows [r*n/P, (r+1)*n/P) and computes their top k against all rows.
import os, sys, time
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np
path, k, rank, ranks, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
x = np.load(path)
norms = np.linalg.norm(x, axis=1, keepdims=True)
y = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
n = len(y)
lo, hi = rank * n // ranks, (rank + 1) * n // ranks
ids = np.empty((hi - lo, k), np.int64); scores = np.empty((hi - lo, k), np.float32)
for start in range(lo, hi, 1024):
    stop = min(start + 1024, hi)
    s = y[start:stop] @ y.T
    s[np.arange(stop - start), np.arange(start, stop)] = -np.inf
    part = np.argpartition(-s, k, axis=1)[:, :k]
    ps = np.take_along_axis(s, part, 1)
    order = np.argsort(-ps, axis=1, kind="stable")
    ids[start - lo:stop - lo] = np.take_along_axis(part, order, 1)
    scores[start - lo:stop - lo] = np.take_along_axis(ps, order, 1)
np.save(f"{out}.{rank}.ids.npy", ids)
PY
cat >"$work/faiss_job.py" <<'PY'
import sys, time
import numpy as np
import faiss
path, k, threads, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
faiss.omp_set_num_threads(threads)
x = np.ascontiguousarray(np.load(path), dtype=np.float32)
faiss.normalize_L2(x)
index = faiss.IndexFlatIP(x.shape[1])
index.add(x)
scores, ids = index.search(x, k + 1)
np.save(f"{out}.ids.npy", ids)
PY

declare -A times
for rep in $(seq 1 "$reps"); do
  times[ringsim]+=" $(time_of mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" --out "$work/ringsim" --k "$k" --quiet)"
  times[numpy]+=" $(time_of bash -c "for r in \$(seq 0 $((ranks - 1))); do OPENBLAS_NUM_THREADS=1 /usr/bin/python3 $work/numpy_job.py $work/x.npy $k \$r $ranks $work/numpy & done; wait")"
  if ((have_faiss)); then
    times[faiss]+=" $(time_of env OMP_NUM_THREADS=$ranks OPENBLAS_NUM_THREADS=1 /usr/bin/python3 "$work/faiss_job.py" "$work/x.npy" "$k" "$ranks" "$work/faiss")"
  fi
done
/usr/bin/python3 - "$work" "$k" "$ranks" "${times[ringsim]}" "${times[numpy]}" "${times[faiss]:-}" <<'PY'
import json, statistics, sys
import numpy as np
work, k, ranks = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
med = {name: statistics.median(map(float, t.split())) for name, t in
       zip(("ringsim", "numpy", "faiss"), sys.argv[4:7]) if t.strip()}
report = json.load(open(f"{work}/ringsim/report.json"))
ours = np.load(f"{work}/ringsim/neighbors.npy")
numpy_ids = np.concatenate([np.load(f"{work}/numpy.{r}.ids.npy") for r in range(ranks)])
agree = np.mean([len(set(a) & set(b)) / k for a, b in zip(ours, numpy_ids)])
print(f"ringsim  (mpirun -np {ranks}, end to end): {med['ringsim']:.3f} s   "
      f"(in-job wall {report['wall_seconds']:.3f} s, {report['gemm_backend']}, "
      f"{statistics.mean(q['gflops'] for q in report['ranks']):.0f} GFLOP/s per rank in compute)")
print(f"numpy    ({ranks} processes, replicated):   {med['numpy']:.3f} s")
if "faiss" in med:
    print(f"faiss    (IndexFlatIP, {ranks} threads):     {med['faiss']:.3f} s")
print(f"numpy / ringsim = {med['numpy'] / med['ringsim']:.2f}x")
if "faiss" in med:
    print(f"faiss / ringsim = {med['faiss'] / med['ringsim']:.2f}x  (ringsim wall <= faiss wall: "
          f"{'yes' if med['ringsim'] <= med['faiss'] else 'no'})")
else:
    print("faiss: not installed (scripts/setup/deps.sh --faiss installs Debian's python3-faiss)")
print(f"neighbour-set agreement ringsim vs numpy: {agree:.4f}")
PY
