#!/usr/bin/env bash
# Fault injection through the real command line under mpirun: one rank gets
# SIGKILL, SIGSTOP or SIGTERM on entering a phase (RINGSIM_FAULT, see
# common/fault_injection.hpp). Every case must end every process within its
# bound, exit non-zero, name the failed rank and the phase, and leave --out
# without any temporary or result file.
#
# Usage: fault_injection.sh RINGSIM TRANSPORT [TABLE.md]
#   TABLE.md: append one markdown row per case (docs/faults.md is made so).
source "$(dirname "$0")/lib.sh"
transport=$2
table=${3:-}
timeout_s=4        # the job's --timeout
kill_bound=12      # seconds for a killed or terminated rank to end the job
stall_bound=$((timeout_s + 12))  # a stalled rank: the survivors' timeout + grace + abort
"$ringsim" gen --rows 3001 --cols 24 --seed 5 --out "$work/x.npy" >/dev/null
"$ringsim" gen --rows 700 --cols 24 --seed 6 --out "$work/queries.npy" >/dev/null
extra=()
[[ $transport == tls ]] && extra=(--tls-ephemeral)

run_case() {  # run_case RANK POINT SIGNAL MODE [RANKS [ARGS...]]
  local rank=$1 point=$2 signal=$3 mode=$4 ranks=${5:-3}
  shift $(($# < 5 ? $# : 5))
  local name="$transport-$mode${case_label:-}-r$rank-$point-$signal"
  local out="$work/out-$name"
  local start; start=$(date +%s.%N)
  RINGSIM_FAULT="$rank:$point:$signal" timeout -s KILL 60 mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" \
    --out "$out" --mode "$mode" --threshold 0.9 --transport "$transport" "${extra[@]}" --timeout "$timeout_s" \
    --quiet "$@" >"$work/$name.stdout" 2>"$work/$name.stderr"
  local code=$?
  local seconds; seconds=$(echo "$(date +%s.%N) - $start" | bc)
  local bound=$kill_bound; [[ $signal == STOP ]] && bound=$stall_bound
  local problems=()
  [[ $code -eq 0 ]] && problems+=("exit code 0")
  (( $(echo "$seconds >= 59" | bc) )) && problems+=("hung: killed by the test's 60 s guard")
  (( $(echo "$seconds > $bound" | bc) )) && problems+=("took ${seconds}s > ${bound}s")
  # The line that names the failure: ringsim's own, or mpirun's for SIGKILL
  # (a killed process cannot speak for itself).
  local line
  line=$(grep -m1 -E "^ringsim: error: .*rank $rank\b|process rank $rank with PID" "$work/$name.stderr")
  [[ -z $line ]] && problems+=("no line names rank $rank")
  if [[ $signal != KILL ]] && ! grep -q "^ringsim: error: rank [0-9]* (host [^)]*) in phase " "$work/$name.stderr"; then
    problems+=("no ringsim error line naming rank, host and phase")
  fi
  local phase_word=$point; [[ $point == write-file ]] && phase_word=write
  [[ $point == shared-step ]] && phase_word=ring
  if [[ $signal == TERM ]] && ! grep -q "in phase $phase_word: stopped by signal 15" "$work/$name.stderr"; then
    problems+=("SIGTERM not reported in phase $phase_word")
  fi
  local left=""
  [[ -d $out ]] && left=$(ls -A "$out" | tr '\n' ' ')
  [[ -n $left ]] && problems+=("left in --out: $left")
  sleep 0.2
  local orphans; orphans=$(pgrep -f -- "--out $out" | tr '\n' ' ')
  if [[ -n $orphans ]]; then
    problems+=("processes left: $orphans")
    pkill -KILL -f -- "--out $out"
  fi
  local message=${line:-"(none)"}
  message=${message//|/\\|}
  if ((${#problems[@]})); then
    fail "$name (${seconds}s, exit $code): ${problems[*]}"
    sed 's/^/    /' "$work/$name.stderr" | head -20
  else
    ok "$name (${seconds}s, exit $code): $message"
  fi
  if [[ -n $table ]]; then
    printf '| %s | %s | %s | rank %s | %.1f | %s | %s | %s |\n' "$transport" "$point" "$signal" "$rank" "$seconds" \
      "$code" "${message:0:160}" "${left:-none}" >>"$table"
  fi
}

for point in load connect ring write; do
  for signal in KILL STOP TERM; do run_case 1 "$point" "$signal" topk; done
done
# Rank 0 gathers the control plane and writes the results: stall it, and
# stop or kill it with an output file half written (full and threshold).
run_case 0 load STOP topk
run_case 0 write-file TERM full
run_case 0 write-file KILL threshold
# The shared middle step (--balance measured, an even ring): a partner that
# dies, stalls or is stopped while the two trade rows.
for signal in KILL STOP TERM; do run_case 1 shared-step "$signal" topk 2 --balance measured; done
# A queries job (--queries): a rank that dies or stalls in its ring, and rank
# 0 stopped with the top-k file half written.
for signal in KILL STOP; do case_label=-queries run_case 1 ring "$signal" topk 3 --queries "$work/queries.npy"; done
case_label=-queries run_case 0 write-file TERM topk 3 --queries "$work/queries.npy"
finish
