# Sourced first by the CLI test scripts: strict-ish mode (a failed check must
# not stop the script), the repository root, a scratch folder removed on exit
# ($work), and failure counting: `fail WHAT` for each failed check, `finish`
# as the last line (prints the count; its status is the script's).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
finish() {
  echo "$failures failed"
  [[ $failures -eq 0 ]]
}
# COUNT (default 1) consecutive free ports below the kernel's ephemeral range
# (scripts/free-ports.py); prints the first.
free_port() {
  "$root/scripts/free-ports.py" "${1:-1}"
}
