"""The Python package against numpy: ringsim.topk on 2 ranks, threshold as a
DataFrame, full, read(), ids and an error that raises with ringsim's line,
on the subprocess path (the binary under mpirun); module_results.py tests the
compiled module. Usage: api.py RINGSIM_BINARY (Debian's python3)."""
import sys
import tempfile

import numpy as np

from harness import check, cosines, finish, subprocess_package

ringsim = subprocess_package(sys.argv[1])

rng = np.random.default_rng(7)
X = rng.standard_normal((157, 12))  # float64: the reference is exact up to the last bit of a cosine
X[5] = 0  # a zero row: cosine 0 with every row
U, S = cosines(X)

# topk on 2 ranks; progress lines reach the callback.
nb, sc = ringsim.topk(X, k=7, ranks=2, dtype="float64", progress=lambda l: None, timeout=60)
check(nb.dtype == np.int64 and sc.dtype == np.float32 and nb.shape == (157, 7), f"topk types {nb.dtype} {sc.dtype}")
expected = np.take_along_axis(S, nb, axis=1)
check(np.allclose(sc, expected, atol=1e-6), "topk scores are not the cosines of the neighbours")
kth = -np.sort(-S, axis=1)[:, 6]
check(np.all(sc >= kth[:, None].astype(np.float32) - 1e-6), "topk misses a nearer row than the k-th")
order = np.lexsort((np.broadcast_to(np.arange(157), S.shape), -S), axis=1)[:, :7]
check(np.array_equal(nb, order) or np.allclose(np.take_along_axis(S, order, 1), expected, atol=1e-9),
      "topk neighbours differ from numpy's")
# ringsim's stderr lines reach the callback: here the warning that 5 rows
# have fewer than k = 7 other rows.
lines = []
ringsim.topk(X[:5], k=7, progress=lines.append)
check(any("each row has only 4 candidate rows" in l for l in lines), f"the warning did not reach the callback: {lines}")

# Keyword options reach ringsim: --score dot gives numpy's X @ X.T.
D = X @ X.T
np.fill_diagonal(D, -np.inf)
nbd, scd = ringsim.topk(X, k=4, ranks=2, score="dot", dtype="float64", progress=lambda l: None, timeout=60)
check(np.array_equal(nbd, np.argsort(-D, axis=1, kind="stable")[:, :4]) and
      np.allclose(scd, -np.sort(-D, axis=1)[:, :4], rtol=1e-6), "score='dot' differs from X @ X.T")

# queries: each query's nearest rows of X, numpy's Q @ X.T of the normalised
# rows (no row excluded: a query equal to a row of X finds it at score 1).
Q = rng.standard_normal((9, 12))
Q[0] = X[20]
V = Q / np.linalg.norm(Q, axis=1, keepdims=True)
QS = V @ U.T
nbq, scq = ringsim.topk(X, k=5, queries=Q, ranks=2, dtype="float64", progress=lambda l: None, timeout=60)
check(nbq.shape == (9, 5) and np.array_equal(nbq, np.argsort(-QS, axis=1, kind="stable")[:, :5]),
      f"queries: neighbours differ from numpy's Q @ X.T: {nbq[:2]}")
check(nbq[0, 0] == 20 and np.allclose(scq, -np.sort(-QS, axis=1)[:, :5], atol=1e-6), "queries: scores")
qpairs = ringsim.threshold(X, 0.5, queries=Q, ranks=2, dtype="float64", progress=lambda l: None, timeout=60)
check(set(zip(qpairs["i"], qpairs["j"])) == {(int(i), int(j)) for i, j in zip(*np.nonzero(QS >= 0.5))},
      "queries: threshold pairs differ from numpy's")

# threshold: a DataFrame equal to numpy's pairs.
import pandas as pd  # noqa: E402

pairs = ringsim.threshold(X, 0.3, ranks=2, dtype="float64", progress=lambda l: None, timeout=60)
check(isinstance(pairs, pd.DataFrame), f"threshold returned {type(pairs)}")
i, j = np.nonzero(np.triu(S, 1) >= 0.3)
check(len(pairs) == len(i) and np.array_equal(pairs["i"].to_numpy(), i) and np.array_equal(pairs["j"].to_numpy(), j),
      f"threshold pairs differ from numpy's ({len(pairs)} vs {len(i)})")
check(np.allclose(pairs["score"].to_numpy(), S[i, j], atol=1e-6), "threshold scores differ")

# full, from a path.
with tempfile.TemporaryDirectory() as d:
    np.save(f"{d}/x.npy", X)
    F = ringsim.full(f"{d}/x.npy", progress=lambda l: None)
    R = U @ U.T
    check(F.shape == (157, 157) and np.allclose(F, R, atol=1e-6), "full differs from U @ U.T")

# ids: the neighbours' ids come back in the shape of neighbors.
ids = [f"doc-{r:05d}" for r in range(157)]
nb2, sc2, names = ringsim.topk(X, k=3, ids=ids, ranks=2, progress=lambda l: None, timeout=60)
check(names.shape == nb2.shape and all(names[r, c] == ids[nb2[r, c]] for r in range(157) for c in range(3)),
      "neighbour ids do not name the neighbours")

# An error raises RingsimError with ringsim's one-line reason.
bad = X.copy()
bad[3, 4] = np.nan
try:
    ringsim.topk(bad, k=3, ranks=2, progress=lambda l: None, timeout=60)
    check(False, "NaN input did not raise")
except ringsim.RingsimError as e:
    check("NaN at row 3, column 4" in str(e) and "\n" not in str(e), f"error message: {e}")

finish()
