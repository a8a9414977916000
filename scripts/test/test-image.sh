#!/usr/bin/env bash
# Builds the SageMaker image (Dockerfile) and runs it as SageMaker does:
# `IMAGE train` with the exec-form ENTRYPOINT as PID 1, an ML root mounted at
# /opt/ml, one container per instance, each with its own /dev/shm, every
# container's host name `aws` (what gethostname() says on SageMaker; the
# names algo-K resolve through /etc/hosts).
#
# Usage: scripts/test/test-image.sh [--hostnames aws|algo|random] [--only RUN,...] [--keep]
#   --hostnames  aws (default): every container is `aws`, as on SageMaker;
#                algo: container K is algo-K; random: a 12-hex-digit name
#                each, like SDK local mode's container ids.
#   --only       run only these runs (names as printed: one-host, no-argument,
#                two-hosts, sigterm-mid-job, spot-rerun, sigterm-worker-waits,
#                sigterm-leader-waits, cert-fault); the image is built either way.
#   --keep       keep the scratch folder (ML roots, logs) and print its path.
#
# Without a Docker daemon it uses podman (scripts/setup/deps.sh --image installs
# podman, buildah, mmdebstrap and runc): the Dockerfile's FROM image is made
# with `mmdebstrap --variant=minbase bookworm` and imported under its name
# when missing (no registry needed), containers run under runc with explicit
# ulimits. Where a daemon answers `docker info`, it uses docker.
# Prints the image size, the build time, each run's exit code and time, and
# `N passed, N failed` last. Exit status: 0 all passed, 1 a failure, 77 no
# container engine can work here (the reason is printed).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
hostnames=aws
only=""
keep=""
while (($#)); do
  case $1 in
    --hostnames) hostnames=${2-}; shift 2 || true ;;
    --only) only=${2-}; shift 2 || true ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "test-image: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $hostnames in aws | algo | random) ;; *) echo "test-image: --hostnames takes aws, algo or random, not '$hostnames'" >&2; exit 2 ;; esac

skip() {
  echo "test-image: skipped: $*"
  exit 77
}

# --- the container engine -------------------------------------------------
if command -v docker >/dev/null && timeout 10 docker info >/dev/null 2>&1; then
  engine=(docker)
  build_flags=(--network host)
else
  if ! command -v podman >/dev/null || ! command -v mmdebstrap >/dev/null || ! command -v runc >/dev/null; then
    if [[ $(id -u) -eq 0 ]] || command -v sudo >/dev/null; then
      "$root/scripts/setup/deps.sh" --image >&2 || skip "no Docker daemon answers and installing podman failed"
    else
      skip "no Docker daemon answers and podman is not installed (scripts/setup/deps.sh --image, as root)"
    fi
  fi
  # crun, podman's default runtime on Debian, fails on some cgroup set-ups; runc works.
  engine=(podman --runtime runc)
  why=$("${engine[@]}" info 2>&1 >/dev/null) || skip "podman cannot work here: $(tail -1 <<<"$why")"
  build_flags=(--network host --pull=never)
fi
# Without CAP_SYS_RESOURCE the runtime cannot raise limits above ours, and
# runc refuses nproc above 32768 here: ask for what we have.
hard_files=$(ulimit -Hn)
hard_procs=$(ulimit -Hu)
[[ $hard_files == unlimited || $hard_files -gt 65536 ]] && hard_files=65536
[[ $hard_procs == unlimited || $hard_procs -gt 32768 ]] && hard_procs=32768
limits=(--ulimit "nofile=$hard_files:$hard_files" --ulimit "nproc=$hard_procs:$hard_procs")
build_flags+=("${limits[@]}")
# This machine's ccache at the build stage's /ccache (Dockerfile): the objects
# scripts/test.sh compiled serve the image's build (podman only; docker build
# mounts nothing, and the image then compiles everything, as a user's does).
if [[ ${engine[0]} == podman ]] && command -v ccache >/dev/null; then
  ccache_dir=$(ccache -k cache_dir)
  mkdir -p "$ccache_dir"
  build_flags+=(-v "$ccache_dir:/ccache")
fi

