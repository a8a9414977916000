#!/usr/bin/env bash
# StopTrainingJob (SIGTERM) while the launcher waits, before any rank runs.
# In a container the launcher is PID 1, which ignores signals it has no
# handler for; here each launcher runs as PID 1 of a new PID namespace
# (unshare) where this machine allows it, so an unhandled SIGTERM is ignored
# as it would be there. Each must exit 143 within 5 s with a failure file
# that says what it was waiting for:
#  - a worker waiting for its leader (which never comes);
#  - a leader waiting for a worker's control port (which never opens);
#  - a leader waiting for a worker's sshd (port 22, after the job's ssh key
#    exchange): its job key folder must be gone, and the worker, told by the
#    leader, must fail too.
source "$(dirname "$0")/lib.sh"
bound=5

pid1=()
if unshare --pid --fork --kill-child true 2>/dev/null; then
  pid1=(unshare --pid --fork --kill-child)
  echo "launchers run as PID 1 of their own PID namespace"
else
  echo "note: no PID namespace here (unshare failed): launchers run as ordinary processes"
fi

make_root() {  # DIR HOST HOSTS_JSON HYPERPARAMETERS_JSON
  mkdir -p "$1/input/config" "$1/input/data/train"
  "$ringsim" gen --rows 50 --cols 8 --seed 3 --out "$1/input/data/train/X.npy" >/dev/null
  printf '{"current_host":"%s","hosts":%s,"network_interface_name":"lo"}' "$2" "$3" >"$1/input/config/resourceconfig.json"
  printf '%s' "$4" >"$1/input/config/hyperparameters.json"
  printf '{"train":{"ContentType":"application/x-npy","S3DistributionType":"FullyReplicated"}}' \
    >"$1/input/config/inputdataconfig.json"
}
port=$(free_port 2)

