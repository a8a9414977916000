# Sourced by the benchmarks whose options are --rows N --reps R --out DIR
# (bench-precision.sh, bench-f32-gemm.sh), before bench-setup.sh: sets
# $rows (default 30000), $cols (256), $reps and $out, and refuses an
# unknown option or an --out that exists. Arguments: the script's name,
# its default repetitions, then its own arguments.
bench_name=$1 reps=$2
shift 2
rows=30000; cols=256
out="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/bench/results/$(date +%Y%m%d)-$bench_name"
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --reps) reps=$2; shift ;; --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [[ -e $out ]]; then
  echo "bench-$bench_name: $out exists; give another --out" >&2
  exit 2
fi