work=$(mktemp -d /tmp/ringsim-image.XXXXXX)
chmod 755 "$work"
tag=$(printf %s "$root" | md5sum | cut -c1-8)
image=localhost/ringsim-test:$tag  # one per checkout: sessions sharing the machine do not overwrite each other
containers=()
network=""
cleanup() {
  for c in "${containers[@]}"; do "${engine[@]}" rm -f "$c" >/dev/null 2>&1; done
  [[ -z $network ]] || "${engine[@]}" network rm -f "$network" >/dev/null 2>&1
  if [[ -n $keep ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source "$root/scripts/test/checks.sh"  # ok, fail, finish
wanted() { [[ -z $only || ",$only," == *",$1,"* ]]; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- the base image and the build ------------------------------------------
base=$(sed -n 's/^FROM \([^ ]*\).*/\1/p' "$root/Dockerfile" | head -1)
if [[ ${engine[0]} == podman ]] && ! "${engine[@]}" image exists "$base"; then
  echo "test-image: making the base image $base with mmdebstrap (no registry here)"
  start=$(now)
  # The suites debian:12-slim has, so the build stage gets the same package
  # versions (compiler, headers) as this machine, and ccache's objects match.
  mirror=http://deb.debian.org
  mmdebstrap --variant=minbase bookworm "$work/base.tar" "deb $mirror/debian bookworm main" \
    "deb $mirror/debian bookworm-updates main" "deb $mirror/debian-security bookworm-security main" >"$work/mmdebstrap.log" 2>&1 \
    || { tail -20 "$work/mmdebstrap.log"; fail "base image: mmdebstrap failed"; finish; exit; }
  "${engine[@]}" import "$work/base.tar" "docker.io/library/$base" >/dev/null || { fail "base image: import failed"; finish; exit; }
  rm -f "$work/base.tar"
  echo "     base image $base made in $(since "$start") s"
fi
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]] || commit+=-dirty
start=$(now)
if ! "${engine[@]}" build "${build_flags[@]}" --build-arg "RINGSIM_COMMIT=$commit" -t "$image" "$root" \
  >"$work/build.log" 2>&1; then
  tail -30 "$work/build.log"
  fail "image build (log above; Dockerfile)"
  finish
  exit
fi
build_seconds=$(since "$start")
size=$("${engine[@]}" image inspect --format '{{.Size}}' "$image")
echo "     image $image: $((size / 1000000)) MB, built in $build_seconds s (commit $commit; layers cached from earlier builds count as built)"

# What the image holds: the commit in the version, every library the binary
# links, no password logins for sshd.
in_image() { "${engine[@]}" run --rm "${limits[@]}" --entrypoint "$1" "$image" "${@:2}" 2>&1; }
version=$(in_image ringsim --version)
[[ $version == *"$commit"* ]] && ok "image: ringsim --version says '$version'" \
  || fail "image: ringsim --version says '$version', not commit $commit"
missing=$(in_image ldd /opt/ringsim/bin/ringsim | grep 'not found')
[[ -z $missing ]] && ok "image: every library ringsim links is in the image (ldd)" || fail "image: ldd: $missing"
in_image grep -qx 'PasswordAuthentication no' /etc/ssh/sshd_config \
  && ok "image: sshd_config has PasswordAuthentication no" || fail "image: sshd_config allows passwords"

# --- running it ------------------------------------------------------------
host_name() {  # K -> the host name container algo-K gets
  case $hostnames in
    aws) echo aws ;;
    algo) echo "algo-$1" ;;
    random) head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n' ;;
  esac
}
# A network of its own for the multi-host runs, with fixed addresses so that
# algo-K resolves through /etc/hosts, as on SageMaker.
subnet=""
starts=0
run_env=()  # extra engine options for the next start_host (the fault below)
make_network() {
  [[ -z $network ]] || return 0
  for _ in 1 2 3 4 5 6 7 8; do
    subnet=10.$((RANDOM % 200 + 20)).$((RANDOM % 250)).
    if "${engine[@]}" network create --subnet "${subnet}0/24" "ringsim-test-$$" >/dev/null 2>&1; then
      network=ringsim-test-$$
      return 0
    fi
  done
  fail "could not create a container network"
  finish
  exit
}
# Starts container K of a job (detached) on ML root DIR/algo-K and sets
# $started to its name; the rest of the arguments go to the image (train, or
# nothing). Not in a subshell: it records the container for the clean-up.
start_host() {  # DIR K HOSTS ARGS...
  local dir=$1 k=$2 hosts=$3 name
  shift 3
  starts=$((starts + 1))  # a rerun on the same ML roots gets new container names
  name=ringsim-test-$$-$starts-$(basename "$dir")-algo-$k
  local net=()
  if ((hosts > 1)); then
    make_network
    net=(--network "$network" --ip "${subnet}$((10 + k))")
    for ((i = 1; i <= hosts; i++)); do net+=(--add-host "algo-$i:${subnet}$((10 + i))"); done
  fi
  containers+=("$name")
  "${engine[@]}" run -d --name "$name" --hostname "$(host_name "$k")" --shm-size 1g "${limits[@]}" "${net[@]}" "${run_env[@]}" \
    -v "$dir/algo-$k:/opt/ml" "$image" "$@" >/dev/null 2>>"$work/engine.log" \
    || { fail "$name did not start: $(tail -1 "$work/engine.log")"; }
  started=$name
}
# Waits up to SECONDS for the container to end; prints its exit code (124: it
# was still running and has been killed).
wait_exit() {  # NAME SECONDS
  local code
  if code=$(timeout "$2" "${engine[@]}" wait "$1" 2>/dev/null); then
    echo "$code"
  else
    "${engine[@]}" kill "$1" >/dev/null 2>&1
    echo 124
  fi
}
logs() { "${engine[@]}" logs "$1" >"$work/$1.log" 2>&1; }
show() {  # NAME: the tail of its log and its failure file
  echo "---- $1 (last lines)"
  tail -15 "$work/$1.log"
}
# Makes a job's ML roots under DIR: a matrix of ROWS x COLS and hyperparameters.
make_job() {  # DIR HOSTS ROWS COLS KEY=VALUE...
  local dir=$1 hosts=$2 rows=$3 cols=$4
  shift 4
  mkdir -p "$dir"
  /usr/bin/python3 -c "import numpy as np; np.save('$dir/full.npy', np.random.default_rng($rows).standard_normal(($rows, $cols)).astype(np.float32))"
  /usr/bin/python3 "$root/scripts/beds/make-ml-roots.py" "$dir" "$hosts" --interface eth0 k=5 timeout=60 "$@" >/dev/null
}
check_model() {  # DIR -> "" or why not
  /usr/bin/python3 "$root/tests/cli/numpy_reference.py" "$1/full.npy" "$1/algo-1/model" 5 >"$1/check.log" 2>&1 \
    || echo "model differs from numpy: $(tail -1 "$1/check.log")"
}
failure_of() { cat "$1/output/failure" 2>/dev/null; }
# Runs `train` on algo-1 and algo-2 of DIR's ML roots and waits up to
# LEADER_SECONDS for the leader, 30 s more for the worker; sets c1, c2 (the
# containers, logs kept), code1, code2, took, and why: "" when both exited 0
# with a model equal to numpy's, else what went wrong.
run_two_hosts() {  # DIR LEADER_SECONDS
  local dir=$1 start
  start=$(now)
  start_host "$dir" 1 2 train; c1=$started
  start_host "$dir" 2 2 train; c2=$started
  code1=$(wait_exit "$c1" "$2")
  code2=$(wait_exit "$c2" 30)
  took=$(since "$start")
  logs "$c1"
  logs "$c2"
  why=""
  [[ $code1 == 0 && $code2 == 0 ]] || why+="exit codes $code1 (algo-1) and $code2 (algo-2); "
  [[ $code1 != 0 ]] || why+=$(check_model "$dir")
}
# Whether the container's file changes (podman diff) name PATTERN. Read
# whole first: `diff | grep -q` under pipefail fails when grep's early exit
# cuts diff off with SIGPIPE, which made a test fail on a key that was there.
changed_in() {  # CONTAINER PATTERN
  local changes
  changes=$("${engine[@]}" diff "$1" 2>/dev/null)
  grep -q -- "$2" <<<"$changes"
}
sshd_started() { changed_in "$1" 'ssh_host_ed25519_key'; }

