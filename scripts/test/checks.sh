# Sourced by the scripts that run many checks and report them together (the
# CLI tests through tests/cli/lib.sh, scripts/test/test-image.sh): `ok WHAT` and
# `fail WHAT` for each check, `finish` last: it prints "N passed, N failed"
# and its status is 0 only when no check failed, so a script that ends with
# it exits with that status.
passed=0
failures=0
ok() {
  echo "ok   $*"
  passed=$((passed + 1))
}
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
finish() {
  echo "$passed passed, $failures failed"
  ((failures == 0))
}
