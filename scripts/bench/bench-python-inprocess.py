#!/usr/bin/python3
"""ringsim from Python, side by side in one run (issue 37's targets): the
compiled module's per-call overhead on a 1000 x 64 top-10 (target < 50 ms,
with the old subprocess path beside it); 2000 queries against 30000 x 256
rows against faiss IndexFlatIP.search (target: at or below faiss); a
30000 x 256 top-10 against faiss (target: >= 3x) and against the command
line's in-job time (report.json wall_seconds under mpirun, target: within
10 %). Every contender gets the same cores: RANKS ringsim threads or
processes, faiss.omp_set_num_threads(RANKS). Timings are medians of REPEATS
calls after one warm-up; cosine scores (faiss on rows normalised inside the
timed call, as ringsim does). Prints a Markdown table with the machine, date
and command, for docs/performance.md.

Usage: scripts/bench/bench-python-inprocess.py [--ranks N] [--repeats R] [--rows 30000]
Needs the module built (scripts/setup/build.sh: build/python) and python3-faiss
(scripts/setup/deps.sh --faiss); run with Debian's python3."""
import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

root = Path(__file__).resolve().parents[2]
parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("--ranks", type=int, default=None, help="threads / processes (default: physical cores)")
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--rows", type=int, default=30000)
parser.add_argument("--build", default=str(root / "build"))
args = parser.parse_args()
sys.path.insert(0, str(Path(args.build) / "python"))
import ringsim  # noqa: E402
from ringsim import _in_process  # noqa: E402

if not ringsim.in_process():
    sys.exit(f"ringsim._engine is not built in {args.build}/python: scripts/setup/build.sh first")
try:
    import faiss
except ImportError:
    faiss = None
ranks = args.ranks or _in_process.default_ranks()
if faiss is not None:
    faiss.omp_set_num_threads(ranks)


def median_seconds(call, repeats=args.repeats):
    call()  # warm-up: pages, thread start-up, OpenBLAS buffers
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def faiss_topk(X, k, queries=None):
    """faiss's exact inner-product search on normalised rows: a row's own
    match is dropped by asking one more neighbour (what a faiss user does)."""
    U = X / np.linalg.norm(X, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(U.shape[1])
    index.add(U)
    if queries is not None:
        return index.search(queries / np.linalg.norm(queries, axis=1, keepdims=True), k)
    return index.search(U, k + 1)


def cli_in_job_seconds(X, k):
    """The command line's in-job time (report.json wall_seconds) for the same job under mpirun."""
    with tempfile.TemporaryDirectory() as d:
        np.save(f"{d}/x.npy", X)
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_pml="ob1",
                   OMPI_MCA_btl_vader_single_copy_mechanism="none")
        env.pop("OPENBLAS_CORETYPE", None)
        walls = []
        for repeat in range(args.repeats):
            subprocess.run(["mpirun", "-np", str(ranks), "--oversubscribe", f"{args.build}/ringsim", "run", "--input",
                            f"{d}/x.npy", "--out", f"{d}/out{repeat}", "--k", str(k), "--quiet"], check=True, env=env,
                           capture_output=True)
            walls.append(ringsim.read(f"{d}/out{repeat}")["report"]["wall_seconds"])
        return statistics.median(walls)


rng = np.random.default_rng(0)
rows = []
small = rng.standard_normal((1000, 64)).astype(np.float32)
overhead = median_seconds(lambda: ringsim.topk(small, k=10, ranks=ranks), repeats=max(args.repeats, 10))
rows.append(("1000 x 64 top-10: per call, end to end", overhead, None, "< 50 ms"))
os.environ["RINGSIM"] = f"{args.build}/ringsim"
subprocess_call = median_seconds(lambda: ringsim._subprocess.job(small, "topk", None, ranks, "mpi", lambda line: None,
                                                                 {"k": 10}), repeats=3)
rows.append(("  the same through the binary under mpirun (before)", subprocess_call, None, ""))
if faiss is not None:
    rows.append(("  faiss IndexFlatIP", median_seconds(lambda: faiss_topk(small, 10)), None, ""))

X = rng.standard_normal((args.rows, 256)).astype(np.float32)
Q = rng.standard_normal((2000, 256)).astype(np.float32)
queries = median_seconds(lambda: ringsim.topk(X, k=10, queries=Q, ranks=ranks))
faiss_queries = median_seconds(lambda: faiss_topk(X, 10, Q)) if faiss is not None else None
rows.append((f"2000 queries vs {args.rows} x 256, top-10", queries, faiss_queries, "<= faiss"))
whole = median_seconds(lambda: ringsim.topk(X, k=10, ranks=ranks))
faiss_whole = median_seconds(lambda: faiss_topk(X, 10)) if faiss is not None else None
rows.append((f"{args.rows} x 256 top-10", whole, faiss_whole, ">= 3x faiss"))
cli = cli_in_job_seconds(X, 10)
rows.append((f"  the command line's in-job time (report.json, mpirun -np {ranks})", cli, None,
             f"Python within 10 %: {100 * (whole / cli - 1):+.1f} %"))

cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
print(f"machine: {cpu}, {os.cpu_count()} CPUs, {ranks} ranks; {platform.platform()}")
print(f"date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; revision "
      f"{subprocess.run(['git', '-C', str(root), 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True).stdout.strip()}")
print(f"command: {' '.join(['scripts/bench/bench-python-inprocess.py'] + sys.argv[1:])}")
print()
print("| measurement | ringsim (s) | faiss (s) | ringsim vs faiss | target |")
print("|---|---|---|---|---|")
for label, mine, theirs, target in rows:
    ratio = f"{theirs / mine:.2f}x faster" if theirs else ""
    print(f"| {label} | {mine:.4f} | {f'{theirs:.4f}' if theirs else ''} | {ratio} | {target} |")
