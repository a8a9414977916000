#!/usr/bin/env bash
# Where TLS's time goes at 4 MiB, against tcp at the same core count, in one
# run: (1) OpenSSL's AES-128-GCM rate on 16 KiB records, as this CPU runs it
# and with VAES hidden (as on CPUs without it); (2) 4 MiB ping-pong, tcp and
# tls alternating inside each process, several rounds; (3) CPU seconds
# (user + system, both ranks) per GB moved by tcp and by tls, alternating:
# a figure that does not depend on what else the machine runs. With both
# cores busy, tls / tcp bandwidth is at most tcp CPU per GB / tls CPU per GB.
#
# Usage: scripts/bench/bench-tls-cpu.sh [--rounds N]   (prints a markdown report)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/scripts/setup/env.sh"
source "$root/scripts/setup/ringsim-binary.sh"
rounds=4
while (($#)); do
  case $1 in
    --rounds) rounds=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

source "$root/scripts/bench/seal-rate.sh"
# One bench process: its ping-pong and ring tests move, per transport,
# 4 x (reps + 4 warm-ups of max(2, reps / 10)) messages of 4 MiB.
bytes_moved() {  # seconds -> bytes
  /usr/bin/python3 -c "
import sys; b = 4 << 20; reps = int(min(max(float(sys.argv[1]) * 1e9 / b, 8), 1000)); w = max(2, reps // 10)
print(4 * (reps + 4 * w) * b)" "$1"
}
cpu_seconds() {  # transport seconds -> user+sys CPU seconds of the whole run
  /usr/bin/time -o "$work/time" -f "%U %S" mpirun -np 2 "$ringsim" bench transport --transport "$1" --sizes 4MiB \
    --seconds "$2" >/dev/null 2>&1
  awk '{print $1 + $2}' "$work/time"
}

echo "Machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(openssl version);" \
  "VAES in /proc/cpuinfo: $(grep -qw vaes /proc/cpuinfo && echo yes || echo no);" \
  "load average before: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%dT%H:%MZ);" \
  "git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)."
echo
echo "AES-128-GCM, 16 KiB records, one core (openssl speed): $(seal_rate 2) GB/s;" \
  "with VAES and VPCLMULQDQ hidden ($no_vaes): $(seal_rate 2 "$no_vaes") GB/s."
echo
echo "4 MiB ping-pong, MB/s one way (median), tcp and tls alternating in each process:"
echo
echo "| round | tcp | tls | tls/tcp |"
echo "|---:|---:|---:|---:|"
for round in $(seq 1 "$rounds"); do
  mpirun -np 2 "$ringsim" bench transport --transport tcp,tls --sizes 4MiB --seconds 0.5 2>/dev/null |
    awk -v round="$round" '$2 == "pingpong" {bw[$1] = $8}
      END {printf "| %d | %.0f | %.0f | %.2f |\n", round, bw["tcp"], bw["tls"], bw["tls"] / bw["tcp"]}'
done
echo
echo "CPU seconds per GB moved (user + system, both ranks, start-up subtracted), alternating:"
echo
echo "| round | tcp s/GB | tls s/GB | tls/tcp CPU | bound on tls/tcp bandwidth |"
echo "|---:|---:|---:|---:|---:|"
moved=$(bytes_moved 1)
for round in $(seq 1 "$rounds"); do
  tcp_base=$(cpu_seconds tcp 0.00001); tcp=$(cpu_seconds tcp 1)
  tls_base=$(cpu_seconds tls 0.00001); tls=$(cpu_seconds tls 1)
  /usr/bin/python3 -c "
import sys
moved, base_moved = float(sys.argv[1]) / 1e9, float(sys.argv[2]) / 1e9
tcp = (float(sys.argv[4]) - float(sys.argv[3])) / (moved - base_moved)
tls = (float(sys.argv[6]) - float(sys.argv[5])) / (moved - base_moved)
print(f'| {sys.argv[7]} | {tcp:.3f} | {tls:.3f} | {tls / tcp:.2f} | {tcp / tls:.2f} |')" \
    "$moved" "$(bytes_moved 0.00001)" "$tcp_base" "$tcp" "$tls_base" "$tls" "$round"
done
