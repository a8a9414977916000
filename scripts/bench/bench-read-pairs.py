#!/usr/bin/python3
"""How fast ringsim.read loads threshold pairs: writes M pairs (default
3,000,000) as a threshold job does (pairs.npy records i, j int64, score
float32, and pairs.csv) into a scratch folder, then times ringsim.read (from
pairs.npy) and pandas.read_csv of pairs.csv, each in a fresh process, with
its peak RSS growth. Usage: scripts/bench/bench-read-pairs.py [M]"""
import os
import subprocess
import sys
import tempfile

import numpy as np

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
m = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
measure = """
import sys, time
sys.path.insert(0, {root!r})
import numpy, pandas, ringsim
def peak_kib():  # VmHWM: ru_maxrss would carry the parent's peak across exec
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
base = peak_kib()
start = time.perf_counter()
frame = {call}
seconds = time.perf_counter() - start
grown = (peak_kib() - base) / 1024
print(f"{{len(frame)}} pairs in {{seconds:.3f}} s, peak RSS +{{grown:.0f}} MiB")
"""
with tempfile.TemporaryDirectory() as out:
    rng = np.random.default_rng(0)
    records = np.zeros(m, dtype=[("i", "<i8"), ("j", "<i8"), ("score", "<f4")])
    records["i"] = np.sort(rng.integers(0, 100_000, m))
    records["j"] = rng.integers(0, 100_000, m)
    records["score"] = rng.random(m, dtype=np.float32)
    np.save(f"{out}/pairs.npy", records)
    with open(f"{out}/pairs.csv", "w") as f:
        f.write("i,j,score\n")
        np.savetxt(f, np.column_stack([records["i"], records["j"], records["score"]]), fmt="%d,%d,%.9g")
    print(f"{m} pairs: the arrays hold {m * 20 / 2**20:.0f} MiB")
    for label, call in [("ringsim.read (pairs.npy)", f"ringsim.read({out!r})['pairs']"),
                        ("pandas.read_csv (pairs.csv)", f"pandas.read_csv({out + '/pairs.csv'!r})")]:
        done = subprocess.run([sys.executable, "-c", measure.format(root=os.path.join(root, "python"), call=call)],
                              capture_output=True, text=True, check=True)
        print(f"{label}: {done.stdout.strip()}")
