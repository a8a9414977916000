#!/usr/bin/env bash
# SageMaker's enable_network_isolation on the multi-host test bed: the SDK
# example of docs/sagemaker.md (which sets it) as written, its channels and
# hyperparameters made by tests/cli/sagemaker_guide.py (certificates for
# algo-1..N, transport tls, processes_per_host, a checkpoint folder), run on
# hosts that are network namespaces whose only route is the bridge between
# them: no default route, this machine's own address unreachable
# (scripts/beds/netns-cluster.sh --check-isolated). Every host must exit 0 and the
# leader's model must equal numpy's. Skips (77) where namespaces cannot be
# made.
source "$(dirname "$0")/lib.sh"
"$ringsim" gen --rows 600 --cols 16 --seed 5 --clusters 6 --out "$work/x.npy" >/dev/null
if ! /usr/bin/python3 "$root/tests/cli/sagemaker_guide.py" "$ringsim" "$root/docs/sagemaker.md" "$work/guide" \
  --roots "$work/x.npy" >"$work/guide.log" 2>&1; then
  fail "the SDK example's ML roots"
  cat "$work/guide.log"
  finish
fi
grep -q "enable_network_isolation=True" "$root/docs/sagemaker.md" || fail "the SDK example does not set enable_network_isolation"
n=$(find "$work/guide/replicated" -mindepth 1 -maxdepth 1 -name 'algo-*' | wc -l)
start=$SECONDS
timeout 540 "$root/scripts/beds/netns-cluster.sh" "$n" --roots "$work/guide/replicated" --matrix "$work/x.npy" \
  --check-isolated --check >"$work/run.log" 2>&1
code=$?
if [[ $code -eq 77 ]]; then
  echo "skipped: $(grep skipped "$work/run.log")"
  exit 77
fi
if [[ $code -eq 0 ]] && grep -q '^isolated:' "$work/run.log" && grep -q '^ok:' "$work/run.log" &&
  [[ $(grep -c "exited with 0" "$work/run.log") -eq $n ]]; then
  ok "the SDK example on $n isolated hosts: every host exited 0 in $((SECONDS - start)) s; $(grep '^isolated:' "$work/run.log"); $(grep '^ok:' "$work/run.log")"
else
  fail "the SDK example on $n isolated hosts: exit $code"
  tail -40 "$work/run.log"
fi
finish
