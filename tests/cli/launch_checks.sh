#!/usr/bin/env bash
# What `ringsim launch --dry-run` checks and says before any rank starts, as
# a SageMaker user meets it (the binary, one ML root per host from
# scripts/beds/make-ml-roots.py):
# - the certificates must name algo-1 ... algo-N: `ringsim certs --hosts
#   algo-1..3` makes them, a channel that lacks a host fails naming it;
# - Pipe input mode is refused naming the channel, File and FastFile run;
# - the job secret comes from a channel without a word, a job_secret
#   hyperparameter works with a warning that says why and what to use;
# - ranks per host default to physical cores (a fake sysfs, 2 threads per
#   core), GPUs are the devices the container sees (a fake /dev);
# - docs/security.md says what `ringsim certs` writes; the docs give the job
#   secret only as a channel file.
source "$(dirname "$0")/lib.sh"
"$ringsim" gen --rows 40 --cols 4 --out "$work/full.npy" >/dev/null

# ringsim certs --hosts algo-1..3: exactly the channel of three hosts.
"$ringsim" certs --out "$work/certs" --hosts algo-1..3 >/dev/null || fail "ringsim certs --hosts algo-1..3"
made=$(ls "$work/certs" | tr '\n' ' ')
if [[ $made == "algo-1.key algo-1.pem algo-2.key algo-2.pem algo-3.key algo-3.pem ca.pem " ]]; then
  ok "certs --hosts algo-1..3 wrote $made"
else
  fail "certs --hosts algo-1..3 wrote '$made'"
fi
# The docs say what it writes: no ca.key without --ca-key.
if grep -q 'writes `ca.pem`, `ca.key`' "$root/docs/security.md"; then
  fail "docs/security.md says ringsim certs writes ca.key, which it does not"
else
  ok "docs/security.md does not claim a ca.key"
fi

