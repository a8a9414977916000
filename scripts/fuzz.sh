#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan, in build-fuzz/) and
# runs each for SECONDS (default 30) from its checked-in corpus in
# fuzz/corpus/NAME/. Exits non-zero on the first crash, leak, sanitizer
# report or violated property; libFuzzer leaves the input that did it as
# build-fuzz/fuzz/artifacts/NAME/crash-* (reproduce: build-fuzz/fuzz/fuzz_NAME FILE).
#
# Usage: scripts/fuzz.sh [SECONDS]
#   FUZZ_CORPUS_OUT=DIR keeps the inputs each run found worth keeping in DIR/NAME
#   (to grow the checked-in corpus by hand); by default they are thrown away.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-30}
cd "$root"
scripts/deps.sh --fuzz
build=${FUZZ_BUILD_DIR:-build-fuzz}
BUILD_DIR=$build BUILD_TARGET=fuzzers scripts/build.sh -DCMAKE_CXX_COMPILER=clang++-14 -DRINGSIM_FUZZ=ON \
  -DRINGSIM_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# The loader harnesses write each input to a file: keep that in memory.
if [[ -z "${TMPDIR:-}" && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
# Leaks are real findings here (no MPI in a harness).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for name in npy_header npy_loader csv sagemaker_config current_host checkpoint control_message record_receiver; do
  corpus="$work/$name"
  [[ -n "${FUZZ_CORPUS_OUT:-}" ]] && corpus="$FUZZ_CORPUS_OUT/$name"
  artifacts="$build/fuzz/artifacts/$name/"
  mkdir -p "$corpus" "$artifacts"
  dict=(); [[ -f fuzz/dict/$name.dict ]] && dict=(-dict="fuzz/dict/$name.dict")
  echo "== fuzz_$name: ${seconds} s"
  # New inputs go to the scratch corpus (first folder); the checked-in seeds are read only.
  if ! "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" "$corpus" "fuzz/corpus/$name" \
      >"$work/$name.log" 2>&1; then
    tail -n 60 "$work/$name.log"
    echo "fuzz_$name FAILED; the input is in $artifacts" >&2
    exit 1
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/$name.log" | tr '\n' ' '
  echo
done
echo "all fuzzers ran ${seconds} s each without a finding"
