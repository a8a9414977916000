"""Ctrl-C in a call of the compiled module: a child Python (the venv's)
runs ringsim.topk on a job of many seconds, then gets SIGINT. It must raise
KeyboardInterrupt within 1 s, with every rank's thread joined and no file
descriptor, temporary folder or process left, and go on working: a second
call afterwards returns the right answer. Usage: module_interrupt.py
(run by the venv's python)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

from harness import check, finish, output_of

program = r"""
import json, os, sys, time
import numpy as np
import ringsim
X = np.random.default_rng(1).standard_normal((60000, 256))
def facts():
    return {"threads": len(os.listdir("/proc/self/task")), "fds": sorted(os.listdir("/proc/self/fd")),
            "tmp": os.listdir(os.environ["TMPDIR"])}
before = facts()
print("calling", flush=True)
try:
    ringsim.topk(X, k=10, ranks=2, dtype="float64")
    print("finished", flush=True)
except KeyboardInterrupt:
    caught = time.clock_gettime(time.CLOCK_MONOTONIC)
    after = facts()
    small = np.random.default_rng(2).standard_normal((50, 8))
    nb, _ = ringsim.topk(small, k=3, ranks=2)
    U = small / np.linalg.norm(small, axis=1, keepdims=True)
    S = U @ U.T
    np.fill_diagonal(S, -np.inf)
    print(json.dumps({"caught": caught, "before": before, "after": after,
                      "again": bool(np.array_equal(nb, np.argsort(-S, axis=1, kind="stable")[:, :3]))}), flush=True)
"""
with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, TMPDIR=tmp)
    child = subprocess.Popen([sys.executable, "-c", program], env=env, stdout=subprocess.PIPE, text=True)
    check(child.stdout.readline().strip() == "calling", "the child started its call")
    time.sleep(3)  # well inside the ring
    sent = time.clock_gettime(time.CLOCK_MONOTONIC)
    child.send_signal(signal.SIGINT)
    out, _ = output_of(child, 60)
    check(child.returncode == 0, f"the child exited normally after the interrupt (exit {child.returncode})",
          verbose=True)
    check("finished" not in out, "the call was still running when SIGINT came (if not, the job needs to be longer)", verbose=True)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if check(len(lines) == 1, f"the call raised KeyboardInterrupt: {out[-500:]}", verbose=True):
        facts = json.loads(lines[0])
        delay = facts["caught"] - sent
        check(delay < 1.0, f"KeyboardInterrupt {delay:.3f} s after SIGINT (limit 1 s)", verbose=True)
        before, after = facts["before"], facts["after"]
        check(after["threads"] == before["threads"], f"threads joined: {before['threads']} before, "
              f"{after['threads']} after", verbose=True)
        check(after["fds"] == before["fds"], f"no descriptor left: {before['fds']} -> {after['fds']}", verbose=True)
        check(after["tmp"] == [] and before["tmp"] == [], f"no temporary folder left: {after['tmp']}", verbose=True)
        check(facts["again"], "a call after the interrupt returns numpy's neighbours", verbose=True)
    check(os.listdir(tmp) == [], f"nothing left in TMPDIR after exit: {os.listdir(tmp)}", verbose=True)
finish()
