#!/usr/bin/env bash
# scripts/bench/bench-tls-pipeline.sh, quick, on loopback and on a capped veth link
# between two network namespaces: every figure of the summary is finite and
# positive (CPU per byte, cores busy, ceilings), and on the veth link the
# bytes really crossed both capped ends (their qdisc counters), so the ranks
# talked over the link and not over loopback.
set -euo pipefail
export RINGSIM=$1; root=$(cd "$(dirname "$0")/../.." && pwd)
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
quick=(--reps 1 --sizes 1MiB --seconds 0.05)
"$root/scripts/bench/bench-tls-pipeline.sh" "${quick[@]}" --out "$out/loopback" >"$out/loopback.log" 2>&1 \
  || { cat "$out/loopback.log"; exit 1; }
links=(loopback)
if [[ $(id -u) -eq 0 ]] && ip netns add "rsprobe$$" 2>/dev/null; then
  ip netns del "rsprobe$$"
  "$root/scripts/bench/bench-tls-pipeline.sh" "${quick[@]}" --rate 10gbit --out "$out/veth" >"$out/veth.log" 2>&1 \
    || { cat "$out/veth.log"; exit 1; }
  links+=(veth)
  left=$(ip netns list | grep rstlspipe || true)$(ip -o link show | grep -o 'rsp[0-9]*[ab]' || true)
  [[ -z $left ]] || { echo "the bed left namespaces or veths behind: $left"; exit 1; }
else
  echo "no network namespaces here (root needed): the capped link is not tried"
fi
/usr/bin/python3 - "$out" "${links[@]}" <<'PY'
import json, math, re, sys
out, links = sys.argv[1], sys.argv[2:]
for link in links:
    summary = json.load(open(f"{out}/{link}/tls-pipeline.json"))
    rows = [r for r in summary["rows"] if "transport" in r]
    assert {r["transport"] for r in rows} == {"tcp", "tls", "tls-serial-receive", "tls-serial"}, rows
    for r in rows:
        for key in ("MBps", "over_cipher", "busy_cores", "cpu_ns_per_byte", "ceiling_over_cipher"):
            v = r[key]
            assert all(math.isfinite(v[q]) and v[q] > 0 for q in ("min", "median", "max")), (link, key, r)
        assert r["busy_cores"]["max"] <= summary["cores"] + 0.1, (summary["cores"], r)  # at most every core busy
    bounds = [r for r in summary["rows"] if "any_tls_ceiling_over_cipher" in r]
    assert {r["test"] for r in bounds} == {"pingpong", "ring"}, bounds
    for r in bounds:
        assert 0 < r["any_tls_ceiling_over_cipher"]["min"] and 0 < r["any_tls_most_over_tcp"]["min"], r
    assert "The most any TLS over this machine's TCP could move" in open(f"{out}/{link}/tls-pipeline.md").read()
    if link == "veth":
        sent = [int(n) for n in re.findall(r"Sent (\d+) bytes", open(f"{out}/veth/qdisc.txt").read())]
        assert len(sent) == 2 and min(sent) > 8 * (1 << 20), f"both capped ends carried the traffic: {sent}"
        print(f"veth: each capped end sent {min(sent) >> 20} MiB or more")
print(f"ok: {', '.join(links)}: every figure finite and positive")
PY
