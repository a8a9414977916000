#!/usr/bin/env bash
# The image's entrypoint as SageMaker starts it: `docker run IMAGE train`
# runs scripts/train with the argument "train" (here with this build's binary
# in place of /opt/ringsim/bin/ringsim, and RINGSIM_ML_ROOT for /opt/ml).
#  - one host, `train train` and `train` with no argument: exit 0 within 60 s,
#    a result equal to numpy, and no sshd started (RINGSIM_SSHD would leave a
#    mark), although the host's name in resourceconfig.json (algo-1)
#    resolves nowhere and, where a UTS namespace can be made, the machine
#    says "aws" as SageMaker's containers do;
#  - several hosts (local mode), through the same entrypoint;
#  - a worker whose sshd cannot start fails at once, saying so.
source "$(dirname "$0")/lib.sh"
sed "s|/opt/ringsim/bin/ringsim|$ringsim|" "$root/scripts/train" >"$work/train"
chmod +x "$work/train"
"$ringsim" gen --rows 301 --cols 16 --seed 5 --out "$work/X.npy" >/dev/null

secret=$(/usr/bin/python3 -c 'import secrets; print(secrets.token_hex(32))')  # the job secret
# An ML root for one host.
make_root() {  # DIR HOST HOSTS_JSON
  mkdir -p "$1/input/config" "$1/input/data/train"
  cp "$work/X.npy" "$1/input/data/train/"
  printf '{"current_host":"%s","hosts":%s,"network_interface_name":"lo"}' "$2" "$3" >"$1/input/config/resourceconfig.json"
  printf '{"k":"\\"5\\"","processes_per_host":"\\"2\\"","timeout":"\\"30\\"","wait_seconds":"\\"5\\"","job_secret":"\\"%s\\""}' \
    "$secret" >"$1/input/config/hyperparameters.json"
  printf '{"train":{"ContentType":"application/x-npy","S3DistributionType":"FullyReplicated"}}' \
    >"$1/input/config/inputdataconfig.json"
}
# SageMaker's name for the host, which need not resolve (and does not here).
host=algo-1
getent hosts "$host" >/dev/null && echo "note: $host resolves on this machine; the test still runs"
# The machine's own name, as in a SageMaker container, where unshare allows.
as_aws=()
machine="this machine's own name"
if unshare --uts true 2>/dev/null; then
  as_aws=(unshare --uts sh -c 'hostname aws && exec "$0" "$@"')
  machine="a machine named aws"
else
  echo "note: no UTS namespace here; the one-host job runs under this machine's own host name"
fi
# A stand-in for sshd that records that it was started.
printf '#!/bin/sh\ntouch %s/sshd-started\nexit 1\n' "$work" >"$work/fake-sshd"
chmod +x "$work/fake-sshd"

for args in "train" ""; do
  dir="$work/one-${args:-noarg}"
  make_root "$dir" "$host" "[\"$host\"]"
  start=$SECONDS
  RINGSIM_ML_ROOT=$dir RINGSIM_SSHD="$work/fake-sshd" timeout 60 "${as_aws[@]}" "$work/train" $args >"$dir.log" 2>&1
  code=$?
  label="train ${args:-(no argument)}, one host $host on $machine"
  if [[ $code -ne 0 ]]; then
    fail "$label: exit code $code"; cat "$dir.log"; [[ -f $dir/output/failure ]] && cat "$dir/output/failure"
    continue
  fi
  [[ ! -e "$work/sshd-started" ]] || fail "$label: sshd was started for a one-host job"
  [[ ! -e "$dir/output/failure" ]] || fail "$label: failure file on success"
  check=$(/usr/bin/python3 "$root/tests/cli/numpy_reference.py" "$work/X.npy" "$dir/model" 5 2>&1) \
    && ok "$label: exit 0 in $((SECONDS-start)) s, no sshd, $check" || fail "$label: $check"
done

# Several hosts: scripts/beds/local-sagemaker.sh starts each through the entrypoint.
if timeout 120 "$root/scripts/beds/local-sagemaker.sh" 2 --sharded --check >"$work/local.log" 2>&1; then
  ok "train train --local, 2 hosts sharded: $(grep '^ok:' "$work/local.log")"
else
  fail "2 hosts through the entrypoint"; cat "$work/local.log"
fi

# A worker (not local) whose sshd fails: a clear message at once, not a wait.
dir="$work/worker"
make_root "$dir" algo-2 '["algo-1","algo-2"]'
printf '{"control_port":"\\"%s\\"","wait_seconds":"\\"30\\"","job_secret":"\\"%s\\""}' "$(free_port)" "$secret" \
  >"$dir/input/config/hyperparameters.json"
start=$SECONDS
RINGSIM_ML_ROOT=$dir RINGSIM_SSHD="$work/fake-sshd" timeout 60 "$work/train" train >"$dir.log" 2>&1
code=$?
if [[ $code -ne 0 && $code -ne 124 ]] && grep -q "fake-sshd failed to start (exit code 1)" "$dir/output/failure" 2>/dev/null; then
  ok "worker without a working sshd: exit $code in $((SECONDS-start)) s: $(cat "$dir/output/failure")"
else
  fail "worker with a failing sshd: exit $code, failure file: $(cat "$dir/output/failure" 2>&1)"; cat "$dir.log"
fi
finish
