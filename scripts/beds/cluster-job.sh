# Sourced by the two SageMaker test beds, which differ only in how they make
# the hosts (scripts/beds/local-sagemaker.sh: one process tree per host on this
# machine; scripts/beds/netns-cluster.sh: one network namespace with its own sshd
# per host). What a job on N hosts needs either way lives here: the options
# both take, the binary and the MPI environment, the hosts' ML roots with the
# job's matrix, hyperparameters and certificates, the image's entrypoint,
# waiting for the hosts, and what to show when they are done.
# The caller sets root (the checkout) first, then n (hosts) and work (the
# folder holding everything) before calling the functions.
source "$root/scripts/setup/ringsim-binary.sh"
[[ -x $ringsim ]] || "$root/scripts/setup/build.sh"
source "$root/scripts/setup/env.sh"

# The options both beds take, with their defaults.
sharded=0; transport=mpi; rows=503; cols=24; ppn=2; k=10; check=0; keep=""; extra=(); matrix=""
# job_option ARGS...: reads the shared option at the front of ARGS and sets
# job_option_words to the words it took; status 1 when it is not one of them.
#   --sharded    ShardedByS3Key: each host holds only its own, unequal shard
#                files (the second host none); else FullyReplicated.
#   --transport  mpi, tcp or tls (tls: the certificates travel in a channel).
#   --rows R, --cols D, --ppn P (ranks per host), --k K
#   --hp KEY=VALUE  one more hyperparameter (written JSON-encoded twice, as the SDK does).
#   --matrix NPY    the job's matrix instead of a generated one.
#   --check      compare the leader's model with numpy's normalize-then-matmul.
#   --keep DIR   build everything in DIR and leave it there.
job_option() {
  job_option_words=2
  case $1 in
    --sharded) sharded=1; job_option_words=1 ;;
    --check) check=1; job_option_words=1 ;;
    --transport) transport=$2 ;;
    --rows) rows=$2 ;;
    --cols) cols=$2 ;;
    --ppn) ppn=$2 ;;
    --k) k=$2 ;;
    --hp) extra+=("$2") ;;
    --matrix) matrix=$2 ;;
    --keep) keep=$2 ;;
    *) return 1 ;;
  esac
}

# make_job_roots [MAKE-ML-ROOTS ARGUMENTS]...: WORK/full.npy, WORK/algo-K (the
# ML root of each host, scripts/beds/make-ml-roots.py, given these arguments after
# the job's own hyperparameters and before --hp's, which win), the job's
# certificate channel with --transport tls, and WORK/train: the image's
# entrypoint running this build's binary instead of the image's.
make_job_roots() {
  if [[ -n $matrix ]]; then
    cp "$matrix" "$work/full.npy"
  else
    "$ringsim" gen --rows "$rows" --cols "$cols" --seed 11 --clusters 8 --out "$work/full.npy" >/dev/null
  fi
  local arguments=(k="$k" transport="$transport" processes_per_host="$ppn" wait_seconds=60 timeout=60 "$@"
                   sagemaker_program=train "${extra[@]}")
  ((sharded)) && arguments+=(--sharded)
  if [[ $transport == tls ]]; then
    "$ringsim" certs --out "$work/certs" --hosts "$(seq -s, -f 'algo-%g' 1 "$n")" >/dev/null
    arguments+=(--certs "$work/certs" tls_channel=certs)
  fi
  /usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$work" "$n" "${arguments[@]}"
  write_entrypoint
}

# write_entrypoint: WORK/train, the image's entrypoint running this build's
# binary instead of the image's.
write_entrypoint() {
  sed "s|/opt/ringsim/bin/ringsim|$ringsim|" "$root/scripts/train" >"$work/train"
  chmod +x "$work/train"
}

# wait_hosts: waits for every host the caller started (pids[K-1]; empty for a
# host never started), prints "algo-K exited with CODE after S s" (seconds
# since $started) and sets status: 0, or the first host's non-zero code.
wait_hosts() {
  status=0
  local i code
  for i in $(seq 1 "$n"); do
    [[ -n ${pids[$((i - 1))]} ]] || continue
    code=0
    wait "${pids[$((i - 1))]}" || code=$?
    echo "algo-$i exited with $code after $((SECONDS - started)) s"
    [[ $code -eq 0 || $status -ne 0 ]] || status=$code
  done
}

# finish_job STATUS: prints the leader's log and each host's output/failure,
# compares the model with numpy after a success with --check, and exits with
# STATUS (or the comparison's failure).
finish_job() {
  local i
  cat "$work/algo-1.log" 2>/dev/null || true
  for i in $(seq 1 "$n"); do
    if [[ -f "$work/algo-$i/output/failure" ]]; then echo "algo-$i output/failure: $(cat "$work/algo-$i/output/failure")"; fi
  done
  if [[ $1 -eq 0 && $check -eq 1 ]]; then
    /usr/bin/python3 "$root/tests/cli/numpy_reference.py" "$work/full.npy" "$work/algo-1/model" "$k"
  fi
  exit "$1"
}
