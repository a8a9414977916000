"""pip's build of ringsim: the pure-Python package (pyproject.toml) plus the
compiled module ringsim._engine, which CMake builds (target _engine) from the
repository this folder sits in. Offline, into a venv that sees Debian's
numpy (docs/python.md):

    python3 -m venv --system-site-packages venv
    venv/bin/pip install --no-build-isolation ./python

RINGSIM_BUILD_DIR names a configured build folder to take the module from
(scripts/setup/build.sh's build/: only _engine is brought up to date there, so an
install after a build compiles nothing again); without it the module is
configured and built in setuptools' own temporary folder (minutes).
RINGSIM_CMAKE_ARGS adds arguments to that configuration."""

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent  # the repository root: CMakeLists.txt


class CMakeModule(Extension):
    def __init__(self, name: str, target: str):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    """Builds each CMakeModule's target with CMake and copies it where setuptools wants it."""

    def build_extension(self, ext):
        build_dir = self._configured_build()
        subprocess.run(["cmake", "--build", str(build_dir), "--target", ext.target, "-j", str(os.cpu_count() or 1)],
                       check=True)
        suffix = sysconfig.get_config_var("EXT_SUFFIX")
        built = build_dir / "python" / "ringsim" / f"{ext.target}{suffix}"
        if not built.is_file():
            found = sorted(p.name for p in (build_dir / "python" / "ringsim").glob(f"{ext.target}*.so"))
            sys.exit(f"ringsim: {built} was not built (found {found}): that build folder is configured for another "
                     f"Python than {sys.executable}")
        destination = Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(built, destination)

    def _configured_build(self) -> Path:
        given = os.environ.get("RINGSIM_BUILD_DIR")
        if given:
            build_dir = Path(given).resolve()
            if not (build_dir / "CMakeCache.txt").is_file():
                sys.exit(f"ringsim: RINGSIM_BUILD_DIR={given} is not a configured CMake build folder")
            return build_dir
        if not (SOURCE / "CMakeLists.txt").is_file():
            sys.exit(f"ringsim: the module is built from the ringsim repository; {SOURCE} is not one")
        build_dir = Path(self.build_temp).resolve() / "cmake"
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        launcher = ["-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"] if shutil.which("ccache") else []
        subprocess.run(["cmake", "-S", str(SOURCE), "-B", str(build_dir), *generator, *launcher,
                        "-DCMAKE_BUILD_TYPE=Release", "-DRINGSIM_TESTS=OFF", "-DRINGSIM_PYTHON=ON",
                        f"-DPython_EXECUTABLE={sys.executable}",
                        *shlex.split(os.environ.get("RINGSIM_CMAKE_ARGS", ""))], check=True)
        return build_dir


setup(ext_modules=[CMakeModule("ringsim._engine", "_engine")], cmdclass={"build_ext": CMakeBuild})
