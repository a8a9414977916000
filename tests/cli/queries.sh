#!/usr/bin/env bash
# Queries against a corpus (--queries) through the real command line under
# mpirun, checked against numpy (numpy_reference.py --queries): P = 1..5,
# query counts from 1 to more than the corpus, top-k and threshold, cosine
# and dot, both dtypes, over mpi, tcp and tls; queries given as a CSV the way
# pandas writes one; the query and corpus id tables; and the refusals a
# user meets first (a width that differs, --query-ids without --queries).
source "$(dirname "$0")/lib.sh"
here=$(dirname "$0")
reference() { /usr/bin/python3 "$here/numpy_reference.py" "$@"; }
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
rng = np.random.default_rng(23)
corpus = rng.standard_normal((83, 9)).astype(np.float32)
corpus[5] = 0                     # a zero row scores 0 with every query
corpus[40] = corpus[41]           # an exact tie between two corpus rows
for count in (1, 17, 120):        # 120 > the corpus's 83 rows
    q = rng.standard_normal((count, 9)).astype(np.float32)
    q[0] = corpus[40]             # a query equal to a corpus row: score 1, tied
    np.save(f"{work}/q{count}.npy", q)
np.save(f"{work}/corpus.npy", corpus)
# --score dot: norms from 0.2 to 5, so the dot order is not the cosine order.
np.save(f"{work}/corpus-dot.npy", (corpus * rng.uniform(0.2, 5, (83, 1))).astype(np.float32))
PY
transports=(mpi tcp tls)
dtypes=(float32 float64)
case_number=0
for p in 1 2 3 4 5; do
  for count in 1 17 120; do
    for mode in topk threshold; do
      case_number=$((case_number + 1))
      # Every combination of P, count and mode once; transport, dtype and
      # score rotate through them.
      transport=${transports[$((case_number % 3))]}
      dtype=${dtypes[$(((case_number / 2) % 2))]}
      score=cosine corpus=corpus.npy t=0.3
      if (((case_number / 4) % 2 == 1)); then score=dot corpus=corpus-dot.npy t=2; fi
      label="P=$p queries=$count $mode $transport $dtype $score"
      out="$work/out-$case_number"
      if ! run_job "$p" --input "$work/$corpus" --queries "$work/q$count.npy" --out "$out" --mode "$mode" --k 6 \
        --threshold "$t" --score "$score" --dtype "$dtype" --transport "$transport" --tls-ephemeral --tile 8 \
        --timeout 60 2>"$out.err"; then
        fail "$label: the job failed"; cat "$out.err"; continue
      fi
      if result=$(reference "$work/$corpus" "$out" "$mode" --queries "$work/q$count.npy" --k 6 --threshold "$t" \
        --dtype "$dtype" --score "$score" 2>&1); then
        ok "$label: $result"
      else
        fail "$label: $result"
      fi
    done
  done
done

# Queries as pandas writes a CSV (a header line 0,1,...,d-1, an index
# column) with ids for both sides: the same neighbours as the .npy run, the
# two id tables, and pairs.csv naming each side by its own ids.
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
q = np.load(f"{work}/q17.npy")
with open(f"{work}/q17.csv", "w") as f:
    f.write("," + ",".join(str(c) for c in range(q.shape[1])) + "\n")
    for r, row in enumerate(q):
        f.write(f"query-{r}," + ",".join(repr(float(v)) for v in row) + "\n")
with open(f"{work}/corpus-ids.txt", "w") as f:
    f.write("".join(f"doc-{r}\n" for r in range(83)))
PY
if run_job 3 --input "$work/corpus.npy" --ids "$work/corpus-ids.txt" --queries "$work/q17.csv" --csv-index-col \
  --out "$work/csv" --k 6 2>"$work/csv.err" &&
  run_job 2 --input "$work/corpus.npy" --queries "$work/q17.npy" --out "$work/npy" --k 6 2>>"$work/csv.err" &&
  /usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
work = sys.argv[1]
assert (np.load(f"{work}/csv/neighbors.npy") == np.load(f"{work}/npy/neighbors.npy")).all(), "neighbours differ"
assert open(f"{work}/csv/query_ids.txt").read().split() == [f"query-{r}" for r in range(17)], "query_ids.txt"
assert open(f"{work}/csv/ids.txt").read().split() == [f"doc-{r}" for r in range(83)], "ids.txt"
PY
then
  ok "queries from a pandas CSV with an index column: the .npy run's neighbours, query_ids.txt and ids.txt"
else
  fail "queries from a pandas CSV"; cat "$work/csv.err"
fi
if run_job 2 --input "$work/corpus.npy" --ids "$work/corpus-ids.txt" --queries "$work/q17.csv" --csv-index-col \
  --mode threshold --threshold 0.5 --out "$work/csv-pairs" 2>"$work/pairs.err" &&
  /usr/bin/python3 - "$work" <<'PY'
import csv, sys
work = sys.argv[1]
rows = list(csv.reader(open(f"{work}/csv-pairs/pairs.csv")))
assert rows[0] == ["i", "j", "score", "id_i", "id_j"], rows[0]
assert len(rows) > 1, "no pair"
for i, j, _, id_i, id_j in rows[1:]:
    assert id_i == f"query-{i}" and id_j == f"doc-{j}", (i, j, id_i, id_j)
PY
then
  ok "pairs.csv names the query by its id and the corpus row by its own"
else
  fail "pairs.csv ids in a queries job"; cat "$work/pairs.err"
fi

/usr/bin/python3 -c "import numpy as np; np.save('$work/narrow.npy', np.ones((4, 8), np.float32))"
expect_failure --one-error-line width "narrow.npy has 8 columns, the corpus (--input .*corpus.npy) 9" \
  --input "$work/corpus.npy" --queries "$work/narrow.npy"
expect_failure --one-error-line query-ids-alone "--query-ids names query rows, but no --queries were given" \
  --input "$work/corpus.npy" --query-ids "$work/corpus-ids.txt"
expect_failure --one-error-line full "--mode full with --queries is not offered" \
  --input "$work/corpus.npy" --queries "$work/q17.npy" --mode full
finish