# One host, `train`, then no argument: exit 0, the result equal to numpy, no
# sshd started (its host keys are made only when it is), no failure file.
for run in one-host no-argument; do
  wanted $run || continue
  dir=$work/$run
  make_job "$dir" 1 2000 32 processes_per_host=2 wait_seconds=60
  args=(train)
  [[ $run == no-argument ]] && args=()
  start=$(now)
  start_host "$dir" 1 1 "${args[@]}"; c=$started
  code=$(wait_exit "$c" 120)
  took=$(since "$start")
  logs "$c"
  why=""
  [[ $code == 0 ]] || why+="exit code $code; "
  [[ $code != 0 ]] || why+=$(check_model "$dir")
  sshd_started "$c" && why+="sshd was started for a one-host job; "
  [[ -z $(failure_of "$dir/algo-1") ]] || why+="failure file: $(failure_of "$dir/algo-1"); "
  if [[ -z $why ]]; then ok "$run (train ${args[*]:-without an argument}, 1 host x 2 ranks): exit 0 in $took s, model equals numpy, no sshd"
  else fail "$run: $why(exit $code in $took s)"; show "$c"; fi
done

# Two containers as algo-1 and algo-2: the leader hands the worker the job's
# ssh key over the control channel, mpirun logs in to the worker's sshd.
if wanted two-hosts; then
  dir=$work/two-hosts
  make_job "$dir" 2 3000 32 processes_per_host=2 wait_seconds=120
  run_two_hosts "$dir" 180
  changed_in "$c2" '/root/.ssh/authorized_keys' || why+="the worker got no job ssh key; "
  changed_in "$c1" '/tmp/ringsim-.*\.ssh' && why+="the leader left its job ssh key in /tmp; "
  grep -q 'kex_exchange_identification' "$work/$c2.log" && why+="the worker's sshd logged kex_exchange_identification (the leader's port probe); "
  for k in 1 2; do [[ -z $(failure_of "$dir/algo-$k") ]] || why+="algo-$k failure file: $(failure_of "$dir/algo-$k"); "; done
  if [[ -z $why ]]; then ok "two-hosts (2 x 2 ranks over ssh): exit 0 on both in $took s, model equals numpy, job key exchanged and removed"
  else fail "two-hosts: $why(in $took s)"; show "$c1"; show "$c2"; fi
