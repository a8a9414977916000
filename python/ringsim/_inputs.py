"""What the calls share, whichever path runs the job: argument checks and
the files (ids) written for the engine to read."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Optional

import numpy as np


class RingsimError(RuntimeError):
    """A ringsim job failed. ``str(e)`` is ringsim's one-line reason;
    ``e.stderr`` holds everything it printed, ``e.returncode`` its exit status
    (both empty for a job run in this process)."""

    def __init__(self, message: str, stderr: str = "", returncode: Optional[int] = None):
        super().__init__(message)
        self.stderr = stderr
        self.returncode = returncode


RingsimError.__module__ = "ringsim"  # as users name it (ringsim.RingsimError)


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
        raise ValueError(f"ranks must be an integer >= 1 (the ranks to run), got {ranks!r}")
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


