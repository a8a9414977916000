#!/usr/bin/env bash
# What encryption costs a job whose blocks cross capped links: the netns bed
# (scripts/beds/netns-cluster.sh: hosts in network namespaces on one bridge, each
# host's egress capped with tc tbf) runs the same communication-heavy top-k
# job over tcp, tls with encrypt=inter-host (the launcher's default) and tls
# with encrypt=all, variants rotating within each repetition (A B C, B C A,
# ...) so this machine's drift hits them alike; for 2 and 3 hosts x 2 ranks
# and caps of 10 and 25 Gbit/s. One core's AES-128-GCM sealing rate
# (`ringsim bench cipher`) is measured before and after, in the same run, and
# the IPsec (ESP) estimate comes from it (bench/summarize_netns_encryption.py); where
# this kernel offers ESP with rfc4106(gcm(aes)) in a namespace, that is said
# (the estimate stays labelled as one).
#
# Usage: scripts/bench/bench-netns-encryption.sh [--reps R] [--hosts "2 3"] [--rates "10gbit 25gbit"]
#          [--rows-per-rank N] [--cols D] [--out DIR]
#   writes DIR/runs.csv, DIR/netns-encryption.{md,json,png}, DIR/reports/*.json;
#   DIR defaults to a new bench/results/netns-encryption-DATE-TIME (an existing
#   DIR is refused, so committed results are never overwritten). Needs root.
#
# Job: n = hosts x 2 x N rows of d columns, tile N (one tile per rank), top-10.
# Rows per rank set the compute per byte moved (N / 2 flops per byte), so the
# default N = 64 with d = 131072 makes each step's 32 MiB block
# communication-heavy (0.54 GFLOP per step per rank against 27 ms at 10 Gbit/s).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/bench/machine-info.sh"
reps=3; hosts_list="2 3"; rates="10gbit 25gbit"; rpr=64; cols=131072
out="$root/bench/results/netns-encryption-$(date -u +%Y%m%d-%H%M%S)"
while (($#)); do
  case $1 in
    --reps) reps=$2; shift ;;
    --hosts) hosts_list=$2; shift ;;
    --rates) rates=$2; shift ;;
    --rows-per-rank) rpr=$2; shift ;;
    --cols) cols=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
[[ ! -e $out ]] || { echo "$out exists; pick a new --out (results are never overwritten)" >&2; exit 2; }
ringsim=${RINGSIM:-$root/build/ringsim}
[[ -x $ringsim ]] || { echo "no $ringsim: build it first (scripts/setup/build.sh)" >&2; exit 2; }
export RINGSIM=$ringsim
mkdir -p "$out/reports"
work=$(mktemp -d /tmp/rs-bench-netns-enc.XXXXXX)
trap 'rm -rf "$work"' EXIT

{
  machine_info
  echo "command=scripts/bench/bench-netns-encryption.sh --reps $reps --hosts \"$hosts_list\" --rates \"$rates\" --rows-per-rank $rpr --cols $cols"
  echo "load_before=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cipher_before_MBps=$("$ringsim" bench cipher --seconds 1 | sed 's/.*MBps=\([0-9]*\).*/\1/')"
  echo "cipher_packet_before_MBps=$("$ringsim" bench cipher --seconds 1 --record 1412 | sed 's/.*MBps=\([0-9]*\).*/\1/')"
} | tee "$out/machine.txt"

# ESP in this kernel: an AES-GCM security association in a scratch namespace.
ns="rsenc$$"
ip netns add "$ns"
if msg=$(ip -n "$ns" xfrm state add src 10.0.0.1 dst 10.0.0.2 proto esp spi 0x100 reqid 1 mode transport \
  aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f1011121314 128 2>&1); then
  echo "esp_kernel=offered (rfc4106(gcm(aes)) accepted by ip xfrm)" | tee -a "$out/machine.txt"
else
  echo "esp_kernel=refused: ${msg//$'\n'/ } (estimate only)" | tee -a "$out/machine.txt"
fi
ip netns del "$ns"

echo "mtu=1500 (the bed's veths: Linux's default; the ESP estimate uses it)" >>"$out/machine.txt"

variants=(tcp tls-inter-host tls-all)
echo "hosts,rate,variant,rep,exit,end_to_end_s,load1" >"$out/runs.csv"
for hosts in $hosts_list; do
  n=$((hosts * 2 * rpr))
  "$ringsim" gen --rows "$n" --cols "$cols" --seed 7 --clusters 8 --out "$work/x.npy" >/dev/null
  for rate in $rates; do
    for rep in $(seq 1 "$reps"); do
      for i in 0 1 2; do
        variant=${variants[$(((i + rep) % 3))]}
        case $variant in
          tcp) args=(--transport tcp) ;;
          tls-inter-host) args=(--transport tls --hp encrypt=inter-host) ;;
          tls-all) args=(--transport tls --hp encrypt=all) ;;
        esac
        rm -rf "$work/run"
        start=$(date +%s.%N)
        code=0
        timeout 300 "$root/scripts/beds/netns-cluster.sh" "$hosts" --bandwidth "$rate" --matrix "$work/x.npy" \
          --cols "$cols" --hp tile="$rpr" --hp timeout=120 --keep "$work/run" "${args[@]}" >"$work/log" 2>&1 || code=$?
        seconds=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.2f", b - a}')
        load=$(cut -d' ' -f1 /proc/loadavg)
        echo "$hosts,$rate,$variant,$rep,$code,$seconds,$load" >>"$out/runs.csv"
        if [[ $code -eq 0 ]]; then
          cp "$work/run/algo-1/model/report.json" "$out/reports/h$hosts-$rate-$variant-$rep.json"
        else
          echo "h$hosts $rate $variant rep $rep: exit $code"; tail -5 "$work/log"
        fi
        printf '%s h%s %s %-15s rep %s: exit %s, %.1f s, load %s\n' "$(date -u +%H:%M:%S)" "$hosts" "$rate" \
          "$variant" "$rep" "$code" "$seconds" "$load"
      done
    done
  done
done
{
  echo "load_after=$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "cipher_after_MBps=$("$ringsim" bench cipher --seconds 1 | sed 's/.*MBps=\([0-9]*\).*/\1/')"
  echo "cipher_packet_after_MBps=$("$ringsim" bench cipher --seconds 1 --record 1412 | sed 's/.*MBps=\([0-9]*\).*/\1/')"
} | tee -a "$out/machine.txt"
/usr/bin/python3 "$root/bench/summarize_netns_encryption.py" "$out"
