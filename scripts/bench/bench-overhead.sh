#!/usr/bin/env bash
# What encrypting rank traffic costs: the same similarity job over mpi, tcp
# and tls (plus tls-openssl, TLS with its records in user space only, where
# the kernel offers kTLS: elsewhere it is the same record layer as tls),
# alternating transports within each repetition (A B C, B C A, ...)
# so that drift on a shared machine hits them alike, over a grid of
# sizes from communication-bound to compute-bound; plus ping-pong / ring
# bandwidth per transport (with tls-serial: TLS without pipelined sending or receiving,
# and one core's cipher rate measured in the same process), an independent
# MPI ping-pong, the record sealing
# rate (openssl speed, AES-128-GCM on 16 KiB records, as OpenSSL runs it on
# this CPU and with VAES hidden) and the GEMM rate, which feed a cost model.
#
# Usage: scripts/bench/bench-overhead.sh [--quick] [--out DIR]
#   writes DIR/overhead.{csv,json,md}, DIR/overhead.png, DIR/pingpong.png
#   (DIR defaults to a new bench/results/run-DATE-TIME; the committed
#   bench/results files are never overwritten). --quick: a small grid.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
quick=0; out="$root/bench/results/run-$(date +%Y%m%d-%H%M%S)"
while (($#)); do
  case $1 in
    --quick) quick=1 ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
source "$root/scripts/bench/bench-setup.sh" --bench  # $ringsim, built; MPI's environment; $work
mkdir -p "$out" "$work/runs"

if ((quick)); then
  grid_rows="500 2000"; grid_cols="64"; reps=2; sizes="4KiB,256KiB,4MiB"; budget=0.1
else
  grid_rows="500 2000 5000 10000"; grid_cols="64 256"; reps=${RINGSIM_OVERHEAD_REPS:-7}; sizes="1KiB..64MiB"; budget=0.5
fi
# tls-openssl differs from tls only where the kernel can take TLS records over.
if grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null; then
  extra_tls=",tls-openssl"; series_note="tls-openssl: TLS records in user space only (no kTLS)."
else
  extra_tls=""; series_note="No tls-openssl series: this kernel offers no kTLS, so it would run tls's record layer."
fi
ranks=2
echo "== machine"
{
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "git_revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "cores=$(nproc)"
  echo "memory_gib=$(awk '/MemTotal/ {printf "%.1f", $2/1048576}' /proc/meminfo)"
  echo "openssl=$(openssl version)"
  echo "mpi=$(mpirun --version 2>/dev/null | head -1)"
  echo "command=scripts/bench/bench-overhead.sh $([[ $quick == 1 ]] && echo --quick)"
  echo "load=$(cut -d' ' -f1-3 /proc/loadavg) (start)"
  echo "series_note=$series_note"
} | tee "$work/machine.txt"

echo "== TLS record sealing, AES-128-GCM, 16 KiB records, one core (openssl speed)"
source "$root/scripts/bench/seal-rate.sh"
seal_seconds=$([[ $quick == 1 ]] && echo 1 || echo 2)
{
  echo "record_seal_openssl=$(seal_rate "$seal_seconds") GB/s  # $(openssl version)"
  echo "record_seal_novaes=$(seal_rate "$seal_seconds" "$no_vaes") GB/s  # $(openssl version), VAES hidden"
} | tee "$work/crypto.txt"

echo "== GEMM rate per core, both cores busy (ringsim bench gemm under mpirun -np $ranks)"
mpirun -np "$ranks" "$ringsim" bench gemm --seconds "$([[ $quick == 1 ]] && echo 0.5 || echo 2)" | tee "$work/gemm.txt"

echo "== ping-pong and ring per transport"
mpirun -np "$ranks" "$ringsim" bench transport --transport "mpi,tcp,tls,tls-serial$extra_tls" --sizes "$sizes" \
  --seconds "$budget" --out "$work/pingpong.json" 2>/dev/null
# The check against an independent MPI ping-pong alternates the two programs
# three times: this machine's speed drifts between minutes, so only figures
# taken side by side are compared.
echo "== ringsim mpi vs plain MPI, ringsim tcp / tls vs plain TCP ping-pong, alternating"
plain_sizes=$(/usr/bin/python3 -c "import json; print(' '.join(sorted({str(r['bytes']) for r in json.load(open('$work/pingpong.json'))}, key=int)))")
for round in 1 2 3; do
  mpirun -np 2 "$build/plain_pingpong" $plain_sizes >"$work/plain_pingpong.$round.txt"
  mpirun -np 2 "$ringsim" bench transport --transport mpi --sizes "$sizes" --seconds 0.05 \
    --out "$work/mpi_check.$round.json" >/dev/null 2>&1
  "$build/plain_tcp_pingpong" $plain_sizes >"$work/plain_tcp.$round.txt"
  mpirun -np 2 "$ringsim" bench transport --transport tcp,tls --sizes "$sizes" --seconds 0.05 \
    --out "$work/socket_check.$round.json" >/dev/null 2>&1
done

# The 4 MiB ping-pong, in its own rounds: each process alternates tcp, tls
# and tls-serial (and tls-openssl where run), and an independent plain TCP
# ping-pong runs between processes. Loopback speed on this machine is
# bimodal from minute to minute, so every round's ratio is kept.
goal_rounds=$([[ $quick == 1 ]] && echo 2 || echo 8)
echo "== 4 MiB ping-pong: tcp, tls, tls-serial$extra_tls alternating, plain TCP between, $goal_rounds rounds"
for round in $(seq 1 "$goal_rounds"); do
  mpirun -np 2 "$ringsim" bench transport --transport "tcp,tls,tls-serial$extra_tls" --sizes 4MiB \
    --seconds "$([[ $quick == 1 ]] && echo 0.1 || echo 0.5)" --out "$work/goal_4mib.$round.json" >/dev/null 2>&1
  "$build/plain_tcp_pingpong" 4194304 >"$work/goal_plain_tcp.$round.txt"
  printf '.'
done
echo

echo "== similarity job: rows per rank x d, transports alternating, $reps repetitions"
transports=(mpi tcp tls)
[[ -z $extra_tls ]] || transports+=(tls-openssl)
for rows in $grid_rows; do
  for cols in $grid_cols; do
    n=$((rows * ranks))
    "$ringsim" gen --rows "$n" --cols "$cols" --seed 5 --clusters 32 --out "$work/x.npy"
    for rep in $(seq 1 "$reps"); do
      for i in "${!transports[@]}"; do
        t=${transports[$(((i + rep) % ${#transports[@]}))]}
        crypto=auto
        [[ $t == tls-openssl ]] && crypto=openssl
        mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" --out "$work/out" --k 10 --quiet \
          --transport "${t%-openssl}" --tls-crypto "$crypto" --tls-ephemeral 2>/dev/null
        cp "$work/out/report.json" "$work/runs/r${rows}-d${cols}-${t}-${rep}.json"
        printf '.'
      done
    done
    echo " rows/rank=$rows d=$cols"
  done
done

/usr/bin/python3 "$root/bench/summarize_overhead.py" "$work" "$out"
