"""What the Python package accepts, refuses and explains, and what it reads
back: complex, boolean, object and text arrays refused naming the dtype;
integer arrays read as float64; ranks < 1 refused; k beyond the rows
warned about; threshold pairs read from pairs.npy equal to pairs.csv (ids
included); ringsim.__version__ equal to the binary's --version.
Usage: inputs.py RINGSIM_BINARY (Debian's python3)."""
import csv
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from harness import check, finish, subprocess_package

ringsim = subprocess_package(sys.argv[1])


def refused(call, error, needle):
    """Whether call() raises `error` whose message holds `needle`, before any job."""
    try:
        call()
    except error as e:
        return needle in str(e) or print(f"    message: {e}")
    except Exception as e:  # noqa: BLE001
        print(f"    raised {type(e).__name__}: {e}")
        return False
    return False


quiet = dict(progress=lambda line: None, timeout=60)
X = np.random.default_rng(3).standard_normal((40, 6))
for bad, dtype in [(X + 1j, "complex128"), (X > 0, "bool"), (X.astype(object), "object"), (X.astype(str), "<U")]:
    check(refused(lambda: ringsim.topk(bad, k=3, **quiet), TypeError, f"dtype {dtype}"), f"{dtype} input accepted")
check(refused(lambda: ringsim.threshold(X, 0.5, queries=X[:3] + 1j, **quiet), TypeError, "queries has dtype complex"),
      "complex queries accepted")
for ranks in (0, -2, 1.5, True):
    check(refused(lambda: ringsim.topk(X, k=3, ranks=ranks, **quiet), ValueError, "ranks must be an integer >= 1"),
          f"ranks={ranks!r} accepted")
check(refused(lambda: ringsim.run(["--version"], ranks=0), ValueError, "ranks must be"), "run(ranks=0) accepted")

# Integers are read as float64: the same neighbours as the float matrix.
counts = np.random.default_rng(4).integers(0, 20, size=(60, 5))
nb_int, sc_int = ringsim.topk(counts, k=4, dtype="float64", **quiet)
nb_float, sc_float = ringsim.topk(counts.astype(np.float64), k=4, dtype="float64", **quiet)
check(np.array_equal(nb_int, nb_float) and np.array_equal(sc_int, sc_float), "an int64 matrix differs from its float64")

# k beyond the rows: a warning that says what the result will hold.
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    nb, sc = ringsim.topk(X[:5], k=7, **quiet)
said = [str(w.message) for w in caught]
check(any("k=7 but each row has only 4 candidate rows" in m and "-1" in m for m in said), f"k > n-1 warnings: {said}")
check(nb.shape == (5, 7) and (nb[:, 4:] == -1).all() and np.isnan(sc[:, 4:]).all(), "k > n-1 padding")

# Threshold pairs: read() takes pairs.npy; equal to pairs.csv, ids included.
with tempfile.TemporaryDirectory() as d:
    np.save(f"{d}/x.npy", X)
    (Path(d) / "ids.txt").write_text("".join(f"doc-{r}\n" for r in range(40)))
    ringsim.run(["run", "--input", f"{d}/x.npy", "--out", f"{d}/out", "--mode", "threshold", "--threshold", "0.2",
                 "--ids", f"{d}/ids.txt", "--quiet"], ranks=2, progress=lambda line: None)
    pairs = ringsim.read(f"{d}/out")["pairs"]
    with open(f"{d}/out/pairs.csv", newline="") as f:
        rows = list(csv.reader(f))
    check(list(pairs.columns) == rows[0] == ["i", "j", "score", "id_i", "id_j"], f"columns {list(pairs.columns)}")
    check(len(pairs) == len(rows) - 1 > 0, f"{len(pairs)} pairs read, pairs.csv has {len(rows) - 1}")
    check(pairs["i"].tolist() == [int(r[0]) for r in rows[1:]] and pairs["j"].tolist() == [int(r[1]) for r in rows[1:]]
          and np.array_equal(pairs["score"].to_numpy(), np.array([r[2] for r in rows[1:]], dtype=np.float32))
          and pairs["id_i"].tolist() == [r[3] for r in rows[1:]] and pairs["id_j"].tolist() == [r[4] for r in rows[1:]],
          "pairs read from pairs.npy differ from pairs.csv")
    check(pairs["i"].dtype == np.int64 and pairs["score"].dtype == np.float32, f"dtypes {pairs.dtypes.tolist()}")

# One version: the package's and the binary's.
printed = subprocess.run([os.environ["RINGSIM"], "--version"], capture_output=True, text=True).stdout.split()
check(len(printed) >= 2 and printed[1] == ringsim.__version__,
      f"ringsim --version says {printed}, ringsim.__version__ {ringsim.__version__}")

finish()
