#!/usr/bin/env bash
# What pipelined TLS records buy on one edge: `ringsim bench transport`
# (ping-pong between 2 ranks, and the 2-rank ring: both directions at once)
# for tcp, tls (pipelined sending and receiving), tls-serial-receive
# (pipelined sending only) and tls-serial (neither), the transports taking
# turns inside each run (A B C D, B C D A, ...), REPS runs in a row. Each run
# measures one core's AES-128-GCM sealing rate between the turns, so every
# "/cipher" is against the cipher rate of the same run, and every ratio
# between transports is taken side by side.
#
# --rate RATE: run the two ranks inside a network namespace of their own
# whose loopback is capped with tc tbf at RATE (e.g. 10gbit) and has EC2's
# MTU (9001): the lightest bed for a capped link (no job, no sshd). One
# qdisc carries both directions, so the ring test's two directions share
# RATE; the ping-pong has it to itself. Needs root.
#
# Usage: scripts/bench-tls-pipeline.sh [--reps N] [--sizes LIST] [--seconds S] [--rate RATE] [--out DIR]
#   writes DIR/machine.txt, DIR/runs/run-K.{json,txt}, DIR/tls-pipeline.{md,json};
#   DIR defaults to a new bench/results/tls-pipeline[-RATE]-DATE-TIME (an
#   existing DIR is refused: committed results are never overwritten).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/env.sh" >/dev/null
source "$root/scripts/ringsim-binary.sh"
source "$root/scripts/machine-info.sh"
reps=5; sizes=1MiB,4MiB,16MiB; seconds=0.5; rate=""; out=""
transports=tcp,tls,tls-serial-receive,tls-serial
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --rate) rate=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
out=${out:-$root/bench/results/tls-pipeline${rate:+-$rate}-$(date -u +%Y%m%d-%H%M%S)}
[[ ! -e $out ]] || { echo "$out exists; pick a new --out (results are never overwritten)" >&2; exit 2; }
[[ -x $ringsim ]] || { echo "no $ringsim: build it first (scripts/build.sh)" >&2; exit 2; }
mkdir -p "$out/runs"

run_in=()
if [[ -n $rate ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "--rate needs root (a network namespace)" >&2; exit 2; }
  ns="rstlspipe$$"
  ip netns add "$ns"
  trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
  ip -n "$ns" link set lo mtu 9001
  ip -n "$ns" link set lo up
  # Burst: at least 10 ms worth of the rate, as scripts/netns-cluster.sh.
  ip netns exec "$ns" tc qdisc add dev lo root tbf rate "$rate" burst 16mbit latency 50ms
  run_in=(ip netns exec "$ns")
fi

{
  machine_info
  if [[ -n $rate ]]; then
    echo "link=loopback of a network namespace, tc tbf $rate, MTU 9001 (both directions share it)"
  else
    echo "link=loopback, uncapped"
  fi
  echo "command=scripts/bench-tls-pipeline.sh --reps $reps --sizes $sizes --seconds $seconds${rate:+ --rate $rate}"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

for rep in $(seq 1 "$reps"); do
  "${run_in[@]}" mpirun -np 2 --oversubscribe "$ringsim" bench transport --transport "$transports" --sizes "$sizes" \
    --seconds "$seconds" --out "$out/runs/run-$rep.json" 2>/dev/null | tee "$out/runs/run-$rep.txt" |
    awk -v rep="$rep" '$2 == "ring" && $1 == "tls" {printf "run %s: tls ring %s B: %s MB/s, %s of cipher\n", rep, $3, $8, $10}'
  echo "run $rep: load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/machine.txt"
done
[[ -n $rate ]] && "${run_in[@]}" tc -s qdisc show dev lo >"$out/qdisc.txt"
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"
/usr/bin/python3 "$root/bench/summarize_tls_pipeline.py" "$out"
