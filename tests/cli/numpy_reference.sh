#!/usr/bin/env bash
# The real command line under mpirun against numpy (numpy_reference.py), in
# every mode and both dtypes, on P = 1..5 ranks: first the issue's
# acceptance run (1001 x 37 float32, 3 ranks, k = 10), then a matrix with
# zero rows, exact ties (repeated and scaled rows) and pairs of rows made
# orthogonal in float64 (cosines near 1e-8, which only float64 gets right
# to the float64 tolerance), each P running each mode once, the dtypes
# alternating so that both meet every mode; then the same with --score dot
# on those rows at norms from 0.2 to 5 (numpy's X @ X.T).
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
reference() { /usr/bin/python3 "$here/numpy_reference.py" "$@"; }
"$ringsim" gen --rows 1001 --cols 37 --seed 7 --out "$work/X.npy" >/dev/null
if run_job 3 --input "$work/X.npy" --out "$work/out" --k 10 &&
  reference "$work/X.npy" "$work/out" topk --k 10; then
  ok "acceptance run"
else
  fail "acceptance run: 1001 x 37, 3 ranks, k = 10"
fi
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(11)
x = rng.standard_normal((83, 9))
for r in range(1, 40, 2):  # row r orthogonal to row r - 1 in float64
    u, v = x[r - 1], x[r]
    x[r] = v - (v @ u) / (u @ u) * u
x = x.astype(np.float32)
x[[4, 41, 82]] = 0            # zero rows: 0 with every row
x[50] = x[60] = x[70]         # exact ties
x[71] = 3 * x[70]
np.save(sys.argv[1] + "/ties.npy", x)
# --score dot: the same rows at norms from 0.2 to 5, so that the dot order
# differs from the cosine order (scores far outside [-1, 1]).
np.save(sys.argv[1] + "/dot.npy", (x * rng.uniform(0.2, 5, (83, 1))).astype(np.float32))
PY
dtypes=(float32 float64)
for p in 1 2 3 4 5; do
  m=0
  for mode in topk threshold full; do
    dtype=${dtypes[$(((p + m) % 2))]}; m=$((m + 1))
    label="P=$p $mode $dtype"
    out="$work/p$p-$mode-$dtype"
    # float64 meets threshold mode at T = 0, which the near-orthogonal pairs
    # straddle; float32 at T = -0.25, so zero rows (0 with every row) are
    # pairs that must be written.
    t=0; [[ $dtype == float32 ]] && t=-0.25
    args=(--mode "$mode" --dtype "$dtype" --k 6 --threshold "$t" --tile 8)
    if ! run_job "$p" --input "$work/ties.npy" --out "$out" --timeout 60 \
      "${args[@]}" 2>"$out.err"; then
      fail "$label: the job failed"; cat "$out.err"; continue
    fi
    if result=$(reference "$work/ties.npy" "$out" "$mode" --k 6 --threshold "$t" --dtype "$dtype" 2>&1); then
      ok "$label: $result"
    else
      fail "$label: $result"
    fi
  done
  # --score dot: inner products without normalisation, every mode, the
  # dtypes alternating the other way round.
  for mode in topk threshold full; do
    dtype=${dtypes[$(((p + m) % 2))]}; m=$((m + 1))
    label="P=$p $mode $dtype dot"
    out="$work/p$p-$mode-$dtype-dot"
    if ! run_job "$p" --input "$work/dot.npy" --out "$out" --timeout 60 \
      --score dot --mode "$mode" --dtype "$dtype" --k 6 --threshold 2 --tile 8 2>"$out.err"; then
      fail "$label: the job failed"; cat "$out.err"; continue
    fi
    if result=$(reference "$work/dot.npy" "$out" "$mode" --k 6 --threshold 2 --dtype "$dtype" --score dot 2>&1); then
      ok "$label: $result"
    else
      fail "$label: $result"
    fi
  done
done
finish
