#!/usr/bin/env bash
# Credential faults on the control channel (the job's certificates in a
# tls_channel, or a job secret), on three local hosts (`ringsim launch --local`, no sshd),
# wait_seconds 600 so that only the fault can end the job: in each case every
# host exits non-zero within 60 s of the start, and every host's failure file
# names the host whose certificate is foreign (another job's CA), for
# another host, or missing, or whose job secret is another job's or missing,
# whether that host is a worker or the leader.
# A refused handshake is logged once per host and reason, not per attempt.
source "$(dirname "$0")/lib.sh"
bound=60

"$ringsim" gen --rows 60 --cols 8 --seed 2 --out "$work/full.npy" >/dev/null
"$ringsim" certs --out "$work/certs" --hosts algo-1,algo-2,algo-3 >/dev/null
"$ringsim" certs --out "$work/other" --hosts algo-1,algo-2,algo-3 >/dev/null  # another job's CA

# One case: fresh ML roots, FAULT applied to them, the three launchers
# started together; checks the exits, the time and the failure files.
run_case() {  # LABEL BAD_HOST EXPECTED_TEXT FAULT...
  local label=$1 bad=$2 expect=$3 dir
  shift 3
  dir=$work/$(tr ' ' '-' <<<"$label")
  mkdir -p "$dir"
  cp "$work/full.npy" "$dir/"
  port=$(free_port 3)
  /usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$dir" 3 "${credentials[@]}" \
    processes_per_host=1 wait_seconds=600 control_port=$port >/dev/null
  "$@" "$dir"
  local start=$SECONDS pids=()
  for host in algo-1 algo-2 algo-3; do
    timeout 120 "$ringsim" launch --local --ml-root "$dir/$host" >"$dir/$host.log" 2>&1 &
    pids+=($!)
  done
  local codes=() took
  for pid in "${pids[@]}"; do
    wait "$pid"
    codes+=($?)
  done
  took=$((SECONDS - start))
  local why=""
  ((took <= bound)) || why+="the job took $took s (bound $bound s); "
  for i in 0 1 2; do
    local host=algo-$((i + 1)) failure
    failure=$(cat "$dir/$host/output/failure" 2>/dev/null)
    [[ ${codes[i]} -ne 0 && ${codes[i]} -ne 124 ]] || why+="$host exit code ${codes[i]}; "
    [[ $failure == *"$bad"*"$expect"* || $failure == *"$expect"*"$bad"* ]] \
      || why+="$host's failure file does not name $bad with '$expect': '${failure:-none}'; "
    local refused
    refused=$(grep -c "refused" "$dir/$host.log")
    ((refused <= 3)) || why+="$host logged $refused refusal lines (once per host expected); "
  done
  if [[ -z $why ]]; then
    ok "$label: all exit non-zero (${codes[*]}) in $took s; algo-1: $(head -c 250 "$dir/algo-1/output/failure")"
    echo "     algo-2: $(head -c 250 "$dir/algo-2/output/failure")"
  else
    fail "$label: $why"
    for host in algo-1 algo-2 algo-3; do echo "---- $host"; tail -5 "$dir/$host.log"; done
  fi
}
foreign() {  # HOST DIR: HOST's whole certificate channel from another job
  local host=$1 dir=$2
  cp "$work/other/"* "$dir/$host/input/data/certs/"
}
worker_foreign() { foreign algo-2 "$1"; }
leader_foreign() { foreign algo-1 "$1"; }
worker_other_host() {  # algo-2 holds algo-3's certificate and key under its own name
  cp "$1/algo-2/input/data/certs/algo-3.pem" "$1/algo-2/input/data/certs/algo-2.pem"
  cp "$1/algo-2/input/data/certs/algo-3.key" "$1/algo-2/input/data/certs/algo-2.key"
}
worker_missing() { rm "$1/algo-2/input/data/certs/algo-2.pem"; }
leader_missing() { rm "$1/algo-1/input/data/certs/algo-1.key"; }

credentials=(--certs "$work/certs" transport=tls tls_channel=certs)
run_case "worker foreign certificate" algo-2 "not signed by the job CA" worker_foreign
run_case "leader foreign certificate" algo-1 "is from another job" leader_foreign
run_case "worker certificate for another host" algo-2 "certificate is for host algo-3" worker_other_host
run_case "worker certificate missing" algo-2 "cannot be read" worker_missing
run_case "leader key missing" algo-1 "cannot be read" leader_missing

# The same faults with a job secret instead of certificates: the file
# job_secret in the channel job_secret_channel names.
secret=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))')
secret_files() {  # DIR [HOST...]: the secret as the channel's file on every host but HOST...
  local dir=$1 host
  shift
  for host in algo-1 algo-2 algo-3; do
    [[ " $* " == *" $host "* ]] && continue
    mkdir -p "$dir/$host/input/data/secret"
    echo "$secret" >"$dir/$host/input/data/secret/job_secret"
  done
}
other_secret() {  # HOST DIR: HOST holds another job's secret
  secret_files "$2"
  /usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))' >"$2/$1/input/data/secret/job_secret"
}
worker_other_secret() { other_secret algo-2 "$1"; }
leader_other_secret() { other_secret algo-1 "$1"; }
worker_secret_missing() { secret_files "$1" algo-2; }
credentials=(job_secret_channel=secret)
run_case "worker job secret from another job" algo-2 "job secret" worker_other_secret
run_case "leader job secret from another job" algo-1 "job secret" leader_other_secret
run_case "worker job secret file missing" algo-2 "cannot be read" worker_secret_missing
finish
