# Sourced by the benchmark scripts: machine_info prints, as key=value lines
# for a result folder's machine.txt, when and on what a run ran (date, git
# revision of this checkout, CPU, cores, kernel, OpenSSL).
machine_info() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "git_revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "cores=$(nproc)"
  echo "kernel=$(uname -r)"
  echo "openssl=$(openssl version)"
}
