# The baseline of scripts/bench/bench-gpu.sh: exact cosine top-k as a user writes
# it with torch on one GPU (chunked X[i:j] @ X.T, then topk), timed from the
# process start like ringsim. Falls back to cupy, then numpy (CPU), saying so.
# Usage: torch_topk.py X.npy K PRECISION(fp32|tf32) OUT_PREFIX
import json, sys, time

started = time.time()
import numpy as np

path, k, precision, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
x = np.load(path).astype(np.float32)
n = len(x)
chunk = 8192
ids = np.empty((n, k), np.int64)
scores = np.empty((n, k), np.float32)
engine = None
try:
    import torch

    if not torch.cuda.is_available():
        raise ImportError("torch without a GPU")
    engine = f"torch {torch.__version__} ({torch.cuda.get_device_name(0)})"
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    t0 = time.time()
    y = torch.from_numpy(x).cuda()
    y = torch.nn.functional.normalize(y, dim=1)  # a zero row stays zero
    for i in range(0, n, chunk):
        s = y[i:i + chunk] @ y.T
        rows = torch.arange(s.shape[0], device=s.device)
        s[rows, rows + i] = -float("inf")  # not itself
        v, j = torch.topk(s, k, dim=1)
        ids[i:i + chunk] = j.cpu().numpy()
        scores[i:i + chunk] = v.cpu().numpy()
    torch.cuda.synchronize()
    compute = time.time() - t0
except ImportError:

    def chunked_topk(xp, y, to_host):
        """Each row's top-k against all rows, a chunk of rows at a time, with the
        array module xp (cupy or numpy): exact, the row itself left out."""
        sort_options = {"kind": "stable"} if xp is np else {}
        for i in range(0, n, chunk):
            s = y[i:i + chunk] @ y.T
            r = xp.arange(s.shape[0])
            s[r, r + i] = -xp.inf
            part = xp.argpartition(-s, k, axis=1)[:, :k]
            ps = xp.take_along_axis(s, part, 1)
            order = xp.argsort(-ps, axis=1, **sort_options)
            ids[i:i + chunk] = to_host(xp.take_along_axis(part, order, 1))
            scores[i:i + chunk] = to_host(xp.take_along_axis(ps, order, 1))

    try:
        import cupy as cp

        engine = f"cupy {cp.__version__} (torch absent)"
        if precision == "tf32":
            import os
            os.environ["CUPY_TF32"] = "1"
        t0 = time.time()
        y = cp.asarray(x)
        norms = cp.linalg.norm(y, axis=1, keepdims=True)
        y = cp.where(norms > 0, y / cp.where(norms > 0, norms, 1), 0)
        chunked_topk(cp, y, lambda a: a.get())
        cp.cuda.Stream.null.synchronize()
        compute = time.time() - t0
    except ImportError:
        engine = "numpy on the CPU (neither torch nor cupy found: NOT a GPU baseline)"
        t0 = time.time()
        norms = np.linalg.norm(x, axis=1, keepdims=True)
        y = np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)
        chunked_topk(np, y, lambda a: a)
        compute = time.time() - t0
np.save(f"{out}.ids.npy", ids)
np.save(f"{out}.scores.npy", scores)
json.dump({"engine": engine, "precision": precision, "compute_seconds": compute,
           "in_process_seconds": time.time() - started}, open(f"{out}.json", "w"))
