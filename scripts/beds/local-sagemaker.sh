#!/usr/bin/env bash
# Runs the whole SageMaker launch flow on this machine: N host trees (config
# + data channel) in a temporary folder, one `train train --local` (the
# image's entrypoint, scripts/train) per host, as SageMaker starts one
# container per instance; the leader runs mpirun, the workers wait for its
# outcome. No sshd: the ranks
# are started locally instead of over ssh, everything else is the same path.
#
# Usage: scripts/beds/local-sagemaker.sh N [--sharded] [--transport mpi|tcp|tls]
#          [--rows R] [--cols D] [--ppn P] [--k K] [--hp KEY=VALUE]... [--matrix NPY] [--check] [--keep DIR]
#   (the options of scripts/beds/cluster-job.sh, shared with scripts/beds/netns-cluster.sh)
# LOCAL_SAGEMAKER_NAN_ROW=r puts a NaN into row r (to test failure handling).
# Exit code: the first non-zero host's, else 0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/beds/cluster-job.sh"
n=${1:?usage: local-sagemaker.sh N [options]}; shift
while (($#)); do
  job_option "$@" || { echo "unknown option $1" >&2; exit 2; }
  shift "$job_option_words"
done
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT
# Every host is this machine, so each listens on its own control port: N
# consecutive free ports (scripts/beds/free-ports.py).
RINGSIM_NAN_ROW=${LOCAL_SAGEMAKER_NAN_ROW:-} make_job_roots control_port="$("$root/scripts/beds/free-ports.py" "$n")"

# Each host starts through the image's entrypoint, `train train`.
pids=()
started=$SECONDS
for i in $(seq 1 "$n"); do
  RINGSIM_ML_ROOT="$work/algo-$i" "$work/train" train --local >"$work/algo-$i.log" 2>&1 &
  pids+=($!)
done
wait_hosts
finish_job "$status"
