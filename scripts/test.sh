#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs what is
# missing, builds, runs every test with CTest (multi-rank tests under mpirun).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup/deps.sh --bench --sshd  # the benchmark smoke test draws plots; the netns test bed runs sshd
scripts/setup/build.sh
source scripts/setup/env.sh
cd build
ctest --output-on-failure --timeout 600 -j 2 "$@"
