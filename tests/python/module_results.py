"""The compiled module against numpy and against the command line, from the
venv python.venv_install made: every mode at P = 1..5 threads, queries, ids,
dtypes and tiles of 65 rows and more equal to numpy; every mode, dtype, P = 1..5 and tile 64 / 65 / 128 bit-identical
to the files `mpirun ringsim run` writes; the memory, tcp and tls transports;
progress callbacks; errors; repeated calls leaving no thread or descriptor
behind. Usage: module_results.py RINGSIM_BINARY (run by the venv's python)."""
import contextlib
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from harness import check, cosines, finish, installed_package

binary = os.path.abspath(sys.argv[1])
ringsim = installed_package()

rng = np.random.default_rng(11)
X = rng.standard_normal((157, 12))  # float64: the reference is exact up to the last bit of a cosine
X[5] = 0  # a zero row: cosine 0 with every row
U, S = cosines(X)
Q = rng.standard_normal((9, 12))
Q[0] = X[20]
QS = (Q / np.linalg.norm(Q, axis=1, keepdims=True)) @ U.T


def topk_matches(nb, sc, scores, k, what):
    """Neighbours whose scores are numpy's k best (ties may order either way)."""
    ok = nb.shape == (len(scores), k) and nb.dtype == np.int64 and sc.dtype == np.float32
    best = -np.sort(-scores, axis=1)[:, :k]
    ok = ok and np.allclose(np.take_along_axis(scores, nb, 1), best, atol=1e-9) and np.allclose(sc, best, atol=1e-6)
    check(ok, f"{what}: top-{k} differs from numpy's")


for ranks in range(1, 6):
    nb, sc = ringsim.topk(X, k=7, ranks=ranks, dtype="float64")
    topk_matches(nb, sc, S, 7, f"topk P={ranks}")
    nbq, scq = ringsim.topk(X, k=5, queries=Q, ranks=ranks, dtype="float64")
    topk_matches(nbq, scq, QS, 5, f"queries P={ranks}")
    check(nbq[0, 0] == 20, f"queries P={ranks}: a query equal to row 20 finds it first")
    pairs = ringsim.threshold(X, 0.3, ranks=ranks, dtype="float64")
    i, j = np.nonzero(np.triu(S, 1) >= 0.3)
    check(np.array_equal(pairs["i"].to_numpy(), i) and np.array_equal(pairs["j"].to_numpy(), j) and
          np.allclose(pairs["score"].to_numpy(), S[i, j], atol=1e-6), f"threshold P={ranks} differs from numpy's")
    qpairs = ringsim.threshold(X, 0.5, queries=Q, ranks=ranks, dtype="float64")
    check(set(zip(qpairs["i"], qpairs["j"])) == {(int(a), int(b)) for a, b in zip(*np.nonzero(QS >= 0.5))},
          f"threshold with queries P={ranks} differs from numpy's")
    F = ringsim.full(X, ranks=ranks)
    check(F.shape == (157, 157) and np.allclose(F, U @ U.T, atol=1e-6), f"full P={ranks} differs from U @ U.T")

# Tiles of 65 rows and more over n ~ 300 (every row of every tile counts),
# float32 in (no copy), score='dot', a Fortran-order array (converted once).
Y = rng.standard_normal((301, 16)).astype(np.float32)
D = Y.astype(np.float64) @ Y.astype(np.float64).T
np.fill_diagonal(D, -np.inf)
for tile in (65, 100, 128):
    nb, sc = ringsim.topk(Y, k=4, ranks=3, tile=tile, score="dot")
    topk_matches(nb, sc, D, 4, f"dot tile={tile}")
nb, sc = ringsim.topk(np.asfortranarray(Y), k=4, ranks=2, score="dot")
topk_matches(nb, sc, D, 4, "a Fortran-order array")

# Transports between the threads: the memory hand-over, and tcp / tls over loopback.
for transport in ("memory", "tcp", "tls"):
    nb, sc = ringsim.topk(X, k=3, ranks=3, transport=transport, dtype="float64")
    topk_matches(nb, sc, S, 3, f"transport={transport}")

# ids: neighbour ids in the shape of neighbors; integer ids too.
names = np.array([f"doc-{r:05d}" for r in range(157)])
nb, sc, found = ringsim.topk(X, k=3, ids=names, ranks=2)
check(found.shape == nb.shape and (found == names[nb]).all(), "string ids do not name the neighbours")
nb, sc, found = ringsim.topk(X, k=3, ids=np.arange(157) * 10, ranks=2)
check((found == nb * 10).all(), "integer ids do not name the neighbours")
qp = ringsim.threshold(X, 0.5, queries=Q, ids=names, query_ids=[f"q{r}" for r in range(9)], ranks=2)
check(len(qp) and (qp["id_j"] == names[qp["j"]]).all() and (qp["id_i"] == "q" + qp["i"].astype(str)).all(),
      "threshold with ids and query_ids: id columns")

