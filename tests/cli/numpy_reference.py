#!/usr/bin/python3
"""Checks a ringsim top-k result against numpy's normalize-then-matmul.

Usage: numpy_reference.py MATRIX.npy RESULT_DIR K
For every row: the neighbour set equals numpy's (a near-tie at the k-th place,
within the tolerance, may swap members), scores agree within 1e-5, self is
excluded and order is by score descending.
"""
import sys

import numpy as np

TOL = 1e-5
x = np.load(sys.argv[1]).astype(np.float64)
k = int(sys.argv[3])
norms = np.linalg.norm(x, axis=1, keepdims=True)
y = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
s = y @ y.T
np.fill_diagonal(s, -np.inf)
order = np.argsort(-s, axis=1, kind="stable")[:, :k]
ref_scores = np.take_along_axis(s, order, axis=1)
nb = np.load(f"{sys.argv[2]}/neighbors.npy")
sc = np.load(f"{sys.argv[2]}/scores.npy")
assert nb.shape == (x.shape[0], k) and nb.dtype == np.int64, (nb.shape, nb.dtype)
assert sc.shape == (x.shape[0], k) and sc.dtype == np.float32, (sc.shape, sc.dtype)
bad = 0
for i in range(x.shape[0]):
    assert i not in nb[i], f"row {i} lists itself"
    assert np.all(np.diff(sc[i]) <= 0), f"row {i}: scores not descending"
    assert np.allclose(sc[i], ref_scores[i], atol=TOL, rtol=0), f"row {i}: scores differ"
    assert np.allclose(sc[i], s[i, nb[i]], atol=TOL, rtol=0), f"row {i}: score does not match its id"
    if set(nb[i]) != set(order[i]):
        kth = ref_scores[i, -1]
        # Only candidates tied with the k-th reference score may differ.
        diff = set(nb[i]) ^ set(order[i])
        assert all(abs(s[i, j] - kth) <= TOL for j in diff), f"row {i}: neighbour set differs: {sorted(diff)}"
        bad += 1
print(f"ok: {x.shape[0]} rows match numpy (k={k}; {bad} rows differ only by a near-tie at the k-th place)")
