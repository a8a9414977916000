#!/usr/bin/env bash
# A rank's port on a network shared with strangers (tests/tools/stranger.py):
#  1. a scanner that connects and closes, sends an HTTP request, sends another
#     job's greeting, or connects and stays silent, again and again while
#     rank 0 accepts (its real peers reach it through a proxy that holds them
#     1.5 s): the job still ends 0 with results byte-identical to an mpi run,
#     and the rank says once per source that it ignored them;
#  2. a proxy that swaps the streams of ranks 1 and 2 on their way to rank 0
#     (rewriting the plaintext greeting): over tls with one job CA (ranks of
#     one host share a certificate, so TLS alone accepts the swap) and over
#     tcp, every rank fails within 30 s naming the swap, and no result is
#     written.
source "$(dirname "$0")/lib.sh"
tools="$root/tests/tools"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
"$ringsim" gen --rows 1203 --cols 24 --seed 8 --out "$work/X.npy" >/dev/null
"$ringsim" certs --out "$work/certs" >/dev/null  # a job CA and this host's certificate
common=(run --input "$work/X.npy" --k 6 --quiet --timeout 30)
timeout 60 mpirun -np 3 "$ringsim" "${common[@]}" --out "$work/reference" >/dev/null 2>&1 \
  || fail "the reference run over mpi failed"

# A proxy of tests/tools/stranger.py in front of rank 0's PORT: MODE PORT
# NAME ARGS...; its pid in $proxy, its own port in $work/NAME.port.
start_proxy() {
  local mode=$1 port=$2 name=$3; shift 3
  rm -f "$work/$name.port"
  /usr/bin/python3 "$tools/stranger.py" "$mode" --target "127.0.0.1:$port" --port-file "$work/$name.port" \
    --seconds 40 "$@" >"$work/$name.log" 2>&1 &
  proxy=$!
  for _ in $(seq 100); do [[ -s "$work/$name.port" ]] && break; sleep 0.1; done
}
tls_of() {  # TRANSPORT -> its credentials
  [[ $1 == tls ]] && echo "--tls-ca $work/certs/ca.pem --tls-cert $work/certs/{host}.pem --tls-key $work/certs/{host}.key"
}
# The 3-rank job over $transport into OUT (its log in OUT.log), rank 0
# listening on $port and advertising the port of the proxy NAME in front of
# it; sets code and took (seconds).
run_behind_proxy() {  # OUT NAME
  local out=$1 name=$2 start=$SECONDS
  timeout 60 mpirun -np 1 "$ringsim" "${common[@]}" --out "$out" --transport "$transport" $(tls_of "$transport") \
    --bind "127.0.0.1:$port" --advertise "127.0.0.1:$(cat "$work/$name.port")" \
    : -np 2 "$ringsim" "${common[@]}" --out "$out" --transport "$transport" $(tls_of "$transport") >"$out.log" 2>&1
  code=$?
  took=$((SECONDS - start))
}

for transport in tcp tls; do
  # 1. The scanner, on rank 0's port while the real peers are held back 1.5 s
  # by a proxy rank 0 advertises: the strays reach rank 0 while it accepts.
  port=$(free_port)
  start_proxy delay "$port" delay --delay 1.5
  /usr/bin/python3 "$tools/stranger.py" scan --target "127.0.0.1:$port" --seconds 40 >"$work/scan.log" 2>&1 &
  scanner=$!
  out="$work/scan-$transport"
  run_behind_proxy "$out" delay
  kill "$scanner" "$proxy" 2>/dev/null; wait "$scanner" "$proxy" 2>/dev/null
  if [[ $code -ne 0 ]]; then
    fail "$transport with a scanner on rank 0's port: exit $code"; cat "$out.log"
  else
    for file in neighbors.npy scores.npy; do
      cmp -s "$work/reference/$file" "$out/$file" || fail "$transport with a scanner: $file differs from the mpi run"
    done
    if grep -q "ignored a connection to its port" "$out.log"; then
      ok "$transport: a scanner on rank 0's port while it accepted; exit 0 in $took s," \
        "results byte-identical to mpi: $(grep -m1 'ignored a connection' "$out.log")"
    else
      fail "$transport: no stray connection reached rank 0 while it accepted ($(cat "$work/scan.log"))"
    fi
  fi

  # 2. The swap.
  port=$(free_port)
  start_proxy swap "$port" swap --ranks 1,2
  out="$work/swap-$transport"
  run_behind_proxy "$out" swap
  kill "$proxy" 2>/dev/null; wait "$proxy" 2>/dev/null
  if [[ $code -ne 0 && $took -le 30 ]] && grep -q "swapped or replayed" "$out.log" \
    && grep -q "swapped ranks 1 and 2" "$work/swap.log"; then
    ok "$transport: streams of ranks 1 and 2 swapped on the way to rank 0: exit $code in $took s:" \
      "$(grep -m1 'swapped or replayed' "$out.log")"
  else
    fail "$transport: a swapped stream was not refused by name within 30 s (exit $code in $took s)"
    cat "$out.log" "$work/swap.log"
  fi
  [[ -z $(ls "$out" 2>/dev/null | grep -v '^\.') ]] || fail "$transport: the swapped job left files: $(ls "$out")"
done
finish
