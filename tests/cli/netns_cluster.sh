#!/usr/bin/env bash
# The multi-host path for real (scripts/beds/netns-cluster.sh): 1, 2 and 3 hosts,
# each a network namespace with its own sshd, /dev/shm and host name; the
# leader's mpirun logs in to the workers over ssh and the ranks talk over the
# veths. Every host's gethostname() says "aws", as in SageMaker's containers,
# for every host count, layout (replicated, sharded) and transport (mpi, tcp,
# tls); then random container ids (the SDK's local mode) and algo-K names.
# Each case: every host exits 0 and the leader's model equals numpy's; the
# ranks ran where the map put them; nothing the test bed made is left behind.
# Skips (77, before any case ran) where namespaces cannot be made.
source "$(dirname "$0")/lib.sh"
ids=""
ran=0

run_case() {  # HOSTNAMES HOSTS TRANSPORT LAYOUT
  local names=$1 n=$2 transport=$3 layout=$4 code start
  local label="$n host(s) named $names, $transport, ${layout:-replicated}"
  start=$SECONDS
  timeout 180 "$root/scripts/beds/netns-cluster.sh" "$n" --hostnames "$names" $layout --transport "$transport" --check \
    >"$work/run.log" 2>&1
  code=$?
  ids+=" $(sed -n 's/^netns-cluster: id \([0-9a-f]*\):.*/\1/p' "$work/run.log")"
  if [[ $code -eq 77 ]]; then
    if ((ran == 0 && failures == 0)); then
      echo "skipped: $(grep "skipped" "$work/run.log")"
      exit 77
    fi
    fail "$label: the bed skipped after other cases ran"
    return
  fi
  ran=$((ran + 1))
  if [[ $code -eq 0 ]] && grep -q '^ok:' "$work/run.log" && [[ $(grep -c "exited with 0" "$work/run.log") -eq $n ]]; then
    ok "$label: every host exited 0 in $((SECONDS - start)) s; $(grep '^ok:' "$work/run.log")"
  else
    fail "$label: exit $code"
    cat "$work/run.log"
  fi
  # The ranks ran where the map put them: the last rank on the last host, by
  # the name its own resourceconfig.json gives it.
  local last=$((2 * n - 1))
  grep -q "$last->algo-$n (on algo-$n)" "$work/run.log" || fail "$label: rank $last did not report algo-$n"
}

for n in 1 2 3; do
  for transport in mpi tcp tls; do
    for layout in "" --sharded; do run_case aws "$n" "$transport" "$layout"; done
  done
done
for n in 1 2 3; do
  for transport in mpi tcp tls; do run_case random "$n" "$transport" "$([[ $transport == tcp ]] && echo --sharded)"; done
done
for transport in mpi tcp tls; do
  for layout in "" --sharded; do run_case algo 3 "$transport" "$layout"; done
done

# Cleaned up: no namespace, link or /etc/netns entry of these clusters is
# left (others, of tests running meanwhile, may exist).
[[ -n ${ids// /} ]] || fail "the test bed did not say which names it used"
for id in $ids; do
  left=$( (ip netns list; ip -o link show; ls /etc/netns 2>/dev/null) | grep -E "rs$id-algo|rs[bv]$id" )
  [[ -z $left ]] || fail "cluster $id left behind: $left"
done
echo "$ran cases ran"
finish
