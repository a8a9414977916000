#!/usr/bin/python3
"""Checks a ringsim result, in any mode, against numpy's normalize-then-matmul.

Usage: numpy_reference.py MATRIX.npy RESULT_DIR MODE [--k K] [--threshold T] [--dtype D] [--score S]
                           [--queries QUERIES.npy]
       numpy_reference.py MATRIX.npy RESULT_DIR K      (topk, float32, K neighbours)
MODE is topk, threshold or full. The reference is float64 numpy, with zero
rows scoring 0 with every row (itself included), as ringsim's contract says;
with --score dot it is X @ X.T (no normalisation) and the tolerances below
are scaled by the largest |score|. With --queries the reference is the
queries against MATRIX (the corpus): Q @ X.T of the normalised rows (or the
rows as they are with dot), every corpus row a candidate for every query.

Tolerance: float32 runs 1e-5 absolute; float64 runs must give the float64
answer rounded to float32 (3e-7 relative, 1e-13 absolute), which float32
arithmetic misses on data with near-zero cosines. A NaN or an Inf is always a
mismatch, except the NaN that pads a top-k row with fewer than k other rows.

  topk       shapes and dtypes; self excluded; scores descending, finite and
             equal to the reference's k best; each score matches its id; the
             neighbour set equals numpy's except members tied (within the
             tolerance) with the k-th score; equal scores listed by smaller id
             (float32, where the written score is the one ranked);
             padding (id -1, score NaN) exactly where a row has too few others.
  threshold  header i,j,score; i < j, sorted by (i, j), no repeats; scores
             match; every pair with score >= T present and no pair below T
             (pairs within the tolerance of T may go either way).
  full       n x n float32, every entry finite and equal to the reference.
  report     report.json's mode is MODE; k only in topk, threshold only in
             threshold mode.

Every failed check exits non-zero with a message naming the row or pair.
"""
import argparse
import csv
import json
import sys

import numpy as np


def check(condition, message):
    if not condition:
        sys.exit(f"numpy_reference: FAIL: {message}")


def reference(path, score="cosine", queries=None):
    def rows(p):
        x = np.load(p).astype(np.float64)
        if score == "dot":
            return x
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
    y = rows(path)
    return (rows(queries) if queries else y) @ y.T


def within(got, want, tol):
    """Element-wise: finite on both sides and |got - want| <= abs + rel * |want|."""
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.isfinite(got) & np.isfinite(want) & (np.abs(got - want) <= tol[0] + tol[1] * np.abs(want))


def check_topk(s, out, k, tol, ordered_ties, across):
    n, corpus = s.shape
    nb = np.load(f"{out}/neighbors.npy")
    sc = np.load(f"{out}/scores.npy")
    check(nb.shape == (n, k) and nb.dtype == np.int64, f"neighbors.npy is {nb.shape} {nb.dtype}, want ({n}, {k}) int64")
    check(sc.shape == (n, k) and sc.dtype == np.float32, f"scores.npy is {sc.shape} {sc.dtype}, want ({n}, {k}) float32")
    others = min(k, corpus if across else n - 1)
    masked = s.copy()
    if not across:
        np.fill_diagonal(masked, -np.inf)
    order = np.argsort(-masked, axis=1, kind="stable")[:, :others]
    ref_scores = np.take_along_axis(masked, order, axis=1)
    near_ties = 0
    for i in range(n):
        ids, scores = nb[i, :others], sc[i, :others]
        check(np.all(nb[i, others:] == -1) and np.all(np.isnan(sc[i, others:])),
              f"row {i}: slots {others}.. should be padding (-1, NaN), got {nb[i, others:]} {sc[i, others:]}")
        check(np.all((ids >= 0) & (ids < corpus)), f"row {i}: id out of range: {ids}")
        check(across or i not in ids, f"row {i} lists itself")
        check(len(set(ids.tolist())) == len(ids), f"row {i}: repeated id: {ids}")
        bad = ~within(scores, ref_scores[i], tol)
        check(not bad.any(), f"row {i}: scores {scores[bad]} but numpy's {ref_scores[i][bad]} at slots {np.where(bad)[0]}")
        bad = ~within(scores, s[i, ids], tol)
        check(not bad.any(), f"row {i}: scores {scores[bad]} do not match their ids {ids[bad]} ({s[i, ids[bad]]})")
        check(np.all(np.diff(scores) <= 0), f"row {i}: scores not descending: {scores}")
        if ordered_ties:  # float64 ranks by scores that float32 output may round to one value
            equal = np.diff(scores) == 0
            check(np.all(np.diff(ids)[equal] > 0), f"row {i}: equal scores not listed by smaller id: {ids} {scores}")
        if set(ids.tolist()) != set(order[i].tolist()):
            kth = ref_scores[i, -1]
            diff = sorted(set(ids.tolist()) ^ set(order[i].tolist()))
            check(all(within(s[i, j], kth, tol) for j in diff),
                  f"row {i}: neighbour set differs from numpy's by {diff}, not tied with the k-th score {kth}")
            near_ties += 1
    return f"{n} rows (k={k}; {near_ties} differ only by a tie at the k-th place)"