fi

# StopTrainingJob mid-job: SIGTERM to the leader's container once every rank
# has saved a checkpoint; it must end within 5 s, non-zero, with a failure
# file, and so must the worker. Then the spot rerun on the same ML roots
# (checkpoints kept, as SageMaker restores them) resumes and succeeds.
# To hold the job mid-way whatever the machine's speed, rank 0 stops itself
# (SIGSTOP, RINGSIM_FAULT) right after every rank saved step 0 of 5; and the
# matrix is large (8000 x 8192: about ten seconds of GEMM on two cores, still
# cheap for numpy), because the stop alone did not always hold the job: a
# job that finished before the SIGTERM removed its checkpoints, and the
# rerun resumed nothing. mpirun wakes the stopped rank (SIGCONT) as it
# passes SIGTERM on.
if wanted sigterm-mid-job || wanted spot-rerun; then
  dir=$work/spot
  make_job "$dir" 2 8000 8192 processes_per_host=4 wait_seconds=120
  mkdir -p "$dir/algo-1/checkpoints" "$dir/algo-2/checkpoints"
  run_env=(-e RINGSIM_FAULT=0:checkpoint-0:STOP)
  start_host "$dir" 1 2 train; c1=$started
  run_env=()
  start_host "$dir" 2 2 train; c2=$started
  # Every rank (8) has saved at least one step.
  for ((i = 0; i < 600; i++)); do
    (($(ls "$dir"/algo-*/checkpoints/ 2>/dev/null | grep -c '\.ckpt$') >= 8)) && break
    [[ $("${engine[@]}" inspect --format '{{.State.Running}}' "$c1" 2>/dev/null) == true ]] || break
    sleep 0.2
  done
  saved=$(ls "$dir"/algo-*/checkpoints/ 2>/dev/null | grep -c '\.ckpt$')
  start=$(now)
  "${engine[@]}" kill --signal TERM "$c1" >/dev/null 2>>"$work/engine.log"
  code1=$(wait_exit "$c1" 15)
  took1=$(since "$start")
  code2=$(wait_exit "$c2" 15)
  took2=$(since "$start")
  logs "$c1"
  logs "$c2"
  why=""
  ((saved >= 8)) || why+="only $saved checkpoint files before the stop (the job ended or was too quick); "
  [[ $code1 != 0 && $code1 != 124 ]] || why+="leader exit code $code1; "
  [[ $code2 != 0 && $code2 != 124 ]] || why+="worker exit code $code2; "
  awk -v a="$took1" -v b="$took2" 'BEGIN { exit !(a <= 5 && b <= 5) }' || why+="ended $took1 s (leader) and $took2 s (worker) after SIGTERM, bound 5 s; "
  for k in 1 2; do [[ -n $(failure_of "$dir/algo-$k") ]] || why+="no failure file on algo-$k; "; done
  if wanted sigterm-mid-job; then
    if [[ -z $why ]]; then ok "sigterm-mid-job (SIGTERM to the leader's PID 1): leader exit $code1 in $took1 s, worker exit $code2 in $took2 s; algo-1: $(failure_of "$dir/algo-1" | cut -c1-150)"
    else fail "sigterm-mid-job: $why"; show "$c1"; show "$c2"; fi
  fi
  if wanted spot-rerun; then
    kept=$(cd "$dir" && ls algo-*/checkpoints/ | tr '\n' ' ')  # what the rerun should resume from
    run_two_hosts "$dir" 300
    resumed=$(/usr/bin/python3 -c "import json; print(json.load(open('$dir/algo-1/model/report.json'))['resumed_steps'])" 2>/dev/null)
    [[ ${resumed:-0} -gt 0 ]] || why+="resumed_steps ${resumed:-?} (no resume from /opt/ml/checkpoints, which held: $kept); "
    for k in 1 2; do
      [[ -z $(failure_of "$dir/algo-$k") ]] || why+="algo-$k keeps a failure file: $(failure_of "$dir/algo-$k" | cut -c1-100); "
      left=$(ls "$dir/algo-$k/checkpoints" | wc -l)
      [[ $left == 0 ]] || why+="algo-$k keeps $left checkpoint files; "
    done
    if [[ -z $why ]]; then ok "spot-rerun (same ML roots): exit 0 on both in $took s, resumed_steps $resumed, model equals numpy, checkpoints and the old failure file gone"
    else fail "spot-rerun: $why(in $took s)"; show "$c1"; show "$c2"; fi
  fi
