#!/usr/bin/env bash
# Faults under the launcher (scripts/beds/local-sagemaker.sh, 3 hosts, 2 ranks each):
#  - kill -9 of one rank: every host exits non-zero and every host's
#    output/failure names that rank, its host and the signal;
#  - kill -9 of the leader's launcher: its mpirun and the ranks die with it
#    (no orphan writes the model), the workers fail saying the leader vanished.
source "$(dirname "$0")/lib.sh"

# Starts a 3-host job big enough to run for a while; sets runner, leader
# (the leader launcher's pid) and mpirun (its mpirun's pid).
start_job() {  # DIR
  timeout 150 "$root/scripts/beds/local-sagemaker.sh" 3 --rows 60000 --cols 256 --keep "$1" >"$1.log" 2>&1 &
  runner=$!
  leader="" mpirun=""
  for _ in $(seq 600); do
    grep -q "starts 6 ranks" "$1/algo-1.log" 2>/dev/null && break
    sleep 0.1
  done
  leader=$(pgrep -f "ringsim launch --ml-root $1/algo-1 ")
  mpirun=$(pgrep -P "$leader" mpirun)
  [[ -n $leader && -n $mpirun ]] || fail "no leader launcher or mpirun found for $1"
}
# The pid of MPI rank R among mpirun's children.
rank_pid() {  # R
  local pid
  for pid in $(pgrep -P "$mpirun"); do
    grep -qx "OMPI_COMM_WORLD_RANK=$1" <<<"$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null)" && { echo "$pid"; return; }
  done
}

# 1. A rank killed: rank 3 runs on algo-2.
dir="$work/rank"
start_job "$dir"
for _ in $(seq 100); do victim=$(rank_pid 3); [[ -n $victim ]] && break; sleep 0.1; done
sleep 2
start=$SECONDS
kill -9 "$victim"
wait "$runner"; code=$?
[[ $code -ne 0 && $code -ne 124 ]] || fail "rank killed: exit code $code"
for host in algo-1 algo-2 algo-3; do
  grep -q "$host exited with [1-9]" "$dir.log" || fail "rank killed: $host did not exit non-zero"
  grep -q "rank 3 (host algo-2) was killed by signal 9" "$dir/$host/output/failure" 2>/dev/null \
    || fail "rank killed: $host's failure file: $(cat "$dir/$host/output/failure" 2>&1)"
done
ok "kill -9 rank 3: every host ended in $((SECONDS-start)) s; algo-3 says: $(head -c 300 "$dir/algo-3/output/failure")"

# 2. The leader's launcher killed: nothing it started may live on.
dir="$work/leader"
start_job "$dir"
sleep 2
ranks=$(pgrep -P "$mpirun" | xargs)
start=$SECONDS
kill -9 "$leader"
gone=0
for _ in $(seq 200); do
  alive=0
  for pid in $mpirun $ranks; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [[ $alive -eq 0 ]] && { gone=1; break; }
  sleep 0.1
done
[[ $gone -eq 1 ]] && ok "kill -9 leader launcher: mpirun and its ranks ($ranks) gone in $((SECONDS-start)) s" \
  || fail "leader killed: mpirun $mpirun or ranks $ranks still alive after 20 s"
wait "$runner"; code=$?
[[ ! -e "$dir/algo-1/model/neighbors.npy" ]] || fail "leader killed: an orphan wrote the model"
for host in algo-2 algo-3; do
  grep -q "lost the connection to the leader algo-1" "$dir/$host/output/failure" 2>/dev/null \
    || fail "leader killed: $host's failure file: $(cat "$dir/$host/output/failure" 2>&1)"
done
ok "leader killed: workers ended in $((SECONDS-start)) s; algo-2 says: $(head -c 300 "$dir/algo-2/output/failure")"
finish
