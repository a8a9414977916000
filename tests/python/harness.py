"""What every Python test here shares: the repository root, check() and
the exit status, and importing the package under test.

    from harness import check, finish, root
    ringsim = subprocess_package(sys.argv[1])   # python/ringsim over the binary
    ...
    finish()                                    # prints the count, exits 1 on a failure
"""
import os
import sys
from pathlib import Path

root = Path(__file__).resolve().parents[2]
failures = 0


def check(ok, what, verbose=False):
    """Counts a failure; prints every check when `verbose`, else failures only."""
    global failures
    if not ok:
        failures += 1
    if verbose or not ok:
        print(("ok: " if ok else "FAIL: ") + what, flush=True)
    return ok


def finish():
    print(f"{failures} failed", flush=True)
    sys.exit(1 if failures else 0)


def subprocess_package(binary: str):
    """python/ringsim of this checkout, running jobs through `binary` under
    mpirun (the compiled module is not looked for: RINGSIM_SUBPROCESS)."""
    sys.path.insert(0, str(root / "python"))
    os.environ["RINGSIM"] = os.path.abspath(binary)
    os.environ["RINGSIM_SUBPROCESS"] = "1"
    import ringsim

    return ringsim


def installed_package():
    """The ringsim installed in this interpreter's environment (the venv the
    python.venv_install test made), which must run jobs in process: no
    binary on PATH, none named by $RINGSIM, nothing from this checkout."""
    import shutil

    os.environ.pop("RINGSIM", None)
    os.environ.pop("RINGSIM_SUBPROCESS", None)
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (root, root / "python")]
    import ringsim

    check(shutil.which("ringsim") is None, f"no ringsim binary on PATH: {shutil.which('ringsim')}")
    check("site-packages" in ringsim.__file__, f"ringsim is the installed package: {ringsim.__file__}")
    if not check(ringsim.in_process(), "ringsim runs jobs in this process (ringsim._engine loaded)"):
        finish()
    return ringsim


def cosines(X):
    """(U, S): X's rows normalised (a zero row stays zero) and their cosines,
    the diagonal -inf (a row is not its own neighbour): the reference."""
    import numpy as np

    U = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-300)
    S = U @ U.T
    np.fill_diagonal(S, -np.inf)
    return U, S


def output_of(child, timeout: float):
    """child.communicate(timeout=...), killing the child when it overruns: (stdout, stderr)."""
    import subprocess

    try:
        return child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.communicate()