# Starts `ringsim launch` on ML root DIR in the background (as PID 1 where
# possible); sets $runner (what we wait for) and $launcher (whom we signal).
start() {  # DIR LOG ARGS...
  local dir=$1 log=$2
  shift 2
  "${pid1[@]}" "$ringsim" launch --ml-root "$dir" "$@" >"$log" 2>&1 &
  runner=$!
  launcher=$runner
  if ((${#pid1[@]})); then
    for _ in $(seq 50); do
      launcher=$(pgrep -P "$runner" | head -1)
      [[ -n $launcher ]] && break
      sleep 0.1
    done
  fi
}
# SIGTERM to $launcher; sets code and took (seconds, 0.1 s steps, 99 when it
# did not end within 15 s: then it is killed).
stop() {
  local start_ns
  start_ns=$(date +%s%N)
  kill -TERM "$launcher"
  for _ in $(seq 150); do
    kill -0 "$runner" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$runner" 2>/dev/null; then
    kill -9 "$launcher" "$runner" 2>/dev/null
    wait "$runner"
    code=-1
    took=99
    return
  fi
  wait "$runner"
  code=$?
  took=$(awk -v a="$start_ns" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
}
check() {  # LABEL DIR EXPECTED_TEXT
  local failure
  failure=$(cat "$2/output/failure" 2>/dev/null)
  if [[ $code -eq 143 ]] && awk -v t="$took" -v b="$bound" 'BEGIN { exit !(t <= b) }' && [[ $failure == *"$3"* ]]; then
    ok "$1: exit $code $took s after SIGTERM: $failure"
  elif [[ $took == 99 ]]; then
    fail "$1: still running 15 s after SIGTERM (want exit 143 within $bound s), failure file: '${failure:-none}'"
  else
    fail "$1: exit $code $took s after SIGTERM (want 143 within $bound s), failure file: '${failure:-none}' (want '$3')"
    cat "$work/$(basename "$2").log"
  fi
}

# 1. A worker waiting for its leader (local mode: no sshd).
hp='{"wait_seconds":"600","control_port":"'$port'","job_secret":"'$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))')'"}'
make_root "$work/w/algo-2" algo-2 '["algo-1","algo-2"]' "$hp"
start "$work/w/algo-2" "$work/algo-2.log" --local
sleep 1.5
stop
check "worker waiting for its leader" "$work/w/algo-2" "stopped by signal 15 (SIGTERM) (StopTrainingJob) while this worker waited for the leader algo-1"

# 2. A leader waiting for a worker's control port (local mode).
make_root "$work/l/algo-1" algo-1 '["algo-1","algo-2"]' "$hp"
start "$work/l/algo-1" "$work/algo-1.log" --local
sleep 1.5
stop
check "leader waiting for its worker" "$work/l/algo-1" "while the leader waited for the workers (algo-2) to open their control ports"

# 3. A leader (not local: it makes the job's ssh key) waiting for the
# worker's sshd. Hosts 127.0.0.1 and 127.0.0.2 (numeric: no name lookup);
# the worker's sshd is a stand-in that listens nowhere, so the leader's probe
# of 127.0.0.2:22 is refused and it keeps waiting.
if grep -qE '(^|[^0-9])(0\.0\.0\.0|\*|127\.0\.0\.2|\[::\]):22$' <<<"$(ss -ltn | awk '{print $4}')"; then
  echo "note: something listens on port 22 here; the sshd wait case is left out"
else
  hosts='["127.0.0.1","127.0.0.2"]'
  make_root "$work/k/leader" 127.0.0.1 "$hosts" "$hp"
  make_root "$work/k/worker" 127.0.0.2 "$hosts" "$hp"
  printf '#!/bin/sh\nexec sleep 600\n' >"$work/fake-sshd"
  chmod +x "$work/fake-sshd"
  mkdir -p "$work/tmp-leader"
  RINGSIM_SSHD="$work/fake-sshd" RINGSIM_AUTHORIZED_KEYS="$work/authorized_keys" \
    "$ringsim" launch --ml-root "$work/k/worker" >"$work/worker.log" 2>&1 &
  worker=$!
  TMPDIR="$work/tmp-leader" start "$work/k/leader" "$work/leader.log"
  for _ in $(seq 100); do
    grep -q . "$work/authorized_keys" 2>/dev/null && break
    sleep 0.1
  done
  sleep 0.5
  key_dirs=$(find "$work/tmp-leader" -name id_ed25519 | wc -l)
  [[ $key_dirs -eq 1 ]] || fail "sshd wait: the leader's job key was not there before the signal ($key_dirs)"
  # In a folder of the launcher's own (mkdtemp): private, its name not guessable.
  key_dir=$(dirname "$(find "$work/tmp-leader" -name id_ed25519 | head -1)")
  [[ $(stat -c %a "$key_dir") == 700 && $(basename "$key_dir") =~ ^ringsim-127\.0\.0\.1-[A-Za-z0-9]{6}$ ]] \
    || fail "sshd wait: the job key's folder is $key_dir, mode $(stat -c %a "$key_dir") (want ringsim-HOST-XXXXXX, 700)"
  grep -q "ssh-ed25519" "$work/authorized_keys" 2>/dev/null || fail "sshd wait: the worker got no job key"
  stop
  check "leader waiting for a worker's sshd" "$work/k/leader" "while the leader waited for sshd on 127.0.0.2"
  left=$(find "$work/tmp-leader" -mindepth 1)
  [[ -z $left ]] && ok "the leader removed its private folder (job key, hostfile)" || fail "sshd wait: left behind: $left"
  for _ in $(seq 50); do kill -0 "$worker" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$worker" 2>/dev/null; then
    kill "$worker"
    fail "sshd wait: the worker still waited 5 s after its leader stopped"
  else
    wait "$worker"
    worker_code=$?
    failure=$(cat "$work/k/worker/output/failure" 2>/dev/null)
    [[ $worker_code -ne 0 && $failure == *"leader 127.0.0.1 reports"*"stopped by signal 15"* ]] \
      && ok "its worker: exit $worker_code: $failure" \
      || fail "sshd wait: worker exit $worker_code, failure file '$failure'"
  fi
fi
finish
