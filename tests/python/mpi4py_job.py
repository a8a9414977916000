"""The compiled module inside an mpirun'ed script, as a training script
would call it: every process passes the whole matrix (replicated) or only
its own rows (sharded) with comm=MPI.COMM_WORLD; rank 0 gets numpy's answer,
the other ranks None. Usage: mpirun -np 3 VENV/bin/python mpi4py_job.py."""
import numpy as np
from mpi4py import MPI

from harness import check, cosines, finish, installed_package

comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
ringsim = installed_package()

X = np.random.default_rng(5).standard_normal((101, 10))  # the same matrix on every rank (seeded)
U, S = cosines(X)
# Sharded: rank r holds rows [starts[r], starts[r + 1]), unequal counts.
starts = np.linspace(0, len(X), size + 1).astype(int)
mine = X[starts[rank]:starts[rank + 1]]

for sharded, rows in ((False, X), (True, mine)):
    what = "sharded" if sharded else "replicated"
    result = ringsim.topk(rows, k=5, comm=comm, sharded=sharded, dtype="float64", timeout=60)
    pairs = ringsim.threshold(rows, 0.4, comm=comm, sharded=sharded, dtype="float64", timeout=60)
    F = ringsim.full(rows, comm=comm, sharded=sharded, timeout=60)
    if rank != 0:
        check(result is None and pairs is None and F is None, f"{what}: rank {rank} got a result")
        continue
    nb, sc = result
    best = -np.sort(-S, axis=1)[:, :5]
    check(nb.shape == (101, 5) and np.allclose(np.take_along_axis(S, nb, 1), best, atol=1e-9) and
          np.allclose(sc, best, atol=1e-6), f"{what}: topk differs from numpy's")
    i, j = np.nonzero(np.triu(S, 1) >= 0.4)
    check(np.array_equal(pairs["i"].to_numpy(), i) and np.array_equal(pairs["j"].to_numpy(), j),
          f"{what}: threshold pairs differ from numpy's")
    check(np.allclose(F, U @ U.T, atol=1e-6), f"{what}: full differs from U @ U.T")
    print(f"rank 0: {what} topk, threshold and full over {size} processes equal numpy's", flush=True)
finish()
