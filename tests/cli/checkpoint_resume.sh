#!/usr/bin/env bash
# Checkpoint and resume: a job killed (kill -9 of one rank) right after a
# ring step was saved is rerun with the same --checkpoint-dir; the rerun must
# report resumed_steps = that step + 1 and write outputs byte-identical to an
# uninterrupted run (every mode; full mode over tcp and tls too). A
# checkpoint from a job with other options, or a corrupt one, is refused; a
# truncated one is not a saved step; --balance measured is refused with
# --checkpoint-dir.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(7)
x = rng.standard_normal((1203, 12)).astype(np.float32)
x[5] = 0; x[600] = x[17]; x[601] = 2 * x[17]   # a zero row and ties
np.save(sys.argv[1] + "/x.npy", x)
PY
job() {  # job OUT RANKS ARGS...
  local out=$1 ranks=$2; shift 2
  run_job "$ranks" --input "$work/x.npy" --out "$out" --timeout 20 "$@"
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
  ok "$name: resumed after step $step, outputs byte-identical ($(ls "$ref" | grep -v report.json | tr '\n' ' '))"
}

case_ topk-p4-mpi 4 1 --k 7
case_ topk-p5-tls 5 0 --k 5 --transport tls --tls-ephemeral
case_ topk-p4-last 4 2 --k 3
case_ threshold-p3-tcp 3 0 --mode threshold --threshold 0.3 --transport tcp
# Threshold saves only new pairs per step: a chain of two saves to rebuild.
case_ threshold-p5-mpi 5 1 --mode threshold --threshold 0.2
case_ full-p4 4 1 --mode full --tile 64
case_ full-p3-tcp 3 0 --mode full --tile 64 --transport tcp
case_ full-p4-tls 4 1 --mode full --tile 64 --transport tls --tls-ephemeral
case_ topk-p2-float64 2 0 --k 4 --dtype float64

# Another job's checkpoint (here: another k) is refused by name, not mixed in.
ck="$work/other-ck"
RINGSIM_FAULT="1:checkpoint-0:KILL" job "$work/o1" 3 --checkpoint-dir "$ck" --k 5 >/dev/null 2>&1
job "$work/o2" 3 --checkpoint-dir "$ck" --k 6 2>"$work/other.err"
if [[ $? -ne 0 ]] && grep -q "was made by another job" "$work/other.err"; then
  ok "other-job-refused: $(grep -m1 '^ringsim: error' "$work/other.err")"
else
  fail "other-job-refused"; cat "$work/other.err"
fi
# A damaged checkpoint on rerun: one rank's newest file with a flipped
# payload byte is refused naming the file (one error line, every rank
# exits non-zero, no result); the same file cut short is not a saved step,
# and older steps are gone once step 1 was saved everywhere, so the rerun
# starts afresh (resumed_steps 0) and its outputs equal an uninterrupted run's.
ck="$work/damaged-ck"
job "$work/damaged-ref" 3 --k 5 2>/dev/null || fail "damaged: reference run failed"
RINGSIM_FAULT="1:checkpoint-1:KILL" job "$work/damaged" 3 --checkpoint-dir "$ck" --k 5 >/dev/null 2>&1
victim="$ck/rank-2.step-1.ckpt"
if [[ ! -f $victim ]]; then
  fail "damaged: no $victim to damage: $(ls "$ck")"
else
  cp "$victim" "$work/victim.ckpt"
  /usr/bin/python3 -c "
import sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[40] ^= 1; open(sys.argv[1], 'wb').write(b)" "$victim"
  job "$work/damaged" 3 --checkpoint-dir "$ck" --k 5 >/dev/null 2>"$work/corrupt.err"
  code=$?
  if [[ $code -ne 0 ]] && [[ $(grep -c '^ringsim: error:' "$work/corrupt.err") -eq 1 ]] &&
    grep -q "rank-2.step-1.ckpt is corrupt (checksum mismatch)" "$work/corrupt.err" &&
    [[ -z "$(ls -A "$work/damaged" 2>/dev/null)" ]]; then
    ok "corrupt-checkpoint-refused: $(grep -m1 '^ringsim: error' "$work/corrupt.err")"
  else
    fail "corrupt-checkpoint-refused: exit $code"; cat "$work/corrupt.err"
  fi
  head -c 100 "$work/victim.ckpt" >"$victim"
  if job "$work/damaged" 3 --checkpoint-dir "$ck" --k 5 2>"$work/truncated.err" &&
    [[ $(resumed_steps "$work/damaged") -eq 0 ]] && cmp -s "$work/damaged/neighbors.npy" "$work/damaged-ref/neighbors.npy" &&
    cmp -s "$work/damaged/scores.npy" "$work/damaged-ref/scores.npy"; then
    ok "truncated-checkpoint-skipped: started afresh, outputs byte-identical"
  else
    fail "truncated-checkpoint-skipped: resumed_steps $(resumed_steps "$work/damaged" 2>&1)"; cat "$work/truncated.err"
  fi
fi

# --balance measured cuts rows by timing, which a rerun cannot repeat, so it
# is refused with --checkpoint-dir before anything runs.
job "$work/measured" 2 --balance measured --checkpoint-dir "$work/measured-ck" 2>"$work/measured.err"
if [[ $? -ne 0 ]] && grep -q -- "--balance measured cannot resume from --checkpoint-dir" "$work/measured.err" &&
  [[ -z "$(ls -A "$work/measured" 2>/dev/null)" ]]; then
  ok "measured-balance-refused: $(grep -m1 '^ringsim: error' "$work/measured.err")"
else
  fail "measured-balance-refused"; cat "$work/measured.err"
fi
finish
