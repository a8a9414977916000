#!/usr/bin/env bash
# A CUDA build (-DRINGSIM_CUDA) on a machine without a GPU: --device cuda
# fails on every rank before any work, non-zero within seconds, with one line
# (the job's, naming the rank) that says no GPU is visible; --device cpu in the same build runs and reports its
# device. Skipped (77) where a GPU is visible.
source "$(dirname "$0")/lib.sh"
ringsim=$(realpath "$1")
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  echo "skipped: a GPU is visible here (scripts/bench/bench-gpu.sh measures it)"
  exit 77
fi
"$ringsim" gen --rows 300 --cols 8 --seed 1 --out "$work/x.npy" >/dev/null || fail "gen"
[[ "$("$ringsim" options)" == *"| cpu, cuda |"* ]] || fail "a CUDA build does not offer --device cuda"
for ranks in 1 3; do
  start=$SECONDS
  timeout 60 mpirun -np $ranks "$ringsim" run --input "$work/x.npy" --out "$work/out$ranks" --device cuda \
    >"$work/$ranks.stdout" 2>"$work/$ranks.stderr"
  code=$?
  lines=$(grep -c '^ringsim: error:' "$work/$ranks.stderr")
  echo "P=$ranks: exit $code in $((SECONDS - start)) s, $lines error line(s): $(grep -m1 '^ringsim: error:' "$work/$ranks.stderr")"
  [[ $code -ne 0 && $code -ne 124 ]] || fail "P=$ranks: exit code $code"
  # One line for the job, as every agreed failure (docs/errors.md): the first rank at fault, named.
  [[ $lines -eq 1 ]] || { fail "P=$ranks: $lines error lines"; cat "$work/$ranks.stderr"; }
  grep -q -- "--device cuda: no GPU is visible" "$work/$ranks.stderr" || fail "P=$ranks: the line does not say no GPU is visible"
  [[ -e "$work/out$ranks/neighbors.npy" ]] && fail "P=$ranks: left a result"
done
mpirun -np 2 "$ringsim" run --input "$work/x.npy" --out "$work/cpu" --device cpu --quiet || fail "--device cpu failed"
/usr/bin/python3 -c "
import json, sys; r = json.load(open('$work/cpu/report.json'))
assert r['device'] == 'cpu' and all(q['device'] == {'kind': 'cpu'} for q in r['ranks']), r['device']" ||
  fail "report.json's device entries"
finish
