"""Python front end for ringsim: all-pairs cosine (or dot) similarity.

With the compiled module (ringsim._engine, built by scripts/setup/build.sh or
``pip install --no-build-isolation ./python``), each call runs the engine in
this process: ``ranks`` threads (default: one per physical core this process
may use) hand row blocks over in memory, the GIL is released while they work,
Ctrl-C raises KeyboardInterrupt within a second, and ``progress`` (a callable
taking the fraction done, or True for a tqdm bar) hears how far it got. Given
``comm`` (an mpi4py communicator), the call runs over MPI across the processes
of an mpirun'ed script instead, results on rank 0.

Without the module (or with RINGSIM_SUBPROCESS=1), each call runs the ringsim
binary under ``mpirun -np ranks`` on a private temporary folder, and
``progress`` takes ringsim's lines; ringsim.run always does (the launcher and
multi-host jobs). The binary is $RINGSIM, else build/ringsim of the
repository this package sits in, else ``ringsim`` on PATH.

Either way a failed job raises RingsimError carrying ringsim's one-line
reason, and the results are those of the command line, bit for bit.

    >>> import numpy as np, ringsim
    >>> X = np.random.default_rng(0).standard_normal((1000, 64)).astype(np.float32)
    >>> neighbors, scores = ringsim.topk(X, k=10)
    >>> pairs = ringsim.threshold(X, 0.4)           # DataFrame i, j, score
    >>> S = ringsim.full(X)                          # n x n float32
    >>> Q = X[:5] + 0.1
    >>> neighbors, scores = ringsim.topk(X, k=3, queries=Q)  # 5 x 3: Q's nearest rows of X
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path
from typing import Optional

from ._inputs import RingsimError, _explain_k, _neighbor_ids
from ._results import read
from ._subprocess import binary, run

__all__ = ["RingsimError", "topk", "threshold", "full", "read", "run", "binary", "in_process"]
# One version for the package and the binary: CMake reads the same file
# (``ringsim --version`` and ringsim._engine.release print it).
__version__ = (Path(__file__).resolve().parent / "VERSION").read_text(encoding="utf-8").strip()


def _load_engine():
    if os.environ.get("RINGSIM_SUBPROCESS", "") not in ("", "0"):
        return None
    if importlib.util.find_spec(__name__ + "._engine") is None:
        return None  # not built: the subprocess path
    try:
        from . import _engine
    except ImportError as e:  # built but broken (a missing library): say so, then carry on without it
        warnings.warn(f"ringsim._engine did not load ({e}); running jobs through the ringsim binary instead",
                      stacklevel=2)
        return None
    if _engine.release != __version__:
        raise ImportError(f"ringsim._engine is release {_engine.release}, the package {__version__}: "
                          "reinstall (pip install --no-build-isolation ./python)")
    better = _engine.preferred_openblas_coretype()
    if better:  # OpenBLAS read the environment when it loaded, before ringsim could set it
        warnings.warn(f"OpenBLAS runs {_engine.gemm_backend()} on a CPU that has faster ones: start Python with "
                      f"OPENBLAS_CORETYPE={better} for up to twice the speed (docs/python.md)", stacklevel=3)
    return _engine


_engine = _load_engine()


def in_process() -> bool:
    """Whether calls run in this process (the compiled module) rather than
    through the ringsim binary under mpirun."""
    return _engine is not None


def _job(X, mode: str, ids, ranks, transport, progress, options: dict, queries, query_ids, out, comm,
         sharded: bool) -> Optional[dict]:
    if comm is not None or sharded:
        if comm is None:
            raise ValueError("sharded=True needs comm= (each process of the communicator passes its own rows)")
        if _engine is None:
            raise RingsimError("comm= needs the compiled module ringsim._engine (pip install --no-build-isolation "
                               "./python, docs/python.md)")
        if ranks is not None:
            raise ValueError("ranks= and comm= exclude each other: the communicator's processes are the ranks")
        from . import _in_process
        return _in_process.mpi_job(X, mode, ids, comm, sharded, transport, options, queries, query_ids, out)
    if _engine is not None:
        from . import _in_process
        return _in_process.job(X, mode, ids, ranks, transport, progress, options, queries, query_ids, out)
    from . import _subprocess
    lines = None if progress is True else progress  # True: ringsim's lines on stderr, the path's default
    return _subprocess.job(X, mode, ids, 1 if ranks is None else ranks, transport or "mpi", lines, options, queries,
                           query_ids, out)


def topk(X, k: int = 10, queries=None, ids=None, ranks: Optional[int] = None, transport: Optional[str] = None,
         progress=None, query_ids=None, out=None, comm=None, sharded: bool = False, **options):
    """Each row's k nearest other rows: (neighbors int64 n x k, scores
    float32 n x k), plus the neighbours' ids when ``ids`` is given. Missing
    slots (k > n - 1) hold -1 and NaN. With ``queries`` (an array or a
    path), each query row's k nearest rows of X instead (q x k; every row of
    X is a candidate; ``query_ids`` names the queries in the result folder).
    ``out``: keep the result folder there. ``comm``: an mpi4py communicator
    (results on its rank 0, None elsewhere; ``sharded``: each process passed
    its own rows). Other ringsim options as keywords (score="dot",
    dtype="float64", tile=256, ...)."""
    _explain_k(k, X, queries)
    result = _job(X, "topk", ids, ranks, transport, progress, dict(options, k=k), queries, query_ids, out, comm,
                  sharded)
    if result is None:
        return None
    if ids is None:
        return result["neighbors"], result["scores"]
    return result["neighbors"], result["scores"], _neighbor_ids(result)


def threshold(X, t: float, queries=None, ids=None, ranks: Optional[int] = None, transport: Optional[str] = None,
              progress=None, query_ids=None, out=None, comm=None, sharded: bool = False, **options):
    """Every pair i < j with score >= t: a pandas DataFrame (columns i, j,
    score, and id_i, id_j with ids) when pandas is importable, else a dict of
    numpy arrays. With ``queries``, every (query i, row j of X) pair instead.
    Other arguments as topk's."""
    result = _job(X, "threshold", ids, ranks, transport, progress, dict(options, threshold=t), queries, query_ids,
                  out, comm, sharded)
    return None if result is None else result["pairs"]


def full(X, ranks: Optional[int] = None, transport: Optional[str] = None, progress=None, out=None, comm=None,
         sharded: bool = False, **options):
    """The whole n x n float32 similarity matrix. Other arguments as topk's."""
    result = _job(X, "full", None, ranks, transport, progress, options, None, None, out, comm, sharded)
    return None if result is None else result["similarity"]
