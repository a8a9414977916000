#!/usr/bin/env bash
# What --encrypt leaves on the wire between hosts (scripts/beds/netns-cluster.sh,
# 2 hosts x 2 ranks, frames recorded on algo-1's link at the bridge): the
# matrix holds marker rows whose bytes on the wire are known in advance.
#  - tcp: the markers are in the capture (the capture can see them);
#  - tls, encrypt=inter-host (what the launcher does by default, as
#    SageMaker's inter-container encryption): no marker in the capture, and
#    report.json names 2 of the 4 ring edges encrypted (the two between
#    hosts), each rank's edge to its host-mate plain;
#  - tls, encrypt=all: no marker, 4 of 4 ring edges encrypted;
#  - tls, encrypt=all, tls_pipelining=on and =off: the same, and report.json
#    says which record path ran (auto, the default: pipelined only where the
#    machine has 2 cores per rank on it);
# every model byte-identical to the mpi run's. Skips (77) where the bed
# cannot run, before any case.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
x = np.random.default_rng(5).standard_normal((400, 64)).astype(np.float32)
# +-1 entries spelling "RINGSIM!" in sign bits: a cosine top-k job sends
# the rows as given (docs/precision.md), so these are the bytes that travel.
bits = np.unpackbits(np.frombuffer(b"RINGSIM!", dtype=np.uint8)).astype(bool)
x[::10] = np.where(bits, -1.0, 1.0).astype(np.float32)
np.save(f"{w}/X.npy", x)
open(f"{w}/marker.bin", "wb").write(np.where(bits, -1.0, 1.0).astype("<f4").tobytes())
PY
found() { /usr/bin/python3 -c 'import sys; sys.exit(0 if open(sys.argv[2],"rb").read() in open(sys.argv[1],"rb").read() else 1)' "$1" "$work/marker.bin"; }
ring_edges() {  # REPORT -> "E of R ring edges encrypted; per rank: ..."
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ranks = r["ranks"]
p = len(ranks)
edges = {x["rank"]: {e["peer"]: e["encrypted"] for e in x["transport"].get("edges", [])} for x in ranks}
ring = [(q, (q + 1) % p) for q in range(p)]
# Both ends must agree on each edge.
agree = all(edges[a].get(b) == edges[b].get(a) for a, b in ring)
print(sum(edges[a].get(b, False) for a, b in ring), "of", len(ring), "ring edges encrypted;",
      "ends agree" if agree else "ENDS DISAGREE", ";",
      " ".join(f"{q}:{sorted(k for k, v in edges[q].items() if v)}" for q in sorted(edges)))
PY
}
ran=0
run() {  # LABEL TRANSPORT [--hp encrypt=...] -> model in $work/LABEL/algo-1/model, capture in $work/LABEL.cap
  local label=$1 transport=$2; shift 2
  # 6 cases x 90 s stay inside the test's 600 s bound; a case takes about 12 s.
  timeout 90 "$root/scripts/beds/netns-cluster.sh" 2 --transport "$transport" --cols 64 --matrix "$work/X.npy" \
    --capture "$work/$label.cap" --keep "$work/$label" "$@" >"$work/$label.log" 2>&1
  local code=$?
  if [[ $code -eq 77 ]]; then
    ((ran == 0 && failures == 0)) && { echo "skipped: $(grep -m1 skipped "$work/$label.log")"; exit 77; }
    fail "$label: the bed skipped after other cases ran"
    return 1
  fi
  ran=$((ran + 1))
  [[ $code -eq 0 ]] || { fail "$label: exit $code"; tail -20 "$work/$label.log"; return 1; }
}
run mpi mpi && model_mpi="$work/mpi/algo-1/model"
if run tcp tcp; then
  found "$work/tcp.cap" && ok "tcp: the marker rows are in the capture of algo-1's link ($(stat -c %s "$work/tcp.cap") bytes)" \
    || fail "tcp: no marker in the capture: the capture cannot see the rows"
fi
# Auto's choice here: the bed's hosts are namespaces of this one machine,
# so its cores serve all 4 ranks (unbound, as the launcher starts them).
auto=$([[ $(nproc) -ge 8 ]] && echo True || echo False)
for variant in inter-host all all-on all-off; do
  label="tls-$variant" encrypt=${variant%-o*}
  hp=(--hp "encrypt=$encrypt")
  [[ $variant == *-o* ]] && hp+=(--hp "tls_pipelining=${variant##*-}")
  run "$label" tls "${hp[@]}" || continue
  model="$work/$label/algo-1/model"
  found "$work/$label.cap" && fail "$label: marker rows in plaintext on the link between hosts"
  summary=$(ring_edges "$model/report.json")
  want=$([[ $encrypt == all ]] && echo "4 of 4" || echo "2 of 4")
  [[ $summary == "$want ring edges encrypted; ends agree"* ]] || fail "$label: $summary (expected $want)"
  for f in neighbors.npy scores.npy; do
    cmp -s "$model_mpi/$f" "$model/$f" || fail "$label: $f differs from the mpi run"
  done
  pipelined=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["tls_pipelined"])' "$model/report.json")
  case $variant in *-on) want=True ;; *-off) want=False ;; *) want=$auto ;; esac
  [[ $pipelined == "$want" ]] || fail "$label: report.json's tls_pipelined is $pipelined, expected $want"
  ok "$label: no marker in $(stat -c %s "$work/$label.cap") captured bytes; $summary; tls_pipelined $pipelined; model byte-identical to mpi"
done
finish
