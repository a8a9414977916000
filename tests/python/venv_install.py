"""The documented install, offline, on this machine: a fresh venv with the
system site packages (Debian's numpy), `pip install --no-build-isolation
./python` taking the module from the already-built BUILD_DIR (so it compiles
nothing again), the wheel by the same route, and `cmake --install
--component python`. Leaves the venv at VENV_DIR for the module tests
(module_results.py, module_interrupt.py, mpi4py_job.py), which CTest runs
after this one. Usage: venv_install.py BUILD_DIR VENV_DIR (Debian's python3)."""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from harness import check, finish, root

build_dir, venv = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
# No ringsim binary reachable: the installed package must not need one.
env = {k: v for k, v in os.environ.items() if k not in ("RINGSIM", "RINGSIM_SUBPROCESS", "PYTHONPATH")}
env.update(RINGSIM_BUILD_DIR=str(build_dir), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
smoke = ("import ringsim, numpy as np; nb, sc = ringsim.topk(np.eye(4) + 1, k=2, ranks=2); "
         "print(ringsim.__file__, ringsim.in_process(), nb.shape, 'version', ringsim.__version__)")
version = (root / "python" / "ringsim" / "VERSION").read_text().strip()


def run(command, **kwargs):
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env, **kwargs)
    check(done.returncode == 0, f"{' '.join(map(str, command))}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return done


with tempfile.TemporaryDirectory() as d:
    # A copy: setuptools writes build/ and *.egg-info beside the sources.
    source = Path(d) / "python"
    shutil.copytree(root / "python", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    shutil.rmtree(venv, ignore_errors=True)
    started = time.monotonic()
    # --without-pip: Debian's pip through the system site packages (ensurepip costs 10 s).
    run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", "--without-pip", venv])
    run([venv / "bin/python", "-m", "pip", "install", "--quiet", "--no-build-isolation", source], cwd=d)
    print(f"venv and pip install: {time.monotonic() - started:.1f} s", flush=True)
    done = run([venv / "bin/python", "-c", smoke], cwd=d)
    check("site-packages" in done.stdout and " True (4, 2) " in done.stdout and f"version {version}" in done.stdout,
          f"the installed package runs in process: {done.stdout.strip()}")

    run([venv / "bin/python", "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps", "-w",
         Path(d) / "wheels", source], cwd=d)
    wheels = list((Path(d) / "wheels").glob(f"ringsim-{version}-*.whl"))
    names = zipfile.ZipFile(wheels[0]).namelist() if len(wheels) == 1 else []
    check(any(n.startswith("ringsim/_engine") and n.endswith(".so") for n in names) and "ringsim/VERSION" in names,
          f"the wheel holds the module and the package: {wheels} {names}")

    site = Path(d) / "site"
    run(["cmake", "--install", build_dir, "--component", "python", "--prefix", site])
    env["PYTHONPATH"] = str(site)
    done = run(["/usr/bin/python3", "-c", smoke], cwd=d)
    check(done.stdout.startswith(str(site / "ringsim")) and " True (4, 2) " in done.stdout,
          f"cmake --install --component python gives a package that runs in process: {done.stdout.strip()}")
finish()
