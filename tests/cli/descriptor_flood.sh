#!/usr/bin/env bash
# A flood of silent connections on a rank's port under a low descriptor
# limit (`ulimit -n 256` for the job): tests/tools/stranger.py opens up to
# 600 at once while rank 0 accepts (its real peers reach it through a proxy
# that holds them 3 s). Over tcp and tls the job still ends 0 with results
# byte-identical to an mpi run: a rank keeps at most a capped number of
# connections waiting for their greeting (the oldest dropped first), and a
# full descriptor table (EMFILE) drops connections, never the job.
source "$(dirname "$0")/lib.sh"
tools="$root/tests/tools"
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT
"$ringsim" gen --rows 1203 --cols 24 --seed 8 --out "$work/X.npy" >/dev/null
"$ringsim" certs --out "$work/certs" >/dev/null
common=(run --input "$work/X.npy" --k 6 --quiet --timeout 30)
timeout 60 mpirun -np 3 "$ringsim" "${common[@]}" --out "$work/reference" >/dev/null 2>&1 \
  || fail "the reference run over mpi failed"
limit=256
for transport in tcp tls; do
  port=$(free_port)
  rm -f "$work/delay.port"
  /usr/bin/python3 "$tools/stranger.py" delay --target "127.0.0.1:$port" --port-file "$work/delay.port" \
    --seconds 60 --delay 3 >"$work/delay.log" 2>&1 &
  proxy=$!
  for _ in $(seq 100); do [[ -s "$work/delay.port" ]] && break; sleep 0.1; done
  /usr/bin/python3 "$tools/stranger.py" flood --target "127.0.0.1:$port" --count 600 --seconds 60 \
    >"$work/flood.log" 2>&1 &
  flood=$!
  tls=()
  [[ $transport == tls ]] && tls=(--tls-ca "$work/certs/ca.pem" --tls-cert "$work/certs/{host}.pem"
    --tls-key "$work/certs/{host}.key")
  out=$work/flood-$transport
  start=$SECONDS
  (
    ulimit -n $limit
    timeout 90 mpirun -np 1 "$ringsim" "${common[@]}" --out "$out" --transport "$transport" "${tls[@]}" \
      --bind "127.0.0.1:$port" --advertise "127.0.0.1:$(cat "$work/delay.port")" \
      : -np 2 "$ringsim" "${common[@]}" --out "$out" --transport "$transport" "${tls[@]}"
  ) >"$out.log" 2>&1
  code=$?
  took=$((SECONDS - start))
  kill "$flood" "$proxy" 2>/dev/null
  wait "$flood" "$proxy" 2>/dev/null
  if [[ $code -ne 0 ]]; then
    fail "$transport: a flood of silent connections under ulimit -n $limit: exit $code in $took s"
    sed 's/^/    /' "$out.log" | head -20
    continue
  fi
  same=1
  for file in neighbors.npy scores.npy; do
    cmp -s "$work/reference/$file" "$out/$file" || { same=0; fail "$transport under a flood: $file differs from mpi"; }
  done
  made=$(sed -n 's/.*, \([0-9]*\) made$/\1/p' "$work/flood.log")
  if ! grep -q "ignored a connection to its port" "$out.log" || ((${made:-0} <= limit)); then
    fail "$transport: the flood did not reach rank 0 while it accepted ($(cat "$work/flood.log"))"
  elif ((same)); then
    ok "$transport: flood under ulimit -n $limit ($(tail -1 "$work/flood.log")): exit 0 in $took s, results" \
      "byte-identical to mpi: $(grep -m1 'ignored a connection' "$out.log")"
  fi
done
finish
