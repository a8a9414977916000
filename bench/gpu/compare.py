# scripts/bench/bench-gpu.sh's checks: neighbour sets of two top-k results, row by
# row. Ties make a set ambiguous only at its last score: a row agrees when
# the ids above the k-th score agree and the k-th scores are equal (within
# `tolerance`, for results computed in another precision).
# Usage: compare.py A_neighbors.npy A_scores.npy B_neighbors.npy B_scores.npy [tolerance]
import sys
import numpy as np

a_ids, a_s, b_ids, b_s = (np.load(p) for p in sys.argv[1:5])
tol = float(sys.argv[5]) if len(sys.argv) > 5 else 0.0
n, k = a_ids.shape
exact = strict = 0
for r in range(n):
    if set(a_ids[r]) == set(b_ids[r]):
        exact += 1
        strict += 1
        continue
    kth = min(a_s[r, -1], b_s[r, -1])
    if abs(a_s[r, -1] - b_s[r, -1]) <= tol:
        above_a = set(a_ids[r][a_s[r] > kth + tol])
        above_b = set(b_ids[r][b_s[r] > kth + tol])
        if above_a == above_b:
            strict += 1
print(f"rows={n} k={k} identical_sets={exact / n:.6f} equal_up_to_ties={strict / n:.6f} "
      f"max_score_diff={np.nanmax(np.abs(np.nan_to_num(a_s) - np.nan_to_num(b_s))):.3g}")
sys.exit(0 if strict == n else 1)
