#!/usr/bin/env bash
# Bad input through the real command line under mpirun: every case must exit
# non-zero (mpirun reports the lowest failing rank's code), print exactly one
# "ringsim: error:" line naming the problem, finish quickly and leave no
# result file behind.
source "$(dirname "$0")/lib.sh"
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
expect_failure --one-error-line missing   "input file not found"       --input "$work/nope.npy"
expect_failure --one-error-line not2d     "expected a 2-D array"       --input "$work/cube.npy"
expect_failure --one-error-line dtype     "unsupported dtype '<i8'"    --input "$work/ints.npy"
expect_failure --one-error-line truncated "truncated data"             --input "$work/trunc.npy"
expect_failure --one-error-line nan       "NaN at row 23"              --input "$work/nan.npy"
expect_failure --one-error-line ragged    "ragged.csv:2"               --input "$work/ragged.csv"
expect_failure --one-error-line k0        "--k must be between 1 and"  --input "$work/good.npy" --k 0
expect_failure --one-error-line mode      "--mode must be one of topk, threshold, full, got 'nope'" --input "$work/good.npy" --mode nope
expect_failure --one-error-line k_text    "--k must be an integer, got 'ten'" --input "$work/good.npy" --k ten
# A build without CUDA does not offer it (a CUDA build's refusal without a GPU: cuda_no_gpu.sh).
if [[ "$("$ringsim" options)" != *"| cpu, cuda |"* ]]; then
  expect_failure --one-error-line device "--device must be one of cpu, got 'cuda'" --input "$work/good.npy" --device cuda
fi
expect_failure --one-error-line --out "$work/blocker/sub" unwritable "cannot be created" --input "$work/good.npy"
expect_failure --one-error-line timeout_nan  "--timeout must be a finite number, got 'nan'" --input "$work/good.npy" --timeout nan
expect_failure --one-error-line timeout_huge "--timeout must be between 0.001 and 1000000 seconds" --input "$work/good.npy" --timeout 1e300
expect_failure --one-error-line k_huge    "--k must be between 1 and 1048576, got 2147483647" --input "$work/good.npy" --k 2147483647
expect_failure --one-error-line bind_port "--bind '127.0.0.1:abc': bad port 'abc'" --input "$work/good.npy" --transport tcp --bind 127.0.0.1:abc
expect_failure --one-error-line input_url "--input 'https://example.com/x.npy' is a URL" --input https://example.com/x.npy
expect_failure --one-error-line --out "s3://bucket/x" out_url "--out 's3://bucket/x' is a URL" --input "$work/good.npy"
[[ -e "$work/s3:" ]] && fail "out_url: created a local folder 's3:'"
finish
