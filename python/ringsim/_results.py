"""Reading a ringsim output folder back: ringsim.read."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ._inputs import RingsimError


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
