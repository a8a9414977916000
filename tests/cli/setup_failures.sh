#!/usr/bin/env bash
# Failures that only some ranks see during set-up, and guards on --out:
# each must end every rank quickly with one line naming the cause, never
# hang (these used to hang until killed), and leave no result file.
source "$(dirname "$0")/lib.sh"
ringsim=$1
trap 'rm -rf "$work"; jobs -p | xargs -r kill -9 2>/dev/null' EXIT
"$ringsim" gen --rows 500 --cols 16 --seed 3 --out "$work/x.npy" >/dev/null
"$ringsim" certs --out "$work/certs" --hosts ha,hb,hc >/dev/null

expect() {  # expect NAME NEEDLE BOUND_SECONDS ARGS...
  local name=$1 needle=$2 bound=$3; shift 3
  local out="$work/out-$name"
  local start=$SECONDS
  timeout -s KILL 60 mpirun -np 3 "$ringsim" run --input "$work/x.npy" --out "$out" --quiet --timeout 20 "$@" \
    >"$work/$name.stdout" 2>"$work/$name.stderr"
  local code=$? took=$((SECONDS - start))
  local problems=()
  [[ $code -eq 0 ]] && problems+=("exit code 0")
  ((took > bound)) && problems+=("took ${took}s > ${bound}s")
  grep -q -- "$needle" "$work/$name.stderr" || problems+=("no '$needle'")
  [[ -d $out && -n "$(ls -A "$out")" ]] && problems+=("left $(ls -A "$out")")
  if ((${#problems[@]})); then
    echo "FAIL $name (exit $code, ${took}s): ${problems[*]}"; sed 's/^/    /' "$work/$name.stderr" | head -12
    failures=$((failures + 1))
  else
    echo "ok   $name (exit $code, ${took}s): $(grep -m1 '^ringsim: error:' "$work/$name.stderr")"
  fi
}

tls=(--transport tls --hosts ha,hb,hc --tls-ca "$work/certs/ca.pem" --tls-cert "$work/certs/{host}.pem"
     --tls-key "$work/certs/{host}.key")
# One host's certificate missing (on SageMaker: {host}.pem absent from the channel).
mv "$work/certs/hc.pem" "$work/certs/hc.pem.away"
expect cert-missing-on-one-rank "rank 2 (host hc) in phase connect: .*hc.pem" 15 "${tls[@]}"
mv "$work/certs/hc.pem.away" "$work/certs/hc.pem"
# One host's key does not match its certificate.
cp "$work/certs/hb.key" "$work/certs/hb.key.good"; cp "$work/certs/ha.key" "$work/certs/hb.key"
expect key-mismatch-on-one-rank "rank 1 (host hb) in phase connect" 15 "${tls[@]}"
cp "$work/certs/hb.key.good" "$work/certs/hb.key"
# Two ranks on one host asked to listen on the same port.
port=$(free_port)
expect bind-port-taken "Address already in use" 15 --transport tcp --bind "127.0.0.1:$port"
# A threshold that qualifies every pair is refused before computing.
expect threshold-too-large "would write" 15 --mode threshold --threshold -2 --max-output-bytes 100000

# --out held by a running job: the second job fails naming the first.
hold="$work/held"
RINGSIM_FAULT=1:ring:STOP timeout -s KILL 60 mpirun -np 2 "$ringsim" run --input "$work/x.npy" --out "$hold" \
  --quiet --timeout 15 >/dev/null 2>&1 &
for _ in $(seq 100); do grep -q "$hold" /proc/locks 2>/dev/null && break; [[ -d $hold ]] && break; sleep 0.1; done
sleep 1
expect_out_locked() {
  local start=$SECONDS
  timeout -s KILL 60 mpirun -np 2 "$ringsim" run --input "$work/x.npy" --out "$hold" --quiet >"$work/lock.out" 2>&1
  local code=$?
  if [[ $code -ne 0 ]] && grep -q "is in use by another ringsim job (process [0-9]*)" "$work/lock.out"; then
    echo "ok   out-locked (exit $code, $((SECONDS - start))s): $(grep -m1 '^ringsim: error:' "$work/lock.out")"
  else
    echo "FAIL out-locked (exit $code)"; sed 's/^/    /' "$work/lock.out" | head; failures=$((failures + 1))
  fi
}
expect_out_locked
wait

# A reused --out: results of another mode are removed, not left beside the new ones.
reuse="$work/reuse"
mpirun -np 2 "$ringsim" run --input "$work/x.npy" --out "$reuse" --quiet --mode full >/dev/null 2>&1
mpirun -np 2 "$ringsim" run --input "$work/x.npy" --out "$reuse" --quiet --mode topk >/dev/null 2>&1
got=$(ls "$reuse" | tr '\n' ' ')
if [[ $got == "neighbors.npy report.json rows.json scores.npy " ]]; then echo "ok   stale-results-removed: $got"
else echo "FAIL stale-results-removed: $got"; failures=$((failures + 1)); fi

finish
