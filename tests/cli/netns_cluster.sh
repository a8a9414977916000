#!/usr/bin/env bash
# The multi-host path for real (scripts/netns-cluster.sh): 3 hosts, each a
# network namespace with its own sshd; the leader's mpirun logs in to the
# workers over ssh and the ranks talk over the veths. Replicated and sharded
# input, every transport; the leader's model equals numpy's; nothing the test
# bed made is left behind. Skips (77) where namespaces cannot be made.
source "$(dirname "$0")/lib.sh"
export RINGSIM=$1
ids=""

for transport in mpi tcp tls; do
  for layout in --sharded ""; do
    label="3 hosts, $transport, ${layout:-replicated}"
    start=$SECONDS
    timeout 120 "$root/scripts/netns-cluster.sh" 3 $layout --transport "$transport" --check >"$work/run.log" 2>&1
    code=$?
    ids+=" $(sed -n 's/^netns-cluster: id \([0-9a-f]*\):.*/\1/p' "$work/run.log")"
    if [[ $code -eq 77 ]]; then
      grep "skipped" "$work/run.log"
      exit 77
    fi
    if [[ $code -eq 0 ]] && grep -q '^ok:' "$work/run.log" && [[ $(grep -c "exited with 0" "$work/run.log") -eq 3 ]]; then
      echo "ok   $label: every host exited 0 in $((SECONDS-start)) s; $(grep '^ok:' "$work/run.log")"
    else
      fail "$label: exit $code"; cat "$work/run.log"
    fi
    # The ranks ran where the map put them, each in its own namespace.
    grep -q "2->algo-2 (on algo-2)" "$work/run.log" || fail "$label: rank 2 did not run on algo-2"
  done
done
# Cleaned up: no namespace, link or /etc/netns entry of these clusters is
# left (others, of tests running meanwhile, may exist).
[[ -n ${ids// /} ]] || fail "the test bed did not say which names it used"
for id in $ids; do
  left=$( (ip netns list; ip -o link show; ls /etc/netns 2>/dev/null) | grep -E "rs$id-algo|rs[bv]$id" )
  [[ -z $left ]] || fail "cluster $id left behind: $left"
done
finish
