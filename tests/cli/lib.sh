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
# A free port below the kernel's ephemeral range: no outgoing connection of
# another test can take it between this check and the rank's bind.
free_port() {
  /usr/bin/python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
while True:
    port = random.randrange(10000, low)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port)); print(port); break
    except OSError:
        pass
    finally:
        s.close()'
}