fi

# A worker whose certificate is another job's (its whole certificate channel
# comes from another `ringsim certs`): both containers must fail within 60 s
# of the start, each failure file naming algo-2, instead of waiting out
# wait_seconds (600 here).
if wanted cert-fault; then
  dir=$work/cert-fault
  mkdir -p "$dir"
  for set in certs other; do
    "${engine[@]}" run --rm "${limits[@]}" -v "$dir:/w" --entrypoint ringsim "$image" \
      certs --out "/w/$set" --hosts algo-1,algo-2 >/dev/null 2>>"$work/engine.log"
  done
  make_job "$dir" 2 200 32 --certs "$dir/certs" processes_per_host=1 wait_seconds=600 transport=tls tls_channel=certs
  cp "$dir/other/"* "$dir/algo-2/input/data/certs/"
  start=$(now)
  start_host "$dir" 1 2 train
  c1=$started
  start_host "$dir" 2 2 train
  c2=$started
  code1=$(wait_exit "$c1" 90)
  code2=$(wait_exit "$c2" 30)
  took=$(since "$start")
  logs "$c1"
  logs "$c2"
  why=""
  [[ $code1 != 0 && $code1 != 124 && $code2 != 0 && $code2 != 124 ]] || why+="exit codes $code1 (algo-1) and $code2 (algo-2); "
  awk -v a="$took" 'BEGIN { exit !(a <= 60) }' || why+="took $took s, bound 60 s; "
  for k in 1 2; do
    [[ $(failure_of "$dir/algo-$k") == *algo-2*"not signed by the job CA"* ]] \
      || why+="algo-$k's failure file does not name algo-2's certificate: '$(failure_of "$dir/algo-$k")'; "
  done
  if [[ -z $why ]]; then ok "cert-fault (algo-2 holds another job's certificate): exit $code1 and $code2 in $took s; algo-1: $(failure_of "$dir/algo-1" | cut -c1-160)"
  else fail "cert-fault: $why(in $took s)"; show "$c1"; show "$c2"; fi
fi

# StopTrainingJob before mpirun starts: a worker waiting for its leader (which
# never comes), and a leader waiting for its worker (which never comes).
for run in sigterm-worker-waits sigterm-leader-waits; do
  wanted $run || continue
  dir=$work/$run
  make_job "$dir" 2 100 32 processes_per_host=1 wait_seconds=600
  k=2
  [[ $run == sigterm-leader-waits ]] && k=1
  start_host "$dir" $k 2 train; c=$started
  sleep 3  # the launcher is up and waiting
  running=$("${engine[@]}" inspect --format '{{.State.Running}}' "$c" 2>/dev/null)
  start=$(now)
  "${engine[@]}" kill --signal TERM "$c" >/dev/null 2>>"$work/engine.log"
  code=$(wait_exit "$c" 15)
  took=$(since "$start")
  logs "$c"
  why=""
  [[ $running == true ]] || why+="it was not running before the signal; "
  [[ $code != 0 && $code != 124 ]] || why+="exit code $code; "
  awk -v a="$took" 'BEGIN { exit !(a <= 5) }' || why+="ended $took s after SIGTERM, bound 5 s; "
  [[ -n $(failure_of "$dir/algo-$k") ]] || why+="no failure file; "
  changed_in "$c" '/tmp/ringsim-.*\.ssh' && why+="the job ssh key was left in /tmp; "
  if [[ -z $why ]]; then ok "$run (algo-$k alone, SIGTERM while it waits): exit $code in $took s; failure: $(failure_of "$dir/algo-$k" | cut -c1-150)"
  else fail "$run: $why(exit $code in $took s)"; show "$c"; fi
done
finish
