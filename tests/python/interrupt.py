"""An interrupted call ends its job: ringsim.topk in a child Python whose
rank 0 stops itself in the ring (RINGSIM_FAULT), then SIGINT to that Python
(Ctrl-C): it raises KeyboardInterrupt, and by the time it has exited no
mpirun or rank of its job is left, and its temporary folder is gone and
stays gone. The subprocess path; module_interrupt.py tests the compiled module's.
Usage: interrupt.py RINGSIM_BINARY (Debian's python3)."""
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import check, finish, output_of, root

tag = f"ringsim-interrupt-test-{os.getpid()}"


def ours():
    """pid -> (state, command) of every process with this test's tag."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if f"RINGSIM_INTERRUPT_TEST={tag}".encode() not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            found[int(entry.name)] = (state, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:60])
        except OSError:
            pass
    return found


program = """
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import ringsim
ringsim.topk(np.random.default_rng(1).standard_normal((300, 8)), k=3, ranks=2)
"""
with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, RINGSIM=os.path.abspath(sys.argv[1]), TMPDIR=tmp, RINGSIM_FAULT="0:ring:STOP",
               RINGSIM_INTERRUPT_TEST=tag, RINGSIM_SUBPROCESS="1")
    child = subprocess.Popen([sys.executable, "-c", program, str(root / "python")], env=env,
                             stderr=subprocess.PIPE, text=True)
    stopped = None
    for _ in range(600):
        stopped = next((pid for pid, (state, _) in ours().items() if state == "T"), None)
        if stopped or child.poll() is not None:
            break
        time.sleep(0.1)
    check(stopped is not None, "rank 0 stopped itself in the ring while ringsim.topk waited", verbose=True)
    job = {pid: what for pid, what in ours().items() if pid != child.pid}
    child.send_signal(signal.SIGINT)
    _, stderr = output_of(child, 30)
    check("KeyboardInterrupt" in stderr, f"the call raised KeyboardInterrupt (exit {child.returncode})", verbose=True)
    left = {pid: what for pid, what in ours().items() if pid != child.pid}
    check(not left, f"no process of the job ({len(job)} of them) outlived the call: left {left}", verbose=True)
    time.sleep(2)
    folders = os.listdir(tmp)
    check(not folders, f"the call's temporary folder is gone and was not recreated: {folders}", verbose=True)
    for pid in ours():  # this test's own leftovers, by id
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
finish()
