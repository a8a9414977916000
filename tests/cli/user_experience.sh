#!/usr/bin/env bash
# What a user sees: progress lines with a growing share done and an ETA that
# name rank and host, --version, and the warning when k exceeds the other rows.
source "$(dirname "$0")/lib.sh"

"$ringsim" --version | grep -Eq '^ringsim [0-9]+\.[0-9]+\.[0-9]+' && ok "--version: $("$ringsim" --version)" ||
  fail "--version"

"$ringsim" gen --rows 30000 --cols 96 --seed 2 --out "$work/x.npy" >/dev/null
job_seconds=300 run_job 2 --input "$work/x.npy" --out "$work/out" --progress-seconds 0.05 \
  --tile 256 2>"$work/progress.err"
code=$?
lines=$(grep -c "progress:" "$work/progress.err")
if ((code != 0)); then
  fail "progress: the job exited $code"; cat "$work/progress.err"
elif ((lines < 3)); then
  fail "progress: $lines lines"; cat "$work/progress.err"
elif grep "progress:" "$work/progress.err" | grep -vqE '^ringsim: info: rank 0 \(host [^)]+\) in phase ring: progress: step [0-9]+/[0-9]+, [0-9.]+ % of pairs, elapsed [0-9]+ s, ETA [0-9]+ s, [0-9.]+ GFLOP/s$'; then
  fail "progress: a line without rank, host, step, share, ETA or rate"; grep "progress:" "$work/progress.err"
else
  # The share of pairs done never falls and grows over the job. The ETA is
  # only checked for its form above: it follows the measured rate, which a
  # busy machine makes rise and fall, so its trend would be a timing test.
  shares=$(grep -oE '[0-9.]+ % of pairs' "$work/progress.err" | cut -d' ' -f1)
  if awk 'NR > 1 && $1 < prev { bad = 1 } { prev = $1 } END { exit bad }' <<<"$shares" &&
    (($(echo "$(tail -1 <<<"$shares") > $(head -1 <<<"$shares")" | bc))); then
    ok "progress: $lines lines, $(head -1 <<<"$shares") % -> $(tail -1 <<<"$shares") % of pairs"
  else
    fail "progress: the share of pairs fell or did not grow: $(echo $shares)"; grep "progress:" "$work/progress.err"
  fi
fi

"$ringsim" gen --rows 5 --cols 3 --out "$work/small.npy" >/dev/null
job_seconds=60 run_job 2 --input "$work/small.npy" --out "$work/small" --k 7 2>"$work/k.err"
code=$?
if ((code == 0)) && grep -q "warning: --k 7 but each row has only 4 candidate rows: the last 3 slots" "$work/k.err" &&
  /usr/bin/python3 -c "import json,sys; sys.exit(json.load(open('$work/small/report.json'))['empty_slots_per_row'] != 3)"; then
  ok "k beyond the rows: warned and reported"
else
  fail "k beyond the rows (exit $code)"; cat "$work/k.err"
fi
# Inputs researchers have: float16 .npy gives the neighbours of the same
# values in float32; part files in a folder stack in natural order.
/usr/bin/python3 - "$work" <<'PY'
import os, sys, numpy as np
w = sys.argv[1]
x = np.random.default_rng(9).standard_normal((240, 16)).astype(np.float16)
np.save(f"{w}/half.npy", x)
np.save(f"{w}/single.npy", x.astype(np.float32))
os.makedirs(f"{w}/parts")
for i, (a, b) in enumerate([(0, 30), (30, 70), (70, 120), (120, 240)]):
    np.save(f"{w}/parts/part-{[1, 2, 10, 11][i]}.npy", x[a:b].astype(np.float32))
PY
for input in half single parts; do
  path="$work/$input.npy"; [[ $input == parts ]] && path="$work/parts"
  job_seconds=60 run_job 3 --input "$path" --out "$work/in-$input" --k 6 2>"$work/$input.err" ||
    { fail "$input input"; cat "$work/$input.err"; }
done
if cmp -s "$work/in-half/neighbors.npy" "$work/in-single/neighbors.npy" &&
  cmp -s "$work/in-parts/neighbors.npy" "$work/in-single/neighbors.npy"; then
  ok "float16 input and part files in natural order (part-2 before part-10) give float32's neighbours"
else
  fail "float16 or part-file order"
fi
# A CSV whose first column counts the rows (pandas' default index) is warned about.
printf ',a,b\n0,1.5,2\n1,0.5,1\n2,3,1\n3,1,1\n' >"$work/pandas.csv"
job_seconds=60 run_job 2 --input "$work/pandas.csv" --out "$work/pandas" --k 2 2>"$work/pandas.err"
code=$?
if ((code == 0)) && grep -q "pandas.csv: the first column counts the rows" "$work/pandas.err"; then
  ok "pandas index column warned about"
else
  fail "pandas index warning (exit $code)"; cat "$work/pandas.err"
fi
finish