def check_threshold(s, out, threshold, tol, across):
    n, corpus = s.shape
    with open(f"{out}/pairs.csv", newline="") as f:
        rows = list(csv.reader(f))
    check(rows and rows[0] == ["i", "j", "score"], f"pairs.csv header {rows[:1]}")
    listed = set()
    previous = (-1, -1)
    for line, row in enumerate(rows[1:], start=2):
        check(len(row) == 3, f"pairs.csv:{line}: {row}")
        i, j, score = int(row[0]), int(row[1]), float(row[2])
        check(0 <= i < n and 0 <= j < corpus if across else 0 <= i < j < n, f"pairs.csv:{line}: bad pair ({i}, {j})")
        check((i, j) > previous, f"pairs.csv:{line}: ({i}, {j}) not after {previous}")
        previous = (i, j)
        check(within(score, s[i, j], tol), f"pairs.csv:{line}: ({i}, {j}) score {row[2]}, numpy {s[i, j]!r}")
        band = tol[0] + tol[1] * abs(threshold)
        check(s[i, j] >= threshold - band, f"pairs.csv:{line}: ({i}, {j}) score {s[i, j]!r} below {threshold}")
        listed.add((i, j))
    # pairs.npy: the same pairs as records, the score the CSV's float32.
    records = np.load(f"{out}/pairs.npy")
    check(records.dtype.names == ("i", "j", "score") and records["score"].dtype == np.float32 and
          records["i"].tolist() == [int(r[0]) for r in rows[1:]] and
          records["j"].tolist() == [int(r[1]) for r in rows[1:]] and
          np.array_equal(records["score"], np.array([r[2] for r in rows[1:]], dtype=np.float32)),
          f"pairs.npy ({records.dtype}, {records.shape}) is not pairs.csv's pairs")
    band = tol[0] + tol[1] * abs(threshold)
    iu, ju = np.indices(s.shape).reshape(2, -1) if across else np.triu_indices(n, 1)
    for i, j in zip(iu[s[iu, ju] >= threshold + band], ju[s[iu, ju] >= threshold + band]):
        check((int(i), int(j)) in listed, f"pair ({i}, {j}) with score {s[i, j]!r} >= {threshold} is missing")
    return f"{len(listed)} pairs of {n * corpus if across else n * (n - 1) // 2} at threshold {threshold}"


def check_full(s, out, tol):
    n = s.shape[0]
    m = np.load(f"{out}/similarity.npy")
    check(m.shape == (n, n) and m.dtype == np.float32, f"similarity.npy is {m.shape} {m.dtype}, want ({n}, {n}) float32")
    bad = ~within(m, s, tol)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        check(False, f"{bad.sum()} entries differ, first ({i}, {j}) = {m[i, j]!r}, numpy {s[i, j]!r}")
    return f"{n} x {n}"


def main():
    argv = sys.argv[1:]
    # The older form, MATRIX RESULT_DIR K, is top-k with K neighbours (the
    # test bed scripts call it so).
    if len(argv) == 3 and argv[2].isdigit():
        argv = [argv[0], argv[1], "topk", "--k", argv[2]]
    parser = argparse.ArgumentParser()
    parser.add_argument("matrix")
    parser.add_argument("out")
    parser.add_argument("mode", choices=["topk", "threshold", "full"])
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--score", choices=["cosine", "dot"], default="cosine")
    parser.add_argument("--queries")
    a = parser.parse_args(argv)
    tol = (1e-5, 0.0) if a.dtype == "float32" else (1e-13, 3e-7)
    s = reference(a.matrix, a.score, a.queries)
    if a.score == "dot":  # absolute rounding grows with the scores' size
        scale = max(1.0, float(np.abs(s).max()))
        tol = (tol[0] * scale, max(tol[1], 1e-6 if a.dtype == "float32" else 0.0))
    # report.json holds the mode's own settings only (no threshold in a top-k report).
    report = json.load(open(f"{a.out}/report.json"))
    check(report["mode"] == a.mode and ("k" in report) == (a.mode == "topk") and
          ("threshold" in report) == (a.mode == "threshold"),
          f"report.json of a {a.mode} job holds k: {'k' in report}, threshold: {'threshold' in report}")
    if a.mode == "topk":
        what = check_topk(s, a.out, a.k, tol, a.dtype == "float32", bool(a.queries))
    elif a.mode == "threshold":
        what = check_threshold(s, a.out, a.threshold, tol, bool(a.queries))
    else:
        what = check_full(s, a.out, tol)
    print(f"ok: {a.mode} {a.dtype} {a.score}{' queries' if a.queries else ''} matches numpy: {what}")


if __name__ == "__main__":
    main()
