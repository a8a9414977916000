#!/usr/bin/env bash
# The SageMaker launch flow end to end on this machine (scripts/beds/local-sagemaker.sh):
# sharded (unequal shards, one host empty) and replicated inputs both equal
# the numpy reference; a bad hyperparameter and a NaN in the data make every
# host exit non-zero quickly with output/failure saying why; SIGTERM to the
# leader stops the job inside SageMaker's window with no result file.
source "$(dirname "$0")/lib.sh"

for mode in --sharded ""; do
  if timeout 120 "$root/scripts/beds/local-sagemaker.sh" 3 $mode --check >"$work/run.log" 2>&1; then
    ok "3 hosts ${mode:-replicated}: $(grep '^ok:' "$work/run.log")"
  else
    fail "3 hosts ${mode:-replicated}"; cat "$work/run.log"
  fi
done

# --dry-run: the rank table, the hostfile and the mpirun argv, nothing started.
dir="$work/dry"
timeout 60 "$root/scripts/beds/local-sagemaker.sh" 3 --keep "$dir" >/dev/null 2>&1 || true
dry=$("$RINGSIM" launch --local --dry-run --ml-root "$dir/algo-2")
for needle in "role: worker (algo-2)" "rank 2-3 -> algo-2" "localhost slots=6" "mpirun --hostfile" "-np 6" \
              "--processes-per-host 2" "--hosts algo-1,algo-2,algo-3"; do
  [[ "$dry" == *"$needle"* ]] || fail "dry-run lacks '$needle': $dry"
done
ok "--dry-run prints the rank table, hostfile and mpirun argv"

# A worker whose leader never shows up gives up after wait_seconds, non-zero.
/usr/bin/python3 -c "import json,sys; p=sys.argv[1]; h=json.load(open(p)); h['wait_seconds']='\"3\"'; json.dump(h, open(p,'w'))" \
  "$dir/algo-2/input/config/hyperparameters.json"
rm -f "$dir/algo-2/output/failure"
start=$SECONDS
timeout 60 "$RINGSIM" launch --local --ml-root "$dir/algo-2" >/dev/null 2>&1 && fail "lonely worker exited 0"
grep -q "never connected" "$dir/algo-2/output/failure" 2>/dev/null \
  && ok "lonely worker gave up in $((SECONDS-start)) s: $(cat "$dir/algo-2/output/failure")" \
  || fail "lonely worker: no failure file saying the leader never connected"

expect_every_host_fails() {  # NAME NEEDLE ARGS...: every host exits non-zero, its failure file naming NEEDLE
  local name=$1 needle=$2; shift 2
  local dir="$work/$name" start=$SECONDS
  timeout 120 "$root/scripts/beds/local-sagemaker.sh" 3 --keep "$dir" "$@" >"$work/$name.log" 2>&1
  local code=$?
  [[ $code -ne 0 && $code -ne 124 ]] || { fail "$name: exit code $code"; return; }
  for host in algo-1 algo-2 algo-3; do
    grep -q "$host exited with [1-9]" "$work/$name.log" || fail "$name: $host did not exit non-zero"
    [[ -f "$dir/$host/output/failure" ]] || { fail "$name: no failure file on $host"; continue; }
    grep -q -- "$needle" "$dir/$host/output/failure" || fail "$name: $host failure file: $(cat "$dir/$host/output/failure")"
  done
  [[ ! -e "$dir/algo-1/model/neighbors.npy" ]] || fail "$name: a result was written"
  ok "$name: every host failed in $((SECONDS-start)) s; algo-1 says: $(cat "$dir/algo-1/output/failure")"
}
expect_every_host_fails bad-hyperparameter "unknown hyperparameter 'bogus'" --hp bogus=1
expect_every_host_fails bad-k "hyperparameter 'k' must be an integer" --k zero
LOCAL_SAGEMAKER_NAN_ROW=300 expect_every_host_fails nan-in-shard "NaN at row 300" --sharded

# StopTrainingJob: SIGTERM to every container's entrypoint.
dir="$work/stop"
timeout 120 "$root/scripts/beds/local-sagemaker.sh" 3 --rows 60000 --cols 256 --keep "$dir" >"$work/stop.log" 2>&1 &
runner=$!
for _ in $(seq 300); do grep -q "starts 6 ranks" "$dir/algo-1.log" 2>/dev/null && break; sleep 0.1; done
sleep 1
start=$SECONDS
pkill -TERM -f "ringsim launch --ml-root $dir/" || fail "stop: no launcher to signal"
wait $runner; code=$?
[[ $code -ne 0 && $code -ne 124 ]] || fail "stop: exit code $code"
[[ $((SECONDS-start)) -lt 60 ]] || fail "stop: took $((SECONDS-start)) s"
leftovers=$(ls -A "$dir/algo-1/model" 2>/dev/null)
[[ -z "$leftovers" ]] || fail "stop: model dir holds $leftovers"
ok "SIGTERM: stopped in $((SECONDS-start)) s with code $code, model dir empty"
finish
