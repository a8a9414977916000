#!/usr/bin/env bash
# What is on the wire between two ranks, through a recording proxy
# (tests/tools/wire_proxy.py): rank 1 reaches rank 0 only through the proxy
# (rank 0 --advertise-s the proxy's port).
#  1. tcp: the marker rows' bytes are in the capture (the check can see them),
#  2. tls: the same job, the marker is not in the capture, TLS records are,
#  3. tls with one byte flipped by the proxy: the job fails loudly, names the
#     TLS error and the peer, exits non-zero, and writes no output;
#  4. 2 and 3 with each record path forced (--tls-pipelining on: sending and
#     receiving threads per edge; off: sealed and opened on the connection's
#     thread): the same guarantees, the same results, and report.json says
#     which path ran (auto: pipelined where the machine has 2 cores per rank).
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
rng = np.random.default_rng(3)
x = rng.standard_normal((2000, 64)).astype(np.float32)
# Marker rows: +-1 entries whose signs spell "RINGSIM!" in bits. A cosine
# top-k job sends the rows as given (docs/precision.md: each rank normalises
# its own copies), so the wire bytes of such a row are known in advance.
bits = np.unpackbits(np.frombuffer(b"RINGSIM!", dtype=np.uint8)).astype(bool)
marker_row = np.where(bits, -1.0, 1.0).astype(np.float32)
x[1500:1510] = marker_row  # in rank 1's block (rows 1000..1999)
np.save(f"{w}/X.npy", x)
open(f"{w}/marker.bin", "wb").write(marker_row.astype("<f4").tobytes())
PY

run_pair() {  # run_pair NAME TRANSPORT FLIP [RUN-OPTION...] -> sets rc; capture in $work/NAME.cap
  local name=$1 transport=$2 flip=$3
  shift 3
  local p0; p0=$(free_port)
  rm -f "$work/$name.port"
  /usr/bin/python3 "$here/../tools/wire_proxy.py" --target "127.0.0.1:$p0" --port-file "$work/$name.port" \
    --record "$work/$name.cap" --flip-after "$flip" --seconds 90 >"$work/$name.proxy" 2>&1 &
  for _ in $(seq 100); do [[ -s "$work/$name.port" ]] && break; sleep 0.1; done
  local px; px=$(cat "$work/$name.port")
  local common=(run --input "$work/X.npy" --out "$work/out-$name" --k 5 --quiet --timeout 30
                --transport "$transport" --tls-ephemeral "$@")
  # Unbound, as the launcher starts ranks (Open MPI binds each of 2 ranks to a core otherwise).
  timeout 90 mpirun --bind-to none -np 1 "$ringsim" "${common[@]}" --bind "127.0.0.1:$p0" --advertise "127.0.0.1:$px" \
    : -np 1 "$ringsim" "${common[@]}" >"$work/$name.out" 2>"$work/$name.err"
  rc=$?
}

contains() { /usr/bin/python3 -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.exit(0 if open(sys.argv[2],"rb").read() in d else 1)' "$1" "$2"; }

run_pair tcp tcp -1
[[ $rc -eq 0 ]] || fail "tcp run failed ($rc): $(cat "$work/tcp.err")"
contains "$work/tcp.cap" "$work/marker.bin" && ok "tcp: marker rows visible on the wire ($(stat -c %s "$work/tcp.cap") bytes captured)" \
  || fail "tcp: marker not in the capture: the check cannot see plaintext"

check_tls() {  # check_tls NAME [RUN-OPTION...]: encrypted on the wire, same results as tcp
  local name=$1
  shift
  run_pair "$name" tls -1 "$@"
  [[ $rc -eq 0 ]] || fail "$name run failed ($rc): $(cat "$work/$name.err")"
  local size; size=$(stat -c %s "$work/$name.cap")
  [[ $size -gt 256000 ]] || fail "$name: capture too small ($size bytes): traffic did not go through the proxy"
  if contains "$work/$name.cap" "$work/marker.bin"; then fail "$name: marker visible on the wire"; else ok "$name: marker absent from $size captured bytes"; fi
  printf '\x17\x03\x03' >"$work/appdata.bin"
  contains "$work/$name.cap" "$work/appdata.bin" && ok "$name: TLS application-data records on the wire" || fail "$name: no TLS records in the capture"
  cmp -s "$work/out-tcp/neighbors.npy" "$work/out-$name/neighbors.npy" || fail "tcp and $name results differ"
}

check_tamper() {  # check_tamper NAME [RUN-OPTION...]: a flipped byte fails the job, by name, with no output
  local name=$1
  shift
  run_pair "$name" tls 200000 "$@"
  grep -q "flipped" "$work/$name.proxy" || fail "$name: the proxy flipped nothing"
  [[ $rc -ne 0 && $rc -ne 124 ]] || fail "$name: exit code $rc (expected a non-zero failure, not a timeout)"
  # Either side may speak first: the rank that opens the forged record names
  # its sender, the sender names the peer that refused its record (from the
  # alert); the other may be ended before it prints.
  local line; line=$(grep "^ringsim: error:" "$work/$name.err" | grep -m1 "bad record MAC")
  [[ "$line" == *TLS* && ("$line" == *"from rank 1"* || "$line" == *"from rank 0"*"refused a record from this rank"*) ]] &&
    ok "$name detected: $line" || fail "$name: unclear error: $(cat "$work/$name.err")"
  [[ -z "$(ls -A "$work/out-$name" 2>/dev/null)" ]] || fail "$name: output written: $(ls -A "$work/out-$name")"
}

pipelined_of() { /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tls_pipelined"])' "$1"; }

check_tls tls
check_tls tls-on --tls-pipelining on
check_tamper tamper-on --tls-pipelining on
check_tls tls-off --tls-pipelining off
check_tamper tamper-off --tls-pipelining off
auto=$([[ $(nproc) -ge 4 ]] && echo True || echo False)  # 2 ranks on this machine
got="$(pipelined_of "$work/out-tls/report.json") $(pipelined_of "$work/out-tls-on/report.json") $(pipelined_of "$work/out-tls-off/report.json")"
[[ $got == "$auto True False" ]] &&
  ok "report.json's tls_pipelined: auto $auto on $(nproc) cores for 2 ranks, on True, off False" ||
  fail "report.json's tls_pipelined for auto, on, off: $got (expected $auto True False on $(nproc) cores)"
finish
