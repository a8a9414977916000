#!/usr/bin/env bash
# The test suite again, built with AddressSanitizer and
# UndefinedBehaviorSanitizer (RINGSIM_SANITIZE=ON) in build-asan/. Any
# memory error, leak in ringsim's own code or undefined behaviour aborts the
# process that has it, which fails its test. Every entry runs but those
# named below and those labelled slow (tests/CMakeLists.txt: each repeats, in
# a variant that makes no difference to ringsim's code, what a faster entry
# here runs). Extra arguments go to ctest (e.g. -R io to run a subset).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/setup/deps.sh --bench
# -g1: line tables only, which is what a sanitizer's report prints (file and
# line of every frame); full debug information made the build about a third
# slower (tests/engine/test_ring_results.cpp: 92 s against 68 s on 2 shared cores).
BUILD_DIR=build-asan scripts/setup/build.sh -DRINGSIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
source scripts/setup/env.sh
# Open MPI (and the PMIx / hwloc / libevent it loads) keeps allocations from
# MPI_Init to exit that LeakSanitizer reports as leaks in every rank; they
# are suppressed by library (scripts/test/lsan-suppressions.txt), so a leak in
# ringsim's own code still fails. Ranks inherit these from mpirun.
# fast_unwind_on_malloc=0: full allocation stacks through libraries built
# without frame pointers, so that the suppressions by library name match.
export LSAN_OPTIONS="suppressions=$PWD/scripts/test/lsan-suppressions.txt:print_suppressions=0"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:fast_unwind_on_malloc=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
cd build-asan
# Not the benchmark smoke test (bench.*): it measures speed, which ASan
# divides by 3-10 (it then runs past its 300 s limit), and the transports it
# drives are covered here by the connection and ring tests.
# Nor the network-namespace clusters (cli.netns_*): their ranks start over
# ssh, which passes no sanitizer settings (so Open MPI's own allocations are
# reported as leaks); the ranks' code runs under the sanitizers in every
# other multi-rank test, and the launcher in cli.local_sagemaker.
# Nor the entries labelled slow (above).
ctest --output-on-failure --timeout 900 -j 2 -E '^(bench\.|cli\.netns_)' -LE slow "$@"