# Every mention of job_secret in the docs is the channel way or the
# deprecated hyperparameter's warning, never advice to put it in hyperparameters.
stray=$(grep -n "job_secret" "$root/README.md" "$root"/docs/*.md |
  grep -v -e "job_secret_channel" -e 'file `job_secret`' -e "file named job_secret" -e "/job_secret" \
    -e "> job_secret" -e "deprecat" -e "warning")
if [[ -z $stray ]]; then
  ok "the docs give the job secret only as a channel file (or say the hyperparameter is deprecated)"
else
  fail "the docs mention job_secret otherwise: $stray"
fi

roots() {  # DIR HOSTS ARGS...: fresh ML roots
  local dir=$1 hosts=$2
  shift 2
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$work/full.npy" "$dir/"
  /usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$dir" "$hosts" "$@" >/dev/null
}
dry_run() {  # ROOT [ENV=VALUE...]: the dry run's stdout and stderr in $work/dry.out, .err; its status
  local ml=$1
  shift
  env "$@" "$ringsim" launch --dry-run --ml-root "$ml" >"$work/dry.out" 2>"$work/dry.err"
}

# Certificates for two hosts, a job of three.
"$ringsim" certs --out "$work/certs2" --hosts algo-1..2 >/dev/null
roots "$work/c" 3 --certs "$work/certs2" transport=tls tls_channel=certs
if ! dry_run "$work/c/algo-2" && [[ $(grep -c "error" "$work/dry.err") -eq 1 ]] &&
  grep -q "algo-3: no algo-3.pem, no algo-3.key" "$work/dry.err" && grep -q "hosts algo-1..3" "$work/dry.err"; then
  ok "a certificate channel without algo-3 fails the dry run: $(head -c 300 "$work/dry.err")"
else
  fail "a certificate channel without algo-3"; cat "$work/dry.err"
fi
roots "$work/c" 3 --certs "$work/certs" transport=tls tls_channel=certs
if dry_run "$work/c/algo-1" && grep -q "a valid certificate and key for each of algo-1, algo-2, algo-3" "$work/dry.out"; then
  ok "the certificates of algo-1..3 pass the dry run"
else
  fail "the certificates of algo-1..3"; cat "$work/dry.out" "$work/dry.err"
fi

# Input modes.
input_mode() {  # ROOT MODE: the train channel's TrainingInputMode
  /usr/bin/python3 -c 'import json, sys; p = sys.argv[1] + "/input/config/inputdataconfig.json"; c = json.load(open(p))
c["train"]["TrainingInputMode"] = sys.argv[2]; json.dump(c, open(p, "w"))' "$1" "$2"
}
roots "$work/m" 2 k=3
input_mode "$work/m/algo-1" Pipe
if ! dry_run "$work/m/algo-1" && grep -q "channel 'train' has TrainingInputMode Pipe" "$work/dry.err" &&
  grep -q "'File' or 'FastFile'" "$work/dry.err"; then
  ok "Pipe mode refused: $(grep -m1 error "$work/dry.err")"
else
  fail "Pipe mode"; cat "$work/dry.err"
fi
for mode in File FastFile; do
  input_mode "$work/m/algo-1" "$mode"
  if dry_run "$work/m/algo-1"; then ok "$mode mode accepted"; else fail "$mode mode"; cat "$work/dry.err"; fi
done

# The job secret: a channel file (make-ml-roots' default) says nothing; the
# hyperparameter works and warns.
roots "$work/s" 2 k=3
if dry_run "$work/s/algo-1" && ! grep -q "job_secret" "$work/dry.err" &&
  grep -q '"job_secret_channel"' "$work/s/algo-1/input/config/hyperparameters.json"; then
  ok "a secret channel: no warning"
else
  fail "a secret channel"; cat "$work/dry.err"
fi
roots "$work/s" 2 k=3 job_secret=0123456789abcdef0123456789abcdef
if dry_run "$work/s/algo-1" && grep -q "warning: hyperparameter job_secret is deprecated" "$work/dry.err" &&
  grep -q "DescribeTrainingJob" "$work/dry.err" && grep -q "job_secret_channel=secret" "$work/dry.err"; then
  ok "a job_secret hyperparameter: accepted with $(grep -c warning "$work/dry.err") warning"
else
  fail "a job_secret hyperparameter"; cat "$work/dry.err"
fi

# Ranks per host: a fake sysfs of 3 cores with 2 threads each (SM_NUM_CPUS
# says 6, as on SageMaker); then no sysfs: SM_NUM_CPUS.
sys=$work/sys
mkdir -p "$sys/devices/system/cpu"
echo 0-5 >"$sys/devices/system/cpu/online"
for cpu in 0 1 2 3 4 5; do
  mkdir -p "$sys/devices/system/cpu/cpu$cpu/topology"
  echo "$((cpu % 3)),$((cpu % 3 + 3))" >"$sys/devices/system/cpu/cpu$cpu/topology/thread_siblings_list"
done
roots "$work/r" 2 k=3
if dry_run "$work/r/algo-1" SM_NUM_CPUS=6 RINGSIM_SYSFS_ROOT="$sys" && grep -q -- "-np 6 " "$work/dry.out" &&
  grep -q "ranks per host: 3 (one per physical core the container may use: 3 physical cores: 6 CPUs online" "$work/dry.out"; then
  ok "ranks per host on 3 cores of 2 threads: $(grep 'ranks per host' "$work/dry.out")"
else
  fail "ranks per host from a fake sysfs"; cat "$work/dry.out" "$work/dry.err"
fi
if dry_run "$work/r/algo-1" SM_NUM_CPUS=6 RINGSIM_SYSFS_ROOT="$work/none" && grep -q -- "-np 12 " "$work/dry.out" &&
  grep -q "ranks per host: 6 (one per vCPU: SM_NUM_CPUS=6" "$work/dry.out"; then
  ok "no sysfs: SM_NUM_CPUS ($(grep 'ranks per host' "$work/dry.out"))"
else
  fail "ranks per host without sysfs"; cat "$work/dry.out" "$work/dry.err"
fi

# GPUs: the container's device nodes, without SM_NUM_GPUS.
mkdir -p "$work/dev"
touch "$work/dev/nvidia0" "$work/dev/nvidia1" "$work/dev/nvidiactl" "$work/dev/nvidia-uvm"
if dry_run "$work/r/algo-1" RINGSIM_DEV_ROOT="$work/dev" && grep -q "GPUs: 2 ($work/dev/nvidia0 $work/dev/nvidia1)" "$work/dry.out"; then
  ok "GPUs from the device nodes: $(grep GPUs "$work/dry.out")"
else
  fail "GPUs from the device nodes"; cat "$work/dry.out"
fi
finish
