#!/usr/bin/env bash
# Faults across hosts in the network-namespace test bed (scripts/beds/netns-cluster.sh,
# 3 hosts): each case ends on every host within its bound, and each host's
# output/failure names the host at fault and why.
#   link-down  algo-2's veth goes down mid-job (a cut cable: no FIN, no RST)
#   kill       every process of algo-3 killed mid-job (a lost instance)
#   late       algo-3 starts after the wait_seconds bound / within it
#   no leader  algo-1 never starts
#   foreign    algo-2's (a worker's), then algo-1's (the leader's) certificate
#              channel from another job CA, wait_seconds 600: every host ends
#              within 60 s of the start, naming the host at fault
# The ranks' --timeout is 60 s, so a lost host must be noticed by mpirun and
# the launchers themselves, not by the ranks' own timeouts.
source "$(dirname "$0")/lib.sh"

# run_case NAME CLUSTER-OPTIONS...: runs the cluster, keeps its folder in $work/NAME.
# The test bed exits 77 where it cannot be built (no namespaces, no sshd):
# that is a skip (with its reason) only before any case has run; after one
# has, the bed worked, so a 77 is a failure of this case and is counted, and
# the script never reports "skipped" over failures already found.
cases_run=0
run_case() {
  local name=$1; shift
  timeout 240 "$root/scripts/beds/netns-cluster.sh" 3 --keep "$work/$name" "$@" >"$work/$name.log" 2>&1
  local code=$?
  if [[ $code -eq 77 ]]; then
    if ((cases_run == 0 && failures == 0)); then
      grep skipped "$work/$name.log" || echo "skipped: the test bed exited 77 without a reason"
      exit 77
    fi
    fail "$name: the test bed skipped after $cases_run cases ran: $(grep -m1 skipped "$work/$name.log")"
  fi
  cases_run=$((cases_run + 1))
  [[ $code -ne 124 ]] || fail "$name: the test bed itself timed out"
}
exit_of() { sed -n "s/^$2 exited with \([0-9]*\) after.*/\1/p" "$work/$1.log"; }   # CASE HOST
seconds_of() { sed -n "s/^$2 exited with [0-9]* after \([0-9]*\) s/\1/p" "$work/$1.log"; }
fault_at() { sed -n "s/^fault: .* at \([0-9]*\) s/\1/p" "$work/$1.log"; }
# expect_host CASE HOST EXIT(nonzero|0) LATEST_SECONDS NEEDLE
expect_host() {
  local case=$1 host=$2 want=$3 latest=$4 needle=$5
  local code seconds
  code=$(exit_of "$case" "$host") seconds=$(seconds_of "$case" "$host")
  [[ -n $code ]] || { fail "$case: $host never exited"; return; }
  if [[ $want == nonzero ]]; then [[ $code -ne 0 ]] || fail "$case: $host exited 0"
  else [[ $code -eq 0 ]] || fail "$case: $host exited $code"; fi
  [[ $seconds -le $latest ]] || fail "$case: $host took $seconds s (bound $latest s)"
  if [[ -n $needle ]]; then
    grep -q -- "$needle" "$work/$case/$host/output/failure" 2>/dev/null \
      || fail "$case: $host's failure file lacks '$needle': $(cat "$work/$case/$host/output/failure" 2>&1)"
  fi
}
# Big enough to be still running seconds after the ranks are up, even on an
# idle machine (the faults strike 2 s in).
big=(--rows 120000 --cols 128 --hp timeout=60)

run_case link-down "${big[@]}" --fault link-down:algo-2:2
at=$(fault_at link-down); at=${at:-0}
expect_host link-down algo-1 nonzero $((at + 60)) "mpirun lost contact with host algo-2"
expect_host link-down algo-3 nonzero $((at + 60)) "mpirun lost contact with host algo-2"
expect_host link-down algo-2 nonzero $((at + 60)) "lost the connection to the leader algo-1"
ok "link-down algo-2 at $at s: hosts ended at $(seconds_of link-down algo-1)/$(seconds_of link-down algo-2)/$(seconds_of link-down algo-3) s"

run_case kill "${big[@]}" --fault kill:algo-3:2
at=$(fault_at kill); at=${at:-0}
expect_host kill algo-1 nonzero $((at + 30)) "mpirun lost contact with host algo-3"
expect_host kill algo-2 nonzero $((at + 30)) "mpirun lost contact with host algo-3"
ok "kill algo-3 at $at s: hosts ended at $(seconds_of kill algo-1)/$(seconds_of kill algo-2) s"

run_case late --hp wait_seconds=6 --delay algo-3=12
expect_host late algo-1 nonzero 16 "algo-3"
expect_host late algo-2 nonzero 16 "algo-3"
expect_host late algo-3 nonzero 28 "the leader algo-1 never connected"
ok "algo-3 12 s late, bound 6 s: hosts ended at $(seconds_of late algo-1)/$(seconds_of late algo-2)/$(seconds_of late algo-3) s"

run_case late-ok --hp wait_seconds=30 --delay algo-3=8 --check
expect_host late-ok algo-1 0 60 ""
expect_host late-ok algo-3 0 60 ""
grep -q "^ok:" "$work/late-ok.log" || fail "late-ok: result differs from numpy"
ok "algo-3 8 s late, bound 30 s: the job ran, $(seconds_of late-ok algo-1) s"

run_case no-leader --hp wait_seconds=6 --absent algo-1
expect_host no-leader algo-2 nonzero 16 "the leader algo-1 never connected"
expect_host no-leader algo-3 nonzero 16 "the leader algo-1 never connected"
ok "no leader, bound 6 s: workers ended at $(seconds_of no-leader algo-2)/$(seconds_of no-leader algo-3) s"

for bad in algo-2 algo-1; do
  run_case "foreign-$bad" --transport tls --hp wait_seconds=600 --foreign-certs "$bad"
  for host in algo-1 algo-2 algo-3; do expect_host "foreign-$bad" "$host" nonzero 60 "$bad"; done
  ok "$bad with another CA's certificates, wait_seconds 600: hosts ended at" \
    "$(seconds_of "foreign-$bad" algo-1)/$(seconds_of "foreign-$bad" algo-2)/$(seconds_of "foreign-$bad" algo-3) s;" \
    "algo-3: $(cut -c1-160 "$work/foreign-$bad/algo-3/output/failure" 2>/dev/null)"
done

for case in link-down kill late late-ok no-leader foreign-algo-2 foreign-algo-1; do
  [[ $failures -eq 0 ]] || { echo "--- $case"; cat "$work/$case.log" | grep -v similarity_ | tail -25; }
done
finish
