# Sourced first by the CLI test scripts: strict-ish mode (a failed check must
# not stop the script), the repository root, a scratch folder removed on exit
# ($work), and check counting (scripts/test/checks.sh): `ok WHAT` / `fail WHAT`
# for each check, `finish` as the last line (its status is the script's).
# The binary under test is the script's first argument (CTest passes the one
# it built): $ringsim, and exported as RINGSIM so that the scripts/ a test
# starts run it too (scripts/setup/ringsim-binary.sh).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ringsim=$(realpath "${1:?usage: $0 RINGSIM_BINARY ...}")
export RINGSIM=$ringsim
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$root/scripts/test/checks.sh"
# COUNT (default 1) consecutive free ports below the kernel's ephemeral range
# (scripts/beds/free-ports.py); prints the first.
free_port() {
  "$root/scripts/beds/free-ports.py" "${1:-1}"
}
# run_job RANKS ARGS...: `ringsim run --quiet ARGS` on RANKS ranks under
# mpirun, killed after $job_seconds (default 120) so that no job outlives its
# test's bound.
run_job() {
  local ranks=$1
  shift
  timeout -s KILL "${job_seconds:-120}" mpirun -np "$ranks" "$ringsim" run --quiet "$@"
}
# expect_failure [--within SECONDS] [--one-error-line] [--out DIR] NAME NEEDLE ARGS...
# A 3-rank job given ARGS must fail: exit non-zero before it is killed (60 s,
# or --within), name NEEDLE (a grep pattern) in its stderr, print exactly one
# "ringsim: error:" line with --one-error-line, and leave its --out folder
# (default $work/out-NAME) without a file. Its output is kept in
# $work/NAME.stdout and $work/NAME.stderr.
expect_failure() {
  local within=60 one_line=0 out=""
  while [[ $1 == --* ]]; do
    case $1 in
      --within) within=$2; shift ;;
      --one-error-line) one_line=1 ;;
      --out) out=$2; shift ;;
    esac
    shift
  done
  local name=$1 needle=$2
  shift 2
  out=${out:-$work/out-$name}
  local start=$SECONDS
  job_seconds=60 run_job 3 --out "$out" "$@" >"$work/$name.stdout" 2>"$work/$name.stderr"
  local code=$? took=$((SECONDS - start))
  local problems=() lines
  lines=$(grep -c "^ringsim: error:" "$work/$name.stderr")
  [[ $code -eq 0 ]] && problems+=("exit code 0")
  [[ $code -eq 137 ]] && problems+=("killed after 60 s")
  ((took > within)) && problems+=("took ${took}s > ${within}s")
  ((one_line && lines != 1)) && problems+=("$lines error lines")
  grep -q -- "$needle" "$work/$name.stderr" || problems+=("no '$needle'")
  [[ -d $out && -n "$(ls -A "$out")" ]] && problems+=("left $(ls -A "$out" | tr "\n" " ")")
  if ((${#problems[@]})); then
    fail "$name (exit $code, ${took}s): ${problems[*]}"
    sed 's/^/    /' "$work/$name.stderr" | head -12
  else
    ok "$name (exit $code, ${took}s): $(grep -m1 '^ringsim: error:' "$work/$name.stderr")"
  fi
}
