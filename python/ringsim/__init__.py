"""Python front end for ringsim: all-pairs cosine (or dot) similarity.

Each call writes its input to a private temporary folder, runs the ringsim
binary there under ``mpirun -np ranks`` and reads the result files back,
then removes the folder. ringsim's progress lines go to ``progress`` (a
callable taking one line; default: sys.stderr) as they come; a failed job
raises RingsimError carrying ringsim's one-line reason.

The binary is $RINGSIM, else build/ringsim of the repository this package
sits in, else ``ringsim`` on PATH.

    >>> import numpy as np, ringsim
    >>> X = np.random.default_rng(0).standard_normal((1000, 64)).astype(np.float32)
    >>> neighbors, scores = ringsim.topk(X, k=10, ranks=2)
    >>> pairs = ringsim.threshold(X, 0.4)           # DataFrame i, j, score
    >>> S = ringsim.full(X)                          # n x n float32
    >>> Q = X[:5] + 0.1
    >>> neighbors, scores = ringsim.topk(X, k=3, queries=Q)  # 5 x 3: Q's nearest rows of X
"""

from __future__ import annotations

import csv
import json
import warnings
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np

__all__ = ["RingsimError", "topk", "threshold", "full", "read", "run", "binary"]
# One version for the package and the binary: CMake reads the same file
# (``ringsim --version`` prints it).
__version__ = (Path(__file__).resolve().parent / "VERSION").read_text(encoding="utf-8").strip()


class RingsimError(RuntimeError):
    """A ringsim job failed. ``str(e)`` is ringsim's one-line reason;
    ``e.stderr`` holds everything it printed, ``e.returncode`` its exit status."""

    def __init__(self, message: str, stderr: str = "", returncode: Optional[int] = None):
        super().__init__(message)
        self.stderr = stderr
        self.returncode = returncode


def binary() -> str:
    """The ringsim executable this package runs."""
    explicit = os.environ.get("RINGSIM")
    if explicit:
        return explicit
    built = Path(__file__).resolve().parent.parent.parent / "build" / "ringsim"
    if built.is_file() and os.access(built, os.X_OK):
        return str(built)
    found = shutil.which("ringsim")
    if found:
        return found
    raise RingsimError("ringsim binary not found: set $RINGSIM, build the repository (scripts/build.sh) "
                       "or put ringsim on PATH")


def _mpirun_env() -> dict:
    # What scripts/env.sh sets: mpirun as root (containers), more ranks than
    # cores, the ob1 messaging layer, no CMA in unprivileged containers.
    env = dict(os.environ)
    if os.geteuid() == 0:
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT", "1")
        env.setdefault("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1")
    env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
    env.setdefault("OMPI_MCA_pml", "ob1")
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    return env


def _flags(options: dict) -> list:
    args = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, str(value)]
    return args


def _given_path(value) -> Optional[str]:
    """A file the caller named, as an absolute path; None for data to write."""
    return str(Path(value).resolve()) if isinstance(value, (str, os.PathLike)) else None


def _array(value, ndim: int, label: str) -> np.ndarray:
    array = np.asarray(value)
    if array.ndim != ndim:
        raise ValueError(f"{label} must be {ndim}-D, got shape {array.shape}")
    return array


def _numeric_matrix(X, label: str) -> np.ndarray:
    """X as the float array ringsim reads: floats as they are, integers as
    float64; complex, boolean, object, text and time values refused by dtype
    (a cast would drop the imaginary part or turn True into 1.0 unasked)."""
    X = _array(X, 2, label)
    if X.dtype.kind in "iu":
        return X.astype(np.float64)
    if X.dtype.kind != "f":
        kinds = {"c": "complex", "b": "boolean", "O": "object", "U": "text", "S": "bytes", "M": "datetime",
                 "m": "timedelta", "V": "structured"}
        raise TypeError(f"{label} has dtype {X.dtype} ({kinds.get(X.dtype.kind, X.dtype.kind)}); ringsim "
                        f"compares real numbers: pass float16/32/64 or integers (e.g. {label}.real or "
                        f"{label}.astype(np.float32) if that is what you mean)")
    if X.dtype not in (np.float16, np.float32, np.float64):
        X = X.astype(np.float64)  # longdouble
    return X


def _checked_ranks(ranks) -> int:
    if isinstance(ranks, bool) or not isinstance(ranks, (int, np.integer)) or ranks < 1:
        raise ValueError(f"ranks must be an integer >= 1 (the MPI processes to start), got {ranks!r}")
    return int(ranks)


def _explain_k(k, X, queries) -> None:
    """Warns, before the job, when k asks for more neighbours than a row
    has: the last slots of every row will hold -1 and NaN."""
    if _given_path(X) is not None or isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        return
    n = len(np.asarray(X))
    candidates = n if queries is not None else n - 1
    if k > candidates:
        warnings.warn(f"k={k} but each {'query' if queries is not None else 'row'} has only {candidates} candidate "
                      f"rows (X has {n}): the last {k - candidates} columns of neighbors hold -1 and of scores NaN",
                      stacklevel=3)


