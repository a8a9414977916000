#!/usr/bin/env bash
# Runs the whole SageMaker launch flow on this machine: N host trees (config
# + data channel) in a temporary folder, one `train train --local` (the
# image's entrypoint, scripts/train) per host, as SageMaker starts one
# container per instance; the leader runs mpirun, the workers wait for its
# outcome. No sshd: the ranks
# are started locally instead of over ssh, everything else is the same path.
#
# Usage: scripts/local-sagemaker.sh N [--sharded] [--transport mpi|tcp|tls]
#          [--rows R] [--cols D] [--ppn P] [--k K] [--hp KEY=VALUE]... [--check] [--keep DIR]
#   --sharded  ShardedByS3Key: each host holds only its own, unequal shard
#              files (the second host none); else FullyReplicated.
#   --check    compare the result with numpy's normalize-then-matmul.
#   --hp       an extra hyperparameter (written JSON-encoded twice, as the SDK does).
# LOCAL_SAGEMAKER_NAN_ROW=r puts a NaN into row r (to test failure handling).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:?usage: local-sagemaker.sh N [options]}; shift
sharded=0; transport=mpi; rows=503; cols=24; ppn=2; k=10; check=0; keep=""; extra=()
while (($#)); do
  case $1 in
    --sharded) sharded=1 ;;
    --transport) transport=$2; shift ;;
    --rows) rows=$2; shift ;;
    --cols) cols=$2; shift ;;
    --ppn) ppn=$2; shift ;;
    --k) k=$2; shift ;;
    --hp) extra+=("$2"); shift ;;
    --check) check=1 ;;
    --keep) keep=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$root/scripts/ringsim-binary.sh"
[[ -x $ringsim ]] || "$root/scripts/build.sh"
source "$root/scripts/env.sh"
work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT
"$ringsim" gen --rows "$rows" --cols "$cols" --seed 11 --clusters 8 --out "$work/full.npy"
# Control ports: N consecutive free ports (scripts/free-ports.py).
base_port=$("$root/scripts/free-ports.py" "$n")

hp=(k="$k" transport="$transport" processes_per_host="$ppn" wait_seconds=60 timeout=60 control_port="$base_port"
    sagemaker_program=train "${extra[@]}")
((sharded)) && shard_option=--sharded || shard_option=""
# tls: the job's certificates travel in a second channel, as on SageMaker.
certs=()
if [[ $transport == tls ]]; then
  "$ringsim" certs --out "$work/certs" --hosts "$(seq -s, -f 'algo-%g' 1 "$n")" >/dev/null
  certs=(--certs "$work/certs")
  hp+=(tls_channel=certs)
fi
RINGSIM_NAN_ROW=${LOCAL_SAGEMAKER_NAN_ROW:-} /usr/bin/python3 "$root/scripts/make-ml-roots.py" "$work" "$n" $shard_option "${certs[@]}" "${hp[@]}"

# Each host starts through the image's entrypoint, `train train`, with the
# binary path of this build in place of the image's.
sed "s|/opt/ringsim/bin/ringsim|$ringsim|" "$root/scripts/train" >"$work/train"
chmod +x "$work/train"
pids=()
for i in $(seq 1 "$n"); do
  RINGSIM_ML_ROOT="$work/algo-$i" "$work/train" train --local >"$work/algo-$i.log" 2>&1 &
  pids+=($!)
done
status=0
for i in $(seq 1 "$n"); do
  code=0; wait "${pids[$((i-1))]}" || code=$?
  echo "algo-$i exited with $code"
  [[ $code -eq 0 ]] || status=$code
done
cat "$work/algo-1.log"
for i in $(seq 1 "$n"); do
  [[ -f "$work/algo-$i/output/failure" ]] && echo "algo-$i output/failure: $(cat "$work/algo-$i/output/failure")"
done
if [[ $status -eq 0 && $check -eq 1 ]]; then
  /usr/bin/python3 "$root/tests/cli/numpy_reference.py" "$work/full.npy" "$work/algo-1/model" "$k"
fi
exit $status
