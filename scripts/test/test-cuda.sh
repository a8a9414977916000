#!/usr/bin/env bash
# The CUDA variant (docs/gpu.md) on a machine without a GPU, as .ci/run runs
# it: configure with -DRINGSIM_CUDA=AUTO into build-cuda/, build the binary
# and the unit tests (nvcc and cuBLAS compile and link), and run what needs
# no GPU: the unit tests (the GPU's selection code run on the host among
# them), the option tables, bad input and the one-line refusal of
# --device cuda without a GPU. Where the toolkit is missing, AUTO turns the
# backend off and this script says it skipped, exiting 0.
set -euo pipefail
cd "$(dirname "$0")/../.."
build_dir=${BUILD_DIR:-build-cuda}
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release -DRINGSIM_CUDA=AUTO "${launcher[@]}" >/dev/null
if ! grep -q '^RINGSIM_WITH_CUDA_BUILT:INTERNAL=ON' "$build_dir/CMakeCache.txt"; then
  echo "CUDA variant: skipped (RINGSIM_CUDA=AUTO found no nvcc and cuBLAS on PATH, CUDACXX or /usr/local/cuda)"
  exit 0
fi
cmake --build "$build_dir" -j "$(nproc)" --target ringsim ringsim_unit_tests
source scripts/setup/env.sh
# Unit tests are named Suite.Test (upper case first); the CLI tests that need no GPU by name.
ctest --test-dir "$build_dir" --output-on-failure -j "$(nproc)" \
  -R '^[A-Z]|^cli\.(cuda_no_gpu|bad_input|options_doc)$'
