# Sourced by the benchmark scripts once their options are read: which binary
# they run (ringsim-binary.sh sets $ringsim and $build), its dependencies and
# build unless RINGSIM_SKIP_BUILD is set (CTest runs them on the build under
# test), MPI's environment (env.sh), a scratch folder $work removed on exit,
# $have_faiss (1 when Debian's Python imports faiss) and time_of. Arguments:
# what deps.sh installs beyond the build's (--faiss, --bench).
scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$scripts/setup/ringsim-binary.sh"
if [[ -z "${RINGSIM_SKIP_BUILD:-}" ]]; then
  "$scripts/setup/deps.sh" "$@"
  "$scripts/setup/build.sh" >/dev/null
fi
source "$scripts/setup/env.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
have_faiss=0
/usr/bin/python3 -c "import faiss" 2>/dev/null && have_faiss=1
time_of() {  # wall seconds of a command, its output dropped
  local start=$EPOCHREALTIME
  "$@" >/dev/null 2>&1
  awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }'
}
