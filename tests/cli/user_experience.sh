#!/usr/bin/env bash
# What a user sees: progress lines with a growing share done and an ETA that
# name rank and host, --version, and the warning when k exceeds the other rows.
source "$(dirname "$0")/lib.sh"

"$ringsim" --version | grep -Eq '^ringsim [0-9]+\.[0-9]+\.[0-9]+' && ok "--version: $("$ringsim" --version)" ||
  fail "--version"

# The forms of a ring line (the job's share, its rate, the slowest rank and
# its share, and whether rank 0's own ring is done) and of a write line.
ring_line='^ringsim: info: rank 0 \(host [^)]+\) in phase ring: progress: step [0-9]+/[0-9]+, [0-9.]+ % of pairs, elapsed [0-9]+ s, ETA [0-9]+ s, [0-9.]+ GFLOP/s \((rank 0 done; )?slowest: rank [0-9]+, [0-9.]+ %\)$'
write_line='^ringsim: info: rank 0 \(host [^)]+\) in phase write: progress: writing, [0-9.]+ % of the results, [0-9.]+ MB, elapsed [0-9]+ s, ETA [0-9]+ s$'
"$ringsim" gen --rows 30000 --cols 96 --seed 2 --out "$work/x.npy" >/dev/null
job_seconds=300 run_job 2 --input "$work/x.npy" --out "$work/out" --progress-seconds 0.05 \
  --tile 256 2>"$work/progress.err"
code=$?
lines=$(grep -c "progress:" "$work/progress.err")
if ((code != 0)); then
  fail "progress: the job exited $code"; cat "$work/progress.err"
elif ((lines < 3)); then
  fail "progress: $lines lines"; cat "$work/progress.err"
elif grep -vqE "$ring_line|$write_line" <<<"$(grep "progress:" "$work/progress.err")"; then
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

# Progress covers every rank: rank 2 holds 40 times the rows of ranks 0 and 1
# (shards of their own, one mpirun per rank), so rank 0 ends its ring long
# before rank 2 and goes on printing, naming rank 2 as the slowest, its share
# growing. Threshold mode, whose ranks exchange nothing but blocks, so that
# rank 0 does not wait on rank 2 inside its own ring.
for r in 0 1 2; do
  mkdir -p "$work/shard$r"
  "$ringsim" gen --rows $((r == 2 ? 16000 : 400)) --cols 96 --seed $((r + 1)) --out "$work/shard$r/a.npy" >/dev/null
done
uneven=(run --out "$work/uneven" --mode threshold --threshold 0.9 --sharded --progress-seconds 0.02 --quiet)
timeout -s KILL 120 mpirun -np 1 "$ringsim" "${uneven[@]}" --input "$work/shard0" : \
  -np 1 "$ringsim" "${uneven[@]}" --input "$work/shard1" : -np 1 "$ringsim" "${uneven[@]}" --input "$work/shard2" \
  2>"$work/uneven.err"
code=$?
waiting=$(grep -E "$ring_line" "$work/uneven.err" | grep "rank 0 done; slowest: rank 2")
shares=$(grep -oE 'slowest: rank 2, [0-9.]+ %' <<<"$waiting" | grep -oE '[0-9.]+ %' | cut -d' ' -f1)
if ((code == 0)) && (($(wc -l <<<"$shares") >= 2)) &&
  awk 'NR > 1 && $1 < prev { bad = 1 } { prev = $1 } END { exit bad }' <<<"$shares" &&
  (($(echo "$(tail -1 <<<"$shares") > $(head -1 <<<"$shares")" | bc))); then
  ok "progress while rank 0 waits: $(wc -l <<<"$shares") lines, rank 2 at $(head -1 <<<"$shares") % -> $(tail -1 <<<"$shares") %"
else
  fail "progress while rank 0 waits for rank 2 (exit $code)"; grep "progress:" "$work/uneven.err" | tail -5
fi

# The write phase prints its own lines: 4.5 million pairs written to pairs.csv.
"$ringsim" gen --rows 3000 --cols 16 --seed 4 --out "$work/pairs.npy" >/dev/null
job_seconds=300 run_job 2 --input "$work/pairs.npy" --out "$work/pairs" --mode threshold --threshold -1 \
  --progress-seconds 0.05 2>"$work/write.err"
code=$?
written=$(grep -E "$write_line" "$work/write.err" | grep -oE '[0-9.]+ % of the results' | cut -d' ' -f1)
if ((code == 0)) && [[ -n $written ]] && awk 'NR > 1 && $1 < prev { bad = 1 } { prev = $1 } END { exit bad }' <<<"$written"; then
  ok "progress while writing: $(wc -l <<<"$written") lines, $(head -1 <<<"$written") % -> $(tail -1 <<<"$written") %"
else
  fail "progress while writing (exit $code)"; grep "progress:" "$work/write.err" | tail -5
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
# A CSV as pandas' to_csv writes it (an unnamed index column): the index is
# taken as row ids, not a feature (d = 2), and one info line says so.
printf ',a,b\n0,1.5,2\n1,0.5,1\n2,3,1\n3,1,1\n' >"$work/pandas.csv"
job_seconds=60 run_job 2 --input "$work/pandas.csv" --out "$work/pandas" --k 2 2>"$work/pandas.err"
code=$?
if ((code == 0)) && grep -q "pandas.csv: .*first column read as row ids" "$work/pandas.err" &&
  grep -q '"d": 2,' "$work/pandas/report.json" && [[ -f $work/pandas/ids.npy ]]; then
  ok "pandas index column read as row ids, and said so"
else
  fail "pandas index column (exit $code)"; cat "$work/pandas.err"
fi
finish
