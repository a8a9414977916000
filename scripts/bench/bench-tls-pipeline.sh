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
# --rate RATE: a capped link instead of loopback: two network namespaces
# joined by a veth pair with EC2's MTU (9001), each end's egress capped with
# tc tbf at RATE (e.g. 10gbit), so each direction has RATE, as on a
# full-duplex EC2 link; rank 0 in one namespace, rank 1 in the other
# (`bench transport --netns`), MPI's own start-up on loopback as usual.
# --shared: with --rate, both ranks in one namespace whose loopback is capped
# at RATE instead: one qdisc carries both directions, so the ring test's two
# directions share RATE (the ping-pong has it to itself). Needs root.
#
# Every row also gives the cores the transport kept busy and its CPU time
# per byte, and the summary the most any TLS over this machine's TCP could
# move (tcp's CPU per byte plus one seal and one open per byte, every core
# busy): where that is below a target, no TLS transport meets it here.
#
# Usage: scripts/bench/bench-tls-pipeline.sh [--reps N] [--sizes LIST] [--seconds S] [--rate RATE [--shared]] [--out DIR]
#   writes DIR/machine.txt, DIR/runs/run-K.{json,txt}, DIR/tls-pipeline.{md,json};
#   DIR defaults to a new bench/results/tls-pipeline[-RATE]-DATE-TIME (an
#   existing DIR is refused: committed results are never overwritten).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/setup/env.sh" >/dev/null
source "$root/scripts/setup/ringsim-binary.sh"
source "$root/scripts/bench/machine-info.sh"
reps=5; sizes=1MiB,4MiB,16MiB; seconds=0.5; rate=""; shared=""; out=""
transports=tcp,tls,tls-serial-receive,tls-serial
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --sizes) sizes=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --rate) rate=$2; shift ;;
    --shared) shared=1 ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ -z $shared || -n $rate ]] || { echo "--shared needs --rate" >&2; exit 2; }
out=${out:-$root/bench/results/tls-pipeline${rate:+-$rate}${shared:+-shared}-$(date -u +%Y%m%d-%H%M%S)}
[[ ! -e $out ]] || { echo "$out exists; pick a new --out (results are never overwritten)" >&2; exit 2; }
[[ -x $ringsim ]] || { echo "no $ringsim: build it first (scripts/setup/build.sh)" >&2; exit 2; }
mkdir -p "$out/runs"

# The command line of each rank: one for both (loopback), or one per
# namespace (mpirun's MPMD ':'; rank 0's writes the JSON). Unbound, as the
# launcher starts a job's ranks: a rank's TLS threads may use any core.
bench=("$ringsim" bench transport --transport "$transports" --sizes "$sizes" --seconds "$seconds")
ranks_of() {  # JSON-FILE -> sets ranks: mpirun's arguments
  if [[ -n $rate && -z $shared ]]; then
    ranks=(-np 1 "${bench[@]}" --bind eth0 --netns "$ns-a" --out "$1" : -np 1 "${bench[@]}" --bind eth0 --netns "$ns-b")
  else
    ranks=(-np 2 "${bench[@]}" --out "$1")
  fi
}
run_in=()
if [[ -n $rate ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "--rate needs root (network namespaces)" >&2; exit 2; }
  ns="rstlspipe$$"
  if [[ -n $shared ]]; then
    trap 'ip netns del "$ns" 2>/dev/null || true' EXIT
    ip netns add "$ns"
    ip -n "$ns" link set lo mtu 9001
    ip -n "$ns" link set lo up
    # Burst: at least 10 ms worth of the rate, as scripts/beds/netns-cluster.sh.
    ip netns exec "$ns" tc qdisc add dev lo root tbf rate "$rate" burst 16mbit latency 50ms
    run_in=(ip netns exec "$ns")
  else
    # Set before anything is made, so a failure half-way leaves nothing behind.
    # (|| true each: set -e holds inside the trap too.)
    trap 'ip link del "rsp$$a" 2>/dev/null || true; ip netns del "$ns-a" 2>/dev/null || true
          ip netns del "$ns-b" 2>/dev/null || true' EXIT
    ip netns add "$ns-a"
    ip netns add "$ns-b"
    ip link add "rsp$$a" type veth peer name "rsp$$b"
    for side in a b; do
      ip link set "rsp$$$side" netns "$ns-$side"
      ip -n "$ns-$side" link set "rsp$$$side" name eth0
      ip -n "$ns-$side" addr add "10.254.0.$([[ $side == a ]] && echo 1 || echo 2)/24" dev eth0
      ip -n "$ns-$side" link set eth0 mtu 9001 up
      ip -n "$ns-$side" link set lo up
      ip netns exec "$ns-$side" tc qdisc add dev eth0 root tbf rate "$rate" burst 16mbit latency 50ms
    done
  fi
fi

{
  machine_info
  if [[ -n $shared ]]; then
    echo "link=loopback of a network namespace, tc tbf $rate, MTU 9001 (both directions share it)"
  elif [[ -n $rate ]]; then
    echo "link=a veth pair between two network namespaces, tc tbf $rate on each end (each direction $rate), MTU 9001"
  else
    echo "link=loopback, uncapped"
  fi
  echo "command=scripts/bench/bench-tls-pipeline.sh --reps $reps --sizes $sizes --seconds $seconds${rate:+ --rate $rate}${shared:+ --shared}"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

for rep in $(seq 1 "$reps"); do
  ranks_of "$out/runs/run-$rep.json"
  "${run_in[@]}" mpirun --oversubscribe --bind-to none "${ranks[@]}" 2>"$out/runs/run-$rep.err" | tee "$out/runs/run-$rep.txt" |
    awk -v rep="$rep" '$2 == "ring" && $1 == "tls" {printf "run %s: tls ring %s B: %s MB/s, %s of cipher\n", rep, $3, $8, $10}'
  echo "run $rep: load $(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out/machine.txt"
done
if [[ -n $shared ]]; then
  "${run_in[@]}" tc -s qdisc show dev lo >"$out/qdisc.txt"
elif [[ -n $rate ]]; then
  for side in a b; do ip netns exec "$ns-$side" tc -s qdisc show dev eth0; done >"$out/qdisc.txt"
fi
echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"
/usr/bin/python3 "$root/bench/summarize_tls_pipeline.py" "$out"
