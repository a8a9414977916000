"""The subprocess path: each call runs the ringsim binary under ``mpirun``
on a private temporary folder and reads the result files back. What the
package uses when the compiled module (ringsim._engine) is not built, and
what ringsim.run always is: the launcher and multi-host jobs run this way."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Optional

from ._inputs import RingsimError, _checked_ranks, _write_ids, _write_matrix
from ._results import read


def binary() -> str:
    """The ringsim executable this package runs."""
    explicit = os.environ.get("RINGSIM")
    if explicit:
        return explicit
    built = Path(__file__).resolve().parent.parent.parent / "build" / "ringsim"
    if built.is_file() and os.access(built, os.X_OK):
        return str(built)
    found = shutil.which("ringsim")
    if found:
        return found
    raise RingsimError("ringsim binary not found: set $RINGSIM, build the repository (scripts/setup/build.sh) "
                       "or put ringsim on PATH")


def _mpirun_settings() -> dict:
    """Open MPI's settings for ringsim's mpirun: mpirun.env beside this file,
    the one list scripts/setup/env.sh exports too."""
    text = (Path(__file__).resolve().parent / "mpirun.env").read_text()
    return dict(line.split("=", 1) for line in text.splitlines() if line[:1].isupper() and "=" in line)


def _mpirun_env() -> dict:
    # The caller's environment wins; the run-as-root pair only as root.
    env = dict(os.environ)
    for name, value in _mpirun_settings().items():
        if "RUN_AS_ROOT" not in name or os.geteuid() == 0:
            env.setdefault(name, value)
    # The binary picks OpenBLAS's kernels for this CPU (kernels/gemm_backend.hpp):
    # an inherited OPENBLAS_CORETYPE (Haswell, on some images) would pin
    # kernels at half the speed. RINGSIM_OPENBLAS_CORETYPE forces one, as scripts/setup/env.sh does.
    env.pop("OPENBLAS_CORETYPE", None)
    if env.get("RINGSIM_OPENBLAS_CORETYPE"):
        env["OPENBLAS_CORETYPE"] = env["RINGSIM_OPENBLAS_CORETYPE"]
    return env


def _flags(options: dict) -> list:
    args = []
    for name, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + name.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, str(value)]
    return args


def _end_process_group(process, grace: float = 5.0) -> None:
    """SIGTERM to the process group of ``process`` (mpirun and its ranks;
    SIGCONT too, for a stopped one), SIGKILL after ``grace`` seconds, and
    waits for it, whatever interrupts the wait."""
    for sig in (signal.SIGTERM, signal.SIGCONT):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + grace
    while True:
        try:
            process.wait(timeout=max(0.0, deadline - time.monotonic()))
            break
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 60
        except KeyboardInterrupt:
            continue  # a second Ctrl-C: still end the job and wait for it
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers mpirun left in the group
    except ProcessLookupError:
        pass


def run(args: list, ranks: int = 1, progress: Optional[Callable[[str], None]] = None, cwd=None) -> None:
    """Runs ``mpirun -np ranks ringsim ARGS``; progress lines go to
    ``progress`` (default: sys.stderr). Raises RingsimError on failure."""
    ranks = _checked_ranks(ranks)
    mpirun = shutil.which("mpirun")
    if mpirun is None:
        raise RingsimError("mpirun not found on PATH (Debian: apt-get install openmpi-bin)")
    emit = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    command = [mpirun, "-np", str(int(ranks)), "--oversubscribe", binary()] + [str(a) for a in args]
    lines = []
    # mpirun in a process group of its own, so that an interrupt (Ctrl-C,
    # KeyboardInterrupt) or any other exception here ends it and its ranks
    # and waits for them: left running, they would outlive the call and
    # recreate the temporary folder it removes.
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               errors="replace", env=_mpirun_env(), cwd=cwd, start_new_session=True)
    try:
        for line in process.stderr:
            line = line.rstrip("\n")
            lines.append(line)
            emit(line)
        status = process.wait()
    except BaseException:
        _end_process_group(process)
        raise
    finally:
        process.stderr.close()
    if status != 0:
        failure_file = None
        if "--failure-file" in args:
            failure_file = Path(args[args.index("--failure-file") + 1])
        reason = ""
        if failure_file is not None and failure_file.is_file():
            reason = failure_file.read_text(errors="replace").strip().splitlines()[0] if failure_file.stat().st_size else ""
            reason = reason.removeprefix("ringsim failed: ")
        if not reason:
            errors = [l.split("error: ", 1)[1] for l in lines if l.startswith("ringsim: error: ")]
            # Else the first line that is not mpirun's banner of dashes
            # (a command-line error: "The following arguments were not expected: ...").
            plain = [l for l in lines if l.strip() and l.strip("-")]
            reason = errors[0] if errors else (plain[0] if plain else f"mpirun exited {status}")
        raise RingsimError(reason, "\n".join(lines), status)


def job(X, mode: str, ids, ranks: int, transport: str, progress, options: dict, queries=None,
        query_ids=None, out=None) -> dict:
    """One call of topk / threshold / full: the result folder's contents (ringsim.read)."""
    ranks = _checked_ranks(ranks)
    with tempfile.TemporaryDirectory(prefix="ringsim-") as scratch:
        folder = Path(scratch)
        os.chmod(folder, 0o700)
        out_dir = Path(out).resolve() if out is not None else folder / "out"
        args = ["run", "--input", _write_matrix(X, folder), "--out", str(out_dir), "--mode", mode,
                "--transport", transport, "--quiet", "--failure-file", str(folder / "failure.txt")]
        if ids is not None:
            args += ["--ids", _write_ids(ids, folder)]
        if queries is not None:
            args += ["--queries", _write_matrix(queries, folder, "queries")]
        if query_ids is not None:
            args += ["--query-ids", _write_ids(query_ids, folder, "query_ids")]
        if transport == "tls" and not any(k in options for k in ("tls_ca", "tls_ephemeral")):
            options = dict(options, tls_ephemeral=True)
        args += _flags(options)
        run(args, ranks=ranks, progress=progress)
        return read(out_dir)


