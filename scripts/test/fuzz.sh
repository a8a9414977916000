#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang, ASan + UBSan, in build-fuzz/) and
# runs each for SECONDS (default 30) from its checked-in corpus in
# fuzz/corpus/NAME/. Exits non-zero on the first crash, leak, sanitizer
# report or violated property; libFuzzer leaves the input that did it as
# build-fuzz/fuzz/artifacts/NAME/crash-* (reproduce: build-fuzz/fuzz/fuzz_NAME FILE).
#
# Harnesses run side by side, one per core (FUZZ_JOBS sets how many at once).
#
# Usage: scripts/test/fuzz.sh [SECONDS]
#   FUZZ_CORPUS_OUT=DIR keeps the inputs each run found worth keeping in DIR/NAME
#   (to grow the checked-in corpus by hand); by default they are thrown away.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
seconds=${1:-30}
cd "$root"
scripts/setup/deps.sh --fuzz
build=${FUZZ_BUILD_DIR:-build-fuzz}
# -g1 (line tables, what a finding's stack trace prints), as test-sanitized.sh.
BUILD_DIR=$build BUILD_TARGET=fuzzers scripts/setup/build.sh -DCMAKE_CXX_COMPILER=clang++-14 -DRINGSIM_FUZZ=ON \
  -DRINGSIM_TESTS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
work=$(mktemp -d)
running=()  # the harnesses' process ids, ended if this script stops early
trap 'for pid in "${running[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"' EXIT
# The loader harnesses write each input to a file: keep that in memory.
if [[ -z "${TMPDIR:-}" && -w /dev/shm ]]; then export TMPDIR=/dev/shm; fi
# Leaks are real findings here (no MPI in a harness).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fuzz_one() {  # NAME: one harness for $seconds, its output in $work/NAME.log
  local name=$1 corpus="$work/$1" artifacts="$build/fuzz/artifacts/$1/" dict=()
  [[ -n "${FUZZ_CORPUS_OUT:-}" ]] && corpus="$FUZZ_CORPUS_OUT/$name"
  mkdir -p "$corpus" "$artifacts"
  [[ -f fuzz/dict/$name.dict ]] && dict=(-dict="fuzz/dict/$name.dict")
  # New inputs go to the scratch corpus (first folder); the checked-in seeds are read only.
  "$build/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$artifacts" "${dict[@]}" "$corpus" "fuzz/corpus/$name" >"$work/$name.log" 2>&1
}
# Waits for the next harness to end: its stats, or its log's tail and exit 1.
declare -A names  # process id -> harness
reap_one() {
  local pid status=0 still=() p
  wait -n -p pid "${running[@]}" || status=$?
  for p in "${running[@]}"; do [[ $p == "$pid" ]] || still+=("$p"); done
  running=("${still[@]}")
  local name=${names[$pid]}
  if ((status != 0)); then
    tail -n 60 "$work/$name.log"
    echo "fuzz_$name FAILED; the input is in $build/fuzz/artifacts/$name/" >&2
    exit 1
  fi
  echo "fuzz_$name: $(grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$work/$name.log" | tr '\n' ' ')"
}
# One harness per core at a time (FUZZ_JOBS): each still gets SECONDS of a
# core to itself, and the stage takes 1/cores of the time.
at_once=${FUZZ_JOBS:-$(nproc)}
for name in npy_header npy_loader csv sagemaker_config current_host checkpoint control_message record_receiver; do
  while ((${#running[@]} >= at_once)); do reap_one; done
  echo "== fuzz_$name: ${seconds} s"
  fuzz_one "$name" &
  running+=("$!")
  names[$!]=$name
done
while ((${#running[@]})); do reap_one; done
echo "all fuzzers ran ${seconds} s each without a finding"
