#!/usr/bin/env bash
# The hand-over from one checkpoint to the next: SageMaker uploads
# /opt/ml/checkpoints while the job runs, so the folder must hold a step
# every rank saved at every moment. A job stopped (kill -9 of one rank)
# between writing step 1 and removing step 0 holds both; one stopped while
# the ranks write step 1 (one rank has not) still holds step 0 everywhere.
# Each rerun resumes from the newest step all ranks hold and writes outputs
# byte-identical to an uninterrupted run.
source "$(dirname "$0")/lib.sh"
"$ringsim" gen --rows 900 --cols 10 --seed 4 --out "$work/x.npy" >/dev/null
job() {  # job OUT ARGS...
  local out=$1
  shift
  run_job 3 --input "$work/x.npy" --out "$out" --timeout 20 --k 4 --tile 64 "$@"
}
resumed_steps() { /usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['resumed_steps'])" "$1/report.json"; }
job "$work/ref" 2>"$work/ref.err" || { fail "reference run"; cat "$work/ref.err"; }

case_() {  # NAME FAULT_POINT "FILES THAT MUST BE THERE" "FILES THAT MUST NOT" EXPECTED_RESUMED
  local name=$1 point=$2 must=$3 mustnt=$4 resumed=$5 ck="$work/$1-ck" out="$work/$1-out" f
  RINGSIM_FAULT="1:$point:KILL" job "$out" --checkpoint-dir "$ck" >/dev/null 2>&1 &&
    { fail "$name: the stopped run exited 0 (no fault point $point)"; return; }
  local held
  held=$(ls "$ck" | sort | tr '\n' ' ')
  for f in $must; do [[ -f $ck/$f ]] || { fail "$name: the stopped job left $held, without $f"; return; }; done
  for f in $mustnt; do [[ ! -e $ck/$f ]] || { fail "$name: the stopped job left $f"; return; }; done
  job "$out" --checkpoint-dir "$ck" 2>"$work/$name.err" || { fail "$name: rerun failed"; cat "$work/$name.err"; return; }
  [[ $(resumed_steps "$out") -eq $resumed ]] || { fail "$name: resumed_steps $(resumed_steps "$out"), expected $resumed"; return; }
  for f in neighbors.npy scores.npy; do
    cmp -s "$work/ref/$f" "$out/$f" || { fail "$name: $f differs from the uninterrupted run"; return; }
  done
  ok "$name: the stopped job held $held; resumed_steps $resumed, outputs byte-identical"
}

# Every rank wrote step 1; rank 1 stopped before removing its step 0 (the
# others may have removed theirs, mpirun ends them a moment later).
case_ between-new-and-old checkpoint-written-1 \
  "rank-0.step-1.ckpt rank-1.step-0.ckpt rank-1.step-1.ckpt rank-2.step-1.ckpt" "" 2
# Rank 1 stopped before writing step 1: step 0, the last step every rank
# saved, is still there on every rank.
case_ while-writing-new checkpoint-writing-1 \
  "rank-0.step-0.ckpt rank-1.step-0.ckpt rank-2.step-0.ckpt" "rank-1.step-1.ckpt" 1
finish
