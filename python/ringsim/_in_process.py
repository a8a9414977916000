"""The in-process path: the compiled module ringsim._engine runs the job as
threads of this process (the thread backend: ranks hand row blocks over in
memory), or, with ``comm``, over an mpi4py communicator across the processes
of an mpirun'ed script. X goes to the engine as the array's own memory when it
is C-contiguous float32 / float64 (else converted once here); the engine
writes the result files into a private temporary folder (or ``out``), which
ringsim.read loads back, so results are those of the command line, bit for
bit. Ctrl-C raises KeyboardInterrupt within a second, after every rank's
thread has stopped and the folder is removed."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from . import _engine
from ._inputs import RingsimError, _checked_ranks, _given_path, _numeric_matrix, _write_ids
from ._results import read

# 'memory' is the thread backend's own hand-over; 'mpi' means the same there
# (the in-process transport of whichever backend runs the job).
_TRANSPORTS = {"memory": "mpi", "mpi": "mpi", "tcp": "tcp", "tls": "tls"}


def default_ranks() -> int:
    """One rank per physical core this process may use (its cgroup's cpuset
    and the CPU topology: launcher/host_cores), else per CPU it may run on."""
    cores = _engine.physical_cores()
    if cores is not None and cores[0] >= 1:
        return int(cores[0])
    return max(1, len(os.sched_getaffinity(0)))


def _option_text(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _rows(X, label: str):
    """X as the engine reads it in place: a C-contiguous float32 / float64
    array (no copy when it is one already); None for a file path."""
    if X is None or _given_path(X) is not None:
        return None
    array = _numeric_matrix(X, label)
    if array.dtype == np.float16:
        array = array.astype(np.float32)  # exact: float16 widens without rounding
    return np.ascontiguousarray(array)


def _named_options(X, mode, transport, options, folder: Path, out_dir: Path, ids, queries, query_ids) -> dict:
    # No progress lines on the process's stderr unless asked for: progress goes to the callback.
    named = dict({"progress_seconds": 0}, **options, mode=mode, out=str(out_dir),
                 transport=_TRANSPORTS.get(transport, transport))
    if transport == "tls" and not any(k in options for k in ("tls_ca", "tls_ephemeral")):
        named["tls_ephemeral"] = True
    for name, value in (("input", X), ("queries", queries)):
        if value is not None and _given_path(value) is not None:
            named[name] = _given_path(value)
    if ids is not None:
        named["ids"] = _write_ids(ids, folder)
    if query_ids is not None:
        named["query_ids"] = _write_ids(query_ids, folder, "query_ids")
    return {name: _option_text(value) for name, value in named.items() if value is not None}


def _progress_callback(progress):
    """(callable taking the fraction done, the tqdm bar to close or None):
    progress=True draws a tqdm bar when tqdm is importable."""
    if progress is not True:
        return progress, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=100, unit="%", desc="ringsim", bar_format="{l_bar}{bar}| {n:.0f}/{total:.0f}% [{elapsed}<{remaining}]")
    return (lambda fraction: bar.update(100 * fraction - bar.n)), bar


def _engine_call(call, *args):
    try:
        call(*args)
    except _engine.EngineError as e:
        raise RingsimError(str(e)) from None


def job(X, mode: str, ids, ranks, transport, progress, options: dict, queries=None, query_ids=None,
        out=None) -> dict:
    """One call on ``ranks`` threads of this process: ringsim.read of its result folder."""
    ranks = default_ranks() if ranks is None else _checked_ranks(ranks)
    rows, query_rows = _rows(X, "X"), _rows(queries, "queries")
    with tempfile.TemporaryDirectory(prefix="ringsim-") as scratch:
        folder = Path(scratch)
        out_dir = Path(out).resolve() if out is not None else folder / "out"
        named = _named_options(X, mode, transport or "memory", options, folder, out_dir, ids, queries, query_ids)
        callback, bar = _progress_callback(progress)
        try:
            _engine_call(_engine.run_threads, named, ranks, rows, query_rows, callback)
        finally:
            if bar is not None:
                bar.close()
        return read(out_dir)


def mpi_job(X, mode: str, ids, comm, sharded: bool, transport, options: dict, queries=None, query_ids=None,
            out=None):
    """One call over the processes of ``comm`` (an mpi4py communicator), each
    passing its own rows (sharded) or all of them: ringsim.read of the result
    folder on rank 0, None on the other ranks."""
    from mpi4py import MPI

    rows, query_rows = _rows(X, "X"), _rows(queries, "queries")
    with tempfile.TemporaryDirectory(prefix="ringsim-") as scratch:
        folder = Path(scratch)
        # Rank 0 writes the results: its folder is the job's --out on every rank.
        shared = comm.bcast(str(folder / "out") if comm.Get_rank() == 0 else None, root=0)
        out_dir = Path(out).resolve() if out is not None else Path(shared)
        named = _named_options(X, mode, transport or "mpi", dict(options, sharded=bool(sharded)), folder, out_dir,
                               ids, queries, query_ids)
        _engine_call(_engine.run_mpi, named, MPI._handleof(comm), rows, query_rows)
        return read(out_dir) if comm.Get_rank() == 0 else None
