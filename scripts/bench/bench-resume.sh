#!/usr/bin/env bash
# Checkpoint and resume, measured: what a checkpointed job costs when nothing
# goes wrong, and what a rerun saves after a real kill -9 of one rank.
#
#   (a)  uninterrupted, no checkpoints, and (a') uninterrupted with
#        --checkpoint-dir, alternated for --rounds rounds (the order flips
#        every round, so a drift of the machine's speed hits both alike);
#   (b)  with --checkpoint-dir, one rank (--victim, default 1) killed with
#        `kill -9` from outside at --kill-at (default 0.5) of (a)'s median
#        end-to-end wall time (not the RINGSIM_FAULT hook: the process is
#        found by its OMPI_COMM_WORLD_RANK and killed wherever it is);
#   (c)  the rerun with the same --checkpoint-dir, which must resume
#        (resumed_steps > 0) and write neighbors.npy and scores.npy
#        byte-identical to (a)'s (cmp).
#
# Wall times are end to end (mpirun start to exit, what a user waits for);
# the in-job wall_seconds of report.json are recorded beside them.
# Results (every report.json, timings.csv, summary.md) go to a new folder,
# by default bench/results/resume-<UTC time>; an existing non-empty --out is
# refused, so committed results are never overwritten. Exits non-zero if the
# rerun did not resume or its outputs differ.
#
# Usage: scripts/bench/bench-resume.sh [--rows N] [--cols D] [--ranks P] [--k K]
#          [--rounds R] [--kill-at F] [--victim RANK] [--checkpoint-every S]
#          [--transport mpi|tcp|tls] [--out DIR]
# The binary: $RINGSIM, else build/ringsim (scripts/setup/ringsim-binary.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
rows=100000; cols=128; ranks=4; k=10; rounds=2; kill_at=0.5; victim=1; every=1; transport=mpi
out=""
while (($#)); do
  case $1 in
    --rows) rows=$2; shift ;; --cols) cols=$2; shift ;; --ranks) ranks=$2; shift ;; --k) k=$2; shift ;;
    --rounds) rounds=$2; shift ;; --kill-at) kill_at=$2; shift ;; --victim) victim=$2; shift ;;
    --checkpoint-every) every=$2; shift ;; --transport) transport=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
((rounds >= 1 && victim >= 0 && victim < ranks)) || { echo "need --rounds >= 1 and 0 <= --victim < --ranks" >&2; exit 2; }
source "$root/scripts/setup/env.sh"
source "$root/scripts/setup/ringsim-binary.sh"
out=${out:-$root/bench/results/resume-$(date -u +%Y%m%d-%H%M%S)}
if [[ -e $out && -n "$(ls -A "$out" 2>/dev/null)" ]]; then
  echo "bench-resume: $out exists and is not empty; give a new --out" >&2
  exit 2
