#!/usr/bin/env bash
# Failures that only some ranks see during set-up, and guards on --out:
# each must end every rank quickly with one line naming the cause, never
# hang (these used to hang until killed), and leave no result file.
source "$(dirname "$0")/lib.sh"
trap 'rm -rf "$work"; jobs -p | xargs -r kill -9 2>/dev/null' EXIT
"$ringsim" gen --rows 500 --cols 16 --seed 3 --out "$work/x.npy" >/dev/null
"$ringsim" certs --out "$work/certs" --hosts ha,hb,hc >/dev/null
job=(--input "$work/x.npy" --timeout 20)

tls=(--transport tls --hosts ha,hb,hc --tls-ca "$work/certs/ca.pem" --tls-cert "$work/certs/{host}.pem"
     --tls-key "$work/certs/{host}.key")
# One host's certificate missing (on SageMaker: {host}.pem absent from the channel).
mv "$work/certs/hc.pem" "$work/certs/hc.pem.away"
expect_failure --within 15 cert-missing-on-one-rank "rank 2 (host hc) in phase connect: .*hc.pem" "${job[@]}" "${tls[@]}"
mv "$work/certs/hc.pem.away" "$work/certs/hc.pem"
# One host's key does not match its certificate.
cp "$work/certs/hb.key" "$work/certs/hb.key.good"; cp "$work/certs/ha.key" "$work/certs/hb.key"
expect_failure --within 15 key-mismatch-on-one-rank "rank 1 (host hb) in phase connect" "${job[@]}" "${tls[@]}"
cp "$work/certs/hb.key.good" "$work/certs/hb.key"
# Two ranks on one host asked to listen on the same port.
port=$(free_port)
expect_failure --within 15 bind-port-taken "Address already in use" "${job[@]}" --transport tcp --bind "127.0.0.1:$port"
# A threshold that qualifies every pair is refused before computing.
expect_failure --within 15 threshold-too-large "would write" "${job[@]}" --mode threshold --threshold -2 --max-output-bytes 100000
# A threshold whose estimate came out low: rank 2 goes over its pair cap in
# the ring. 2304 rows, 768 a rank (--tile 256); rank 2's rows that the plan's
# sample skips (output_budget.cpp: local rows (2t + 1) * 768 / 684, t < 342)
# point one way, the rest are random and point away: 90525 pairs on rank 2,
# none in the sample; 1e6 bytes allow 38461 a rank. Every rank must fail at
# once (not on the 20 s peer timeout) naming rank 2.
/usr/bin/python3 - "$work/hidden-pairs.npy" <<'PY'
import sys
import numpy as np
rank_rows, sampled = 768, 342
x = np.random.default_rng(7).standard_normal((3 * rank_rows, 16)).astype(np.float32)
x[:, 0] = -np.abs(x[:, 0])
hidden = np.ones(rank_rows, bool)
hidden[[(2 * t + 1) * rank_rows // (2 * sampled) for t in range(sampled)]] = False
rows = 2 * rank_rows + np.flatnonzero(hidden)
x[rows] = 0
x[rows, 0] = 1
np.save(sys.argv[1], x)
PY
expect_failure --within 8 --one-error-line pair-cap-in-ring "rank 2 found more than 38461 pairs.*raise --max-output-bytes or the threshold" \
  --input "$work/hidden-pairs.npy" --timeout 20 --tile 256 --mode threshold --threshold 0.99 --max-output-bytes 1000000

# --out held by a running job: the second job fails naming the first.
hold="$work/held"
RINGSIM_FAULT=1:ring:STOP job_seconds=60 run_job 2 --input "$work/x.npy" --out "$hold" --timeout 15 >/dev/null 2>&1 &
for _ in $(seq 100); do grep -q "$hold" /proc/locks 2>/dev/null && break; [[ -d $hold ]] && break; sleep 0.1; done
sleep 1
expect_out_locked() {
  local start=$SECONDS
  job_seconds=60 run_job 2 --input "$work/x.npy" --out "$hold" >"$work/lock.out" 2>&1
  local code=$?
  if [[ $code -ne 0 ]] && grep -q "is in use by another ringsim job (process [0-9]*)" "$work/lock.out"; then
    ok "out-locked (exit $code, $((SECONDS - start))s): $(grep -m1 '^ringsim: error:' "$work/lock.out")"
  else
    fail "out-locked (exit $code)"; sed 's/^/    /' "$work/lock.out" | head
  fi
}
expect_out_locked
wait

# A reused --out: results of another mode are removed, not left beside the new ones.
reuse="$work/reuse"
run_job 2 --input "$work/x.npy" --out "$reuse" --mode full >/dev/null 2>&1
run_job 2 --input "$work/x.npy" --out "$reuse" --mode topk >/dev/null 2>&1
got=$(ls "$reuse" | tr '\n' ' ')
if [[ $got == "neighbors.npy report.json rows.json scores.npy " ]]; then ok "stale-results-removed: $got"
else fail "stale-results-removed: $got"; fi

finish