# Bit-identical to the command line's files (same P, tile, dtype): every mode
# and dtype at P = 1..5 and tiles of 64, 65 and 128 rows (about 20 s).
cases = [(ranks, tile, mode, extra, dtype) for mode, extra in (("topk", ["--k", "5"]), ("full", []),
                                                               ("threshold", ["--threshold", "0.3"]))
         for dtype in ("float32", "float64") for ranks in range(1, 6) for tile in (64, 65, 128)]
with tempfile.TemporaryDirectory() as d:
    np.save(f"{d}/x.npy", Y)
    for ranks, tile, mode, extra, dtype in cases:
        name = f"{mode}-{dtype}-{ranks}-{tile}"
        out = Path(d) / f"cli-{name}"
        subprocess.run(["mpirun", "-np", str(ranks), "--oversubscribe", binary, "run", "--input", f"{d}/x.npy", "--out",
                        str(out), "--mode", mode, "--tile", str(tile), "--dtype", dtype, "--quiet", *extra],
                       check=True, capture_output=True, timeout=120)
        mine = Path(d) / f"module-{name}"
        same_job = {"topk": lambda **kw: ringsim.topk(Y, k=5, **kw), "full": lambda **kw: ringsim.full(Y, **kw),
                    "threshold": lambda **kw: ringsim.threshold(Y, 0.3, **kw)}
        same_job[mode](ranks=ranks, tile=tile, dtype=dtype, out=mine)
        files = sorted(p.name for p in out.glob("*.npy"))
        same = files == sorted(p.name for p in mine.glob("*.npy")) and all(
            (out / f).read_bytes() == (mine / f).read_bytes() for f in files)
        check(same and files, f"{mode} {dtype} P={ranks} tile={tile}: {files} differ from the command line's")

# progress: fractions in [0, 1], rising, ending at 1.
seen = []
ringsim.topk(X, k=3, ranks=3, progress=seen.append)
check(seen and seen == sorted(seen) and 0 <= seen[0] and seen[-1] == 1.0, f"progress fractions: {seen}")
# progress=True: a tqdm bar on stderr, when tqdm is importable.
if importlib.util.find_spec("tqdm") is None:
    print("skipped: progress=True (tqdm is not installed)")
else:
    drawn = io.StringIO()
    with contextlib.redirect_stderr(drawn):
        ringsim.topk(X, k=3, ranks=2, progress=True)
    check("100/100%" in drawn.getvalue(), f"progress=True drew no finished tqdm bar: {drawn.getvalue()[-300:]!r}")
# An exception in the callback stops the job and surfaces.
try:
    ringsim.topk(X, k=3, ranks=2, progress=lambda f: 1 / 0)
    check(False, "an exception in the progress callback was swallowed")
except ZeroDivisionError:
    pass

# Errors: ringsim's one line, as RingsimError.
bad = X.copy()
bad[3, 4] = np.nan
try:
    ringsim.topk(bad, k=3, ranks=2)
    check(False, "NaN input did not raise")
except ringsim.RingsimError as e:
    check("NaN at row 3, column 4" in str(e), f"error message: {e}")
try:
    ringsim.topk(X, k=3, ranks=2, no_such_option=1)
    check(False, "an unknown keyword was accepted")
except ringsim.RingsimError as e:
    check("no_such_option" in str(e), f"unknown keyword message: {e}")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    nb, sc = ringsim.topk(X[:5], k=7, ranks=2)
check(nb.shape == (5, 7) and (nb[:, 4:] == -1).all() and any("k=7" in str(w.message) for w in caught), "k > n - 1")

# ranks defaults to the physical cores this process may use.
cores = ringsim._engine.physical_cores()
with tempfile.TemporaryDirectory() as d:
    ringsim.topk(X, k=3, out=f"{d}/o")
    ran = len(ringsim.read(f"{d}/o")["report"]["ranks"])
    check(cores is None or ran == cores[0], f"default ranks {ran}, physical cores {cores}")

# Many calls leave no thread, descriptor or temporary folder behind.
threads, fds = len(os.listdir("/proc/self/task")), len(os.listdir("/proc/self/fd"))
for _ in range(20):
    ringsim.topk(X, k=3, ranks=4)
check(len(os.listdir("/proc/self/task")) == threads and len(os.listdir("/proc/self/fd")) == fds,
      f"20 calls: threads {threads} -> {len(os.listdir('/proc/self/task'))}, fds {fds} -> "
      f"{len(os.listdir('/proc/self/fd'))}")
finish()
