#!/usr/bin/env bash
# Bad input through the real command line under mpirun: every case must exit
# non-zero (mpirun reports the lowest failing rank's code), print exactly one
# "ringsim: error:" line naming the problem, finish quickly and leave no
# result file behind.
source "$(dirname "$0")/lib.sh"
ringsim=$(realpath "$1")
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
x = np.random.default_rng(1).standard_normal((40, 5)).astype(np.float32)
np.save(f"{w}/good.npy", x)
y = x.copy(); y[23, 1] = np.nan; np.save(f"{w}/nan.npy", y)
np.save(f"{w}/ints.npy", np.arange(12).reshape(4, 3))
np.save(f"{w}/cube.npy", np.zeros((2, 2, 2), np.float32))
raw = open(f"{w}/good.npy", "rb").read(); open(f"{w}/trunc.npy", "wb").write(raw[: len(raw) - 100])
open(f"{w}/ragged.csv", "w").write("1,2,3\n4,5\n")
PY
touch "$work/blocker"
cd "$work"  # a relative path the job wrongly creates (a folder "s3:") lands here
expect() {  # expect NAME NEEDLE ARGS...
  local name=$1 needle=$2; shift 2
  local out="${OUT_OVERRIDE:-$work/out-$name}"   # the folder the job was given is the one checked
  local start=$SECONDS
  timeout 60 mpirun -np 3 "$ringsim" run --out "$out" --quiet "$@" >"$work/$name.stdout" 2>"$work/$name.stderr"
  local code=$?
  local lines; lines=$(grep -c "^ringsim: error:" "$work/$name.stderr")
  if [[ $code -eq 0 || $code -eq 124 ]]; then echo "FAIL $name: exit code $code"; failures=$((failures+1)); return; fi
  if [[ $lines -ne 1 ]]; then echo "FAIL $name: $lines error lines"; cat "$work/$name.stderr"; failures=$((failures+1)); return; fi
  if ! grep -q -- "$needle" "$work/$name.stderr"; then echo "FAIL $name: no '$needle' in:"; cat "$work/$name.stderr"; failures=$((failures+1)); return; fi
  if [[ -d "$out" ]] && [[ -n "$(ls -A "$out")" ]]; then echo "FAIL $name: left $(ls -A "$out")"; failures=$((failures+1)); return; fi
  echo "ok   $name ($((SECONDS-start)) s): $(grep '^ringsim: error:' "$work/$name.stderr")"
}
expect missing   "input file not found"       --input "$work/nope.npy"
expect not2d     "expected a 2-D array"       --input "$work/cube.npy"
expect dtype     "unsupported dtype '<i8'"    --input "$work/ints.npy"
expect truncated "truncated data"             --input "$work/trunc.npy"
expect nan       "NaN at row 23"              --input "$work/nan.npy"
expect ragged    "ragged.csv:2"               --input "$work/ragged.csv"
expect k0        "--k must be between 1 and"  --input "$work/good.npy" --k 0
expect mode      "--mode must be one of topk, threshold, full, got 'nope'" --input "$work/good.npy" --mode nope
expect k_text    "--k must be an integer, got 'ten'" --input "$work/good.npy" --k ten
# A build without CUDA does not offer it (a CUDA build's refusal without a GPU: cuda_no_gpu.sh).
if [[ "$("$ringsim" options)" != *"| cpu, cuda |"* ]]; then
  expect device    "--device must be one of cpu, got 'cuda'" --input "$work/good.npy" --device cuda
fi
OUT_OVERRIDE="$work/blocker/sub" expect unwritable "cannot be created" --input "$work/good.npy"
expect timeout_nan  "--timeout must be a finite number, got 'nan'" --input "$work/good.npy" --timeout nan
expect timeout_huge "--timeout must be between 0.001 and 1000000 seconds" --input "$work/good.npy" --timeout 1e300
expect k_huge    "--k must be between 1 and 1048576, got 2147483647" --input "$work/good.npy" --k 2147483647
expect bind_port "--bind '127.0.0.1:abc': bad port 'abc'" --input "$work/good.npy" --transport tcp --bind 127.0.0.1:abc
expect input_url "--input 'https://example.com/x.npy' is a URL" --input https://example.com/x.npy
OUT_OVERRIDE="s3://bucket/x" expect out_url "--out 's3://bucket/x' is a URL" --input "$work/good.npy"
if [[ -e "$work/s3:" ]]; then echo "FAIL out_url: created a local folder 's3:'"; failures=$((failures+1)); fi
finish