fi
mkdir -p "$out"
work=$(mktemp -d)
cleanup() {
  # Only processes of this script's jobs (their --out lies under $work).
  pkill -KILL -f -- "--out $work/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
extra=(); [[ $transport == tls ]] && extra=(--tls-ephemeral)

now() { date +%s.%N; }
# job NAME [ARGS...]: runs one job into $work/NAME, prints its end-to-end
# seconds; its report.json is kept as $out/NAME.report.json.
job() {
  local name=$1; shift
  local start; start=$(now)
  timeout -s KILL 900 mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" --out "$work/$name" --k "$k" \
    --quiet --transport "$transport" "${extra[@]}" "$@" >"$out/$name.log" 2>&1 ||
    { echo "job $name failed; see $out/$name.log" >&2; return 1; }
  echo "$(now) - $start" | bc
  cp "$work/$name/report.json" "$out/$name.report.json"
}
field() { /usr/bin/python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$@"; }

"$ringsim" gen --rows "$rows" --cols "$cols" --seed 4 --out "$work/x.npy" >/dev/null
machine="$(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p' | head -1), load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
echo "bench-resume: n=$rows d=$cols P=$ranks top-$k transport=$transport checkpoint-every=$every; $machine"
echo "results: $out"
echo "kind,round,end_to_end_s,in_job_wall_s,compute_s_max,checkpoint_s_max,resumed_steps" >"$out/timings.csv"
record() {  # record KIND ROUND SECONDS NAME
  local rep="$out/$4.report.json"
  echo "$1,$2,$3,$(field "$rep" "r['wall_seconds']"),$(field "$rep" "max(q['seconds']['compute'] for q in r['ranks'])"),$(field "$rep" "max(q['seconds']['checkpoint'] for q in r['ranks'])"),$(field "$rep" "r['resumed_steps']")" \
    >>"$out/timings.csv"
}

# (a) and (a'): alternated, the order flipped every round.
for ((i = 1; i <= rounds; i++)); do
  order=(plain ckpt); ((i % 2 == 0)) && order=(ckpt plain)
  for kind in "${order[@]}"; do
    if [[ $kind == plain ]]; then
      s=$(job "plain-$i")
    else
      s=$(job "ckpt-$i" --checkpoint-dir "$work/ck-$i" --checkpoint-every "$every")
      [[ -z "$(ls -A "$work/ck-$i")" ]] || { echo "checkpoints left after a successful run: $(ls "$work/ck-$i")" >&2; exit 1; }
    fi
    record "$kind" "$i" "$s" "$kind-$i"
    echo "  round $i $kind: $s s"
  done
done
for ((i = 1; i <= rounds; i++)); do  # every run's outputs equal the first plain run's
  for name in plain-$i ckpt-$i; do
    for f in neighbors.npy scores.npy; do
      cmp -s "$work/plain-1/$f" "$work/$name/$f" || { echo "$name/$f differs from plain-1/$f" >&2; exit 1; }
    done
  done
done
plain_median=$(awk -F, '$1 == "plain" {print $3}' "$out/timings.csv" | sort -n |
  awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
kill_after=$(echo "$plain_median * $kill_at" | bc -l)

# (b): kill -9 of rank $victim, from outside, at kill_after seconds.
ck="$work/ck-resume"
start=$(now)
timeout -s KILL 900 mpirun -np "$ranks" "$ringsim" run --input "$work/x.npy" --out "$work/killed" --k "$k" \
  --quiet --transport "$transport" "${extra[@]}" --checkpoint-dir "$ck" --checkpoint-every "$every" \
  >"$out/killed.log" 2>&1 &
mpirun_pid=$!
victim_pid=""
while [[ -z $victim_pid ]] && kill -0 "$mpirun_pid" 2>/dev/null; do  # find the rank's process
  for p in $(pgrep -f -- "ringsim run --input $work/x.npy --out $work/killed" || true); do
    if grep -qx "OMPI_COMM_WORLD_RANK=$victim" <<<"$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null)"; then victim_pid=$p; fi
  done
  sleep 0.05
done
[[ -n $victim_pid ]] || { echo "rank $victim's process never appeared" >&2; exit 1; }
sleep "$(echo "$kill_after - ($(now) - $start)" | bc -l | awk '{print ($1 > 0) ? $1 : 0}')"
kill_time=$(echo "$(now) - $start" | bc)
saved_at_kill=$(ls "$ck" 2>/dev/null | tr '\n' ' ')
kill -KILL "$victim_pid"
set +e; wait "$mpirun_pid"; killed_exit=$?; set -e
killed_end=$(echo "$(now) - $start" | bc)
killed_left=$([[ -d $work/killed ]] && ls -A "$work/killed" | tr '\n' ' ')
saved_after=$(ls "$ck" 2>/dev/null | tr '\n' ' ')
echo "  killed run: rank $victim (pid $victim_pid) killed at $kill_time s; mpirun exited $killed_exit at $killed_end s"
echo "  checkpoint files at the kill: ${saved_at_kill:-none}; after the job ended: ${saved_after:-none}"
[[ $killed_exit -ne 0 ]] || { echo "the killed run exited 0: it finished before the kill; lower --kill-at" >&2; exit 1; }

# (c): the rerun.
s=$(job resumed --checkpoint-dir "$ck" --checkpoint-every "$every")
record resumed 1 "$s" resumed
echo "  rerun: $s s"
identical=yes
for f in neighbors.npy scores.npy; do
  cmp "$work/plain-1/$f" "$work/resumed/$f" >&2 || identical=no
done

/usr/bin/python3 - "$out" "$kill_time" "$killed_exit" "$killed_end" "$identical" "$victim" "$machine" \
  "${saved_at_kill:-none}" "$rows" "$cols" "$ranks" "$k" "$transport" "$every" <<'PY'
import csv, json, statistics, sys
(out, kill_time, killed_exit, killed_end, identical, victim, machine, saved,
 n, d, p, k, transport, every) = sys.argv[1:]
rows = list(csv.DictReader(open(f"{out}/timings.csv")))
def of(kind, col): return [float(r[col]) for r in rows if r["kind"] == kind]
plain, ckpt = of("plain", "end_to_end_s"), of("ckpt", "end_to_end_s")
plain_in, ckpt_in = of("plain", "in_job_wall_s"), of("ckpt", "in_job_wall_s")
ck_s = of("ckpt", "checkpoint_s_max")
resumed = next(r for r in rows if r["kind"] == "resumed")
rep = json.load(open(f"{out}/resumed.report.json"))
a, c = statistics.median(plain), float(resumed["end_to_end_s"])
pairs = [x / y for x, y in zip(ckpt, plain)]
ckpt_rep = json.load(open(f"{out}/ckpt-1.report.json"))
steps = ckpt_rep.get("ring_steps")
# Share of the ring's work a resume skips, from the schedule: step 0 is the
# diagonal block (half a block pair), the full steps one pair each, and for
# even P the last step half a pair; P/2 pairs in all.
def weight(step): return 0.5 if step == 0 or (int(p) % 2 == 0 and step == steps - 1) else 1.0
skipped = sum(weight(s) for s in range(int(resumed["resumed_steps"]))) / (int(p) / 2)
compute_a = statistics.median(of("plain", "compute_s_max"))
lines = [
    f"# bench-resume: n={n} d={d} P={p} top-{k} transport={transport} --checkpoint-every {every}",
    "",
    f"Machine: {machine}.",
    "",
    "| figure | value |",
    "|---|---:|",
    f"| (a) uninterrupted, no checkpoints: end-to-end s, median of {len(plain)} (each) | {a:.2f} ({', '.join(f'{x:.2f}' for x in plain)}) |",
    f"| (a') uninterrupted, with checkpoints: end-to-end s, median (each) | {statistics.median(ckpt):.2f} ({', '.join(f'{x:.2f}' for x in ckpt)}) |",
    f"| checkpoint overhead: (a')/(a) per round (median) | {statistics.median(pairs):.3f} ({', '.join(f'{x:.3f}' for x in pairs)}) |",
    f"| in-job wall s, (a) / (a') medians | {statistics.median(plain_in):.2f} / {statistics.median(ckpt_in):.2f} |",
    f"| seconds.checkpoint in (a'), slowest rank, per run | {', '.join(f'{x:.3f}' for x in ck_s)} |",
    f"| (b) rank {victim} killed (kill -9) after, s | {float(kill_time):.2f} |",
    f"| (b) mpirun exit code, and s from start to exit | {killed_exit}, {float(killed_end):.2f} |",
    f"| (b) checkpoint files on disk at the kill | {saved} |",
    f"| (c) rerun end-to-end s | {c:.2f} |",
    f"| (c) resumed_steps (of {steps} ring steps) | {resumed['resumed_steps']} |",
    f"| (c) seconds.checkpoint, slowest rank (loading and saving) | {float(resumed['checkpoint_s_max']):.3f} |",
    f"| share of the ring's work the resume skips (from the schedule) | {skipped * 100:.0f} % |",
    f"| compute s (slowest rank): (a) median / (c) | {compute_a:.2f} / {float(resumed['compute_s_max']):.2f} |",
    f"| time saved, (a) - (c), s | {a - c:.2f} ({(a - c) / a * 100:.0f} % of (a)) |",
    f"| (b) + (c) against (a), s | {float(kill_time) + c:.2f} vs {a:.2f} |",
    f"| (c) neighbors.npy, scores.npy byte-identical to (a) (cmp) | {identical} |",
]
text = "\n".join(lines) + "\n"
open(f"{out}/summary.md", "w").write(text)
print(text, end="")
if int(resumed["resumed_steps"]) == 0:
    print("FAIL: the rerun did not resume (no step was saved by every rank before the kill; raise --kill-at)")
if identical != "yes":
    print("FAIL: the rerun's outputs differ from the uninterrupted run's")
sys.exit(0 if identical == "yes" and int(resumed["resumed_steps"]) > 0 else 1)
PY
