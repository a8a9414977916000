#!/usr/bin/env bash
# Checkpoint and resume: a job killed (kill -9 of one rank) right after a
# ring step was saved is rerun with the same --checkpoint-dir; the rerun must
# report resumed_steps = that step + 1 and write outputs byte-identical to an
# uninterrupted run. A checkpoint from a job with other options is refused.
source "$(dirname "$0")/lib.sh"
ringsim=$1
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(7)
x = rng.standard_normal((1203, 12)).astype(np.float32)
x[5] = 0; x[600] = x[17]; x[601] = 2 * x[17]   # a zero row and ties
np.save(sys.argv[1] + "/x.npy", x)
PY
job() {  # job OUT RANKS ARGS...
  local out=$1 ranks=$2; shift 2
  timeout -s KILL 120 mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" --out "$out" --quiet --timeout 20 "$@"
}
resumed_steps() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['resumed_steps'])" "$1/report.json"; }

case_() {  # case_ NAME RANKS KILL_AFTER_STEP ARGS...
  local name=$1 ranks=$2 step=$3; shift 3
  local ref="$work/$name-ref" out="$work/$name-out" ck="$work/$name-ck"
  job "$ref" "$ranks" "$@" 2>"$work/$name.ref.err" || { fail "$name: reference run failed"; cat "$work/$name.ref.err"; return; }
  RINGSIM_FAULT="1:checkpoint-$step:KILL" job "$out" "$ranks" --checkpoint-dir "$ck" "$@" >/dev/null 2>&1 &&
    { fail "$name: the killed run exited 0"; return; }
  [[ -d $out && -n "$(ls -A "$out")" ]] && { fail "$name: the killed run left $(ls -A "$out")"; return; }
  local saved; saved=$(ls "$ck" | grep -c "step-$step.ckpt")
  [[ $saved -eq $ranks ]] || { fail "$name: $saved of $ranks ranks saved step $step"; return; }
  job "$out" "$ranks" --checkpoint-dir "$ck" "$@" 2>"$work/$name.err" || { fail "$name: rerun failed"; cat "$work/$name.err"; return; }
  local resumed; resumed=$(resumed_steps "$out")
  [[ $resumed -eq $((step + 1)) ]] || { fail "$name: resumed_steps $resumed, expected $((step + 1))"; return; }
  for f in $(ls "$ref" | grep -v report.json); do
    cmp -s "$ref/$f" "$out/$f" || { fail "$name: $f differs from the uninterrupted run"; return; }
  done
  [[ -z "$(ls -A "$ck")" ]] || { fail "$name: checkpoints left after success: $(ls "$ck")"; return; }
  echo "ok   $name: resumed after step $step, outputs byte-identical ($(ls "$ref" | grep -v report.json | tr '\n' ' '))"
}

case_ topk-p4-mpi 4 1 --k 7
case_ topk-p5-tls 5 0 --k 5 --transport tls --tls-ephemeral
case_ topk-p4-last 4 2 --k 3
case_ threshold-p3-tcp 3 0 --mode threshold --threshold 0.3 --transport tcp
# Threshold saves only new pairs per step: a chain of two saves to rebuild.
case_ threshold-p5-mpi 5 1 --mode threshold --threshold 0.2
case_ full-p4 4 1 --mode full --tile 64
case_ topk-p2-float64 2 0 --k 4 --dtype float64

# Another job's checkpoint (here: another k) is refused by name, not mixed in.
ck="$work/other-ck"
RINGSIM_FAULT="1:checkpoint-0:KILL" job "$work/o1" 3 --checkpoint-dir "$ck" --k 5 >/dev/null 2>&1
job "$work/o2" 3 --checkpoint-dir "$ck" --k 6 2>"$work/other.err"
if [[ $? -ne 0 ]] && grep -q "was made by another job" "$work/other.err"; then
  echo "ok   other-job-refused: $(grep -m1 '^ringsim: error' "$work/other.err")"
else
  fail "other-job-refused"; cat "$work/other.err"
fi
finish