def _write_matrix(X, folder: Path, name: str = "input") -> str:
    given = _given_path(X)
    if given:
        return given
    X = _numeric_matrix(X, "X" if name == "input" else name)
    path = folder / f"{name}.npy"
    np.save(path, np.ascontiguousarray(X))
    return str(path)


def _write_ids(ids, folder: Path, name: str = "ids") -> str:
    given = _given_path(ids)
    if given:
        return given
    values = _array(ids, 1, name)
    if values.dtype.kind in "iu":
        path = folder / f"{name}.npy"
        np.save(path, values.astype(np.int64))
        return str(path)
    texts = [str(v) for v in values]
    for row, text in enumerate(texts):
        if "\n" in text or "\r" in text or text == "":
            raise ValueError(f"id at row {row} is empty or holds a line break: {text!r}")
    path = folder / f"{name}.txt"
    path.write_text("\n".join(texts) + "\n", encoding="utf-8")
    return str(path)


def _end_process_group(process, grace: float = 5.0) -> None:
    """SIGTERM to the process group of ``process`` (mpirun and its ranks;
    SIGCONT too, for a stopped one), SIGKILL after ``grace`` seconds, and
    waits for it, whatever interrupts the wait."""
    for sig in (signal.SIGTERM, signal.SIGCONT):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while True:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
            break
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 60
        except KeyboardInterrupt:
            continue  # a second Ctrl-C: still end the job and wait for it
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers mpirun left in the group
    except ProcessLookupError:
        pass


def run(args: list, ranks: int = 1, progress: Optional[Callable[[str], None]] = None, cwd=None) -> None:
    """Runs ``mpirun -np ranks ringsim ARGS``; progress lines go to
    ``progress`` (default: sys.stderr). Raises RingsimError on failure."""
    ranks = _checked_ranks(ranks)
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise RingsimError("mpirun not found on PATH (Debian: apt-get install openmpi-bin)")
    emit = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    command = [mpirun, "-np", str(int(ranks)), "--oversubscribe", binary()] + [str(a) for a in args]
    lines = []
    # mpirun in a process group of its own, so that an interrupt (Ctrl-C,
    # KeyboardInterrupt) or any other exception here ends it and its ranks
    # and waits for them: left running, they would outlive the call and
    # recreate the temporary folder it removes.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               errors="replace", env=_mpirun_env(), cwd=cwd, start_new_session=True)
    try:
        for line in process.stderr:
            line = line.rstrip("\n")
            lines.append(line)
            emit(line)
        status = process.wait()
    except BaseException:
        _end_process_group(process)
        raise
    finally:
        process.stderr.close()
    if status != 0:
        failure_file = None
        if "--failure-file" in args:
            failure_file = Path(args[args.index("--failure-file") + 1])
        reason = ""
        if failure_file is not None and failure_file.is_file():
            reason = failure_file.read_text(errors="replace").strip().splitlines()[0] if failure_file.stat().st_size else ""
            reason = reason.removeprefix("ringsim failed: ")
        if not reason:
            errors = [l.split("error: ", 1)[1] for l in lines if l.startswith("ringsim: error: ")]
            # Else the first line that is not mpirun's banner of dashes
            # (a command-line error: "The following arguments were not expected: ...").
            plain = [l for l in lines if l.strip() and l.strip("-")]
            reason = errors[0] if errors else (plain[0] if plain else f"mpirun exited {status}")
        raise RingsimError(reason, "\n".join(lines), status)


def _job(X, mode: str, ids, ranks: int, transport: str, progress, options: dict, queries=None,
         query_ids=None) -> dict:
    ranks = _checked_ranks(ranks)
    with tempfile.TemporaryDirectory(prefix="ringsim-") as scratch:
        folder = Path(scratch)
        os.chmod(folder, 0o700)
        args = ["run", "--input", _write_matrix(X, folder), "--out", str(folder / "out"), "--mode", mode,
                "--transport", transport, "--quiet", "--failure-file", str(folder / "failure.txt")]
        if ids is not None:
            args += ["--ids", _write_ids(ids, folder)]
        if queries is not None:
            args += ["--queries", _write_matrix(queries, folder, "queries")]
        if query_ids is not None:
            args += ["--query-ids", _write_ids(query_ids, folder, "query_ids")]
        if transport == "tls" and not any(k in options for k in ("tls_ca", "tls_ephemeral")):
            options = dict(options, tls_ephemeral=True)
        args += _flags(options)
        run(args, ranks=ranks, progress=progress)
        return read(folder / "out")


def _neighbor_ids(result: dict):
    if "neighbor_ids" in result:
        return result["neighbor_ids"]
    table = result.get("ids")
    if table is None:
        return None
    nb = result["neighbors"]
    table = np.asarray(table)
    out = table[np.where(nb >= 0, nb, 0)]
    empty = -1 if out.dtype.kind in "iu" else ""
    return np.where(nb >= 0, out, np.array(empty, dtype=out.dtype))


