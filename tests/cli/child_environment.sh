#!/usr/bin/env bash
# The job secret never reaches a child's environment: a one-host SageMaker
# job whose hyperparameters (job_secret among them) arrive only through the
# environment (SM_HPS, SM_HP_JOB_SECRET, SM_TRAINING_ENV, SM_USER_ARGS, no
# hyperparameters.json) runs 2 ranks; rank 0 stops itself in the ring
# (RINGSIM_FAULT) so that /proc/<rank>/environ of both ranks and of mpirun
# can be read while they run: none holds the secret or one of those
# variables. Then rank 0 goes on and the job ends 0.
source "$(dirname "$0")/lib.sh"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
"$ringsim" gen --rows 400 --cols 16 --seed 3 --out "$work/full.npy" >/dev/null
/usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$work" 1 --no-secret >/dev/null
ml_root=$work/algo-1
rm "$ml_root/input/config/hyperparameters.json"
secret=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))')
tag=ringsim-env-test-$$-$RANDOM  # finds this test's processes
hps="{\"job_secret\": \"$secret\", \"processes_per_host\": \"2\", \"k\": \"5\"}"
start=$SECONDS
SM_HPS=$hps SM_HP_JOB_SECRET=$secret SM_HP_PROCESSES_PER_HOST=2 \
  SM_TRAINING_ENV="{\"hyperparameters\": $hps}" SM_USER_ARGS="[\"--job_secret\", \"$secret\"]" \
  RINGSIM_FAULT=0:ring:STOP RINGSIM_ENV_TEST_TAG=$tag \
  timeout 120 "$ringsim" launch --local --ml-root "$ml_root" >"$work/launch.log" 2>&1 &
launcher=$!
# This test's processes: the tag in their environment.
ours() {
  for environ in /proc/[0-9]*/environ; do
    grep -qx "RINGSIM_ENV_TEST_TAG=$tag" <<<"$(tr '\0' '\n' <"$environ" 2>/dev/null)" && basename "$(dirname "$environ")"
  done
}
stopped=""
for _ in $(seq 600); do
  for pid in $(ours); do
    [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == T ]] && stopped=$pid
  done
  [[ -n $stopped ]] && break
  kill -0 "$launcher" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $stopped ]]; then
  fail "rank 0 never stopped itself in the ring"
  cat "$work/launch.log"
  finish
  exit
fi
checked=() leaked=()
for pid in $(ours); do
  name=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-60)
  environ=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null) || continue
  # The launcher (and `timeout` above it) read them: only its children count.
  [[ $name == timeout* || $name == *" launch --local"* ]] && continue
  checked+=("$pid ($name)")
  if grep -q -- "$secret" <<<"$environ" || grep -qE '^(SM_HPS|SM_HP_[A-Z_]*|SM_TRAINING_ENV|SM_USER_ARGS)=' <<<"$environ"; then
    leaked+=("$pid ($name): $(grep -oE '^(SM_HPS|SM_HP_[A-Z_]*|SM_TRAINING_ENV|SM_USER_ARGS)=' <<<"$environ" | tr '\n' ' ')")
  fi
done
ranks=$(printf '%s\n' "${checked[@]}" | grep -c "ringsim run")
kill -CONT "$stopped"
wait "$launcher"
code=$?
if ((${#leaked[@]})); then
  fail "the job secret reached a child's environment: ${leaked[*]}"
elif ((ranks < 2)); then
  fail "read the environment of ${ranks} rank(s), not 2: ${checked[*]}"
else
  ok "no job secret nor SM_HPS / SM_HP_* / SM_TRAINING_ENV / SM_USER_ARGS in /proc/PID/environ of ${#checked[@]}" \
    "children (${ranks} ranks, mpirun)"
fi
if [[ $code -eq 0 && -f $ml_root/model/neighbors.npy ]]; then
  ok "the job went on after the check and ended 0 in $((SECONDS - start)) s"
else
  fail "the job ended $code after the check"
  tail -5 "$work/launch.log"
fi
finish