def topk(X, k: int = 10, queries=None, ids=None, ranks: int = 1, transport: str = "mpi",
         progress: Optional[Callable[[str], None]] = None, query_ids=None, **options):
    """Each row's k nearest other rows: (neighbors int64 n x k, scores
    float32 n x k), plus the neighbours' ids when ``ids`` is given. Missing
    slots (k > n - 1) hold -1 and NaN. With ``queries`` (an array or a
    path), each query row's k nearest rows of X instead (q x k; every row of
    X is a candidate; ``query_ids`` names the queries in the result folder).
    Other ringsim options as keywords (score="dot", dtype="float64",
    tile=256, ...)."""
    _explain_k(k, X, queries)
    result = _job(X, "topk", ids, ranks, transport, progress, dict(options, k=k), queries, query_ids)
    if ids is None:
        return result["neighbors"], result["scores"]
    return result["neighbors"], result["scores"], _neighbor_ids(result)


def threshold(X, t: float, queries=None, ids=None, ranks: int = 1, transport: str = "mpi",
              progress: Optional[Callable[[str], None]] = None, query_ids=None, **options):
    """Every pair i < j with score >= t: a pandas DataFrame (columns i, j,
    score, and id_i, id_j with ids) when pandas is importable, else a dict of
    numpy arrays. With ``queries``, every (query i, row j of X) pair instead."""
    return _job(X, "threshold", ids, ranks, transport, progress, dict(options, threshold=t), queries,
                query_ids)["pairs"]


def full(X, ranks: int = 1, transport: str = "mpi", progress: Optional[Callable[[str], None]] = None, **options):
    """The whole n x n float32 similarity matrix."""
    return _job(X, "full", None, ranks, transport, progress, options)["similarity"]


def _pairs_frame(columns: dict, header: list):
    try:
        import pandas as pd
    except ImportError:
        return columns
    # copy=False: the columns become the frame's own arrays (pandas 1.5
    # would otherwise copy i and j into one block: 0.5 s for 3 M pairs).
    return pd.DataFrame(columns, columns=header, copy=False)


def _read_pair_records(out: Path, tables: dict, queries: bool):
    """pairs.npy (records i, j, score) as columns, with id_i and id_j looked
    up in the id tables when the folder has them (i names a query row in a
    queries job)."""
    # Mapped, not read: each column is copied out of the page cache once
    # (np.load would first read the records into memory, twice the time).
    records = np.load(out / "pairs.npy", mmap_mode="r")
    columns = {name: np.array(records[name]) for name in ("i", "j", "score")}
    del records
    names_i = tables.get("query_ids") if queries else tables.get("ids")
    names_j = tables.get("ids")
    header = ["i", "j", "score"]
    if names_i is not None or names_j is not None:
        for side, names in (("i", names_i), ("j", names_j)):
            columns[f"id_{side}"] = columns[side].copy() if names is None else np.asarray(names)[columns[side]]
        header += ["id_i", "id_j"]
    return _pairs_frame(columns, header)


def _read_pairs(path: Path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    columns = {}
    for c, name in enumerate(header):
        values = [row[c] for row in body]
        if name in ("i", "j"):
            columns[name] = np.array(values, dtype=np.int64)
        elif name == "score":
            columns[name] = np.array(values, dtype=np.float32)
        else:
            columns[name] = np.array(values, dtype=object)
    try:
        import pandas as pd
    except ImportError:
        return columns
    return pd.DataFrame(columns, columns=header)


def read(out_dir) -> dict:
    """The results in a ringsim output folder, by name: ``neighbors``,
    ``scores`` (topk), ``neighbor_ids`` (topk with ids), ``ids`` and
    ``query_ids`` (the id tables, when written), ``pairs`` (threshold), ``similarity`` (full) and
    ``report`` (report.json), whichever are there."""
    out = Path(out_dir)
    if not out.is_dir():
        raise RingsimError(f"{out}: no such result folder")
    result = {}
    for name in ("neighbors", "scores", "similarity", "neighbor_ids"):
        if (out / f"{name}.npy").is_file():
            result[name] = np.load(out / f"{name}.npy")
    for table in ("ids", "query_ids"):
        if (out / f"{table}.npy").is_file():
            result[table] = np.load(out / f"{table}.npy")
        elif (out / f"{table}.txt").is_file():
            result[table] = np.array((out / f"{table}.txt").read_text(encoding="utf-8").split("\n")[:-1])
    if (out / "report.json").is_file():
        result["report"] = json.loads((out / "report.json").read_text())
    if (out / "pairs.npy").is_file():
        result["pairs"] = _read_pair_records(out, result, "queries" in result.get("report", {}))
    elif (out / "pairs.csv").is_file():
        result["pairs"] = _read_pairs(out / "pairs.csv")
    if len(result) <= ("report" in result):
        raise RingsimError(f"{out}: holds no ringsim results")
    return result
