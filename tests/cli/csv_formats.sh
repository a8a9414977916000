#!/usr/bin/env bash
# CSV files as pandas and numpy write them give the same job as the .npy of
# the same matrix: n rows (report.json) and the same neighbours, checked
# against the .npy run. pandas' to_csv(index=False) starts with the numeric
# header 0,1,...,d-1 (auto: a header); to_csv() adds the index column
# (--csv-index-col: dropped, and the index becomes the row ids);
# np.savetxt without a header, with a "# ..." header, and with a bare
# 0,...,d-1 header; --csv-header no / yes override auto.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 - "$work" <<'PY' || fail "writing the CSV files (needs numpy and pandas)"
import sys, numpy as np, pandas as pd
w = sys.argv[1]
x = np.random.default_rng(24).standard_normal((200, 8))  # float64: CSV text round-trips exactly
np.save(f"{w}/x.npy", x)
pd.DataFrame(x).to_csv(f"{w}/pd_noindex.csv", index=False)
pd.DataFrame(x, index=np.arange(200) * 3 + 1000).to_csv(f"{w}/pd_index.csv")
pd.DataFrame(x).to_csv(f"{w}/pd_default_index.csv")  # the index 0, 1, 2, ...
np.savetxt(f"{w}/np_plain.csv", x, delimiter=",")
np.savetxt(f"{w}/np_comment.csv", x, delimiter=",", header=",".join(f"f{i}" for i in range(8)))
np.savetxt(f"{w}/np_numbers.csv", x, delimiter=",", header=",".join(map(str, range(8))), comments="")
# A first line of junk numbers that is a header only because the user says so.
with open(f"{w}/junk_header.csv", "w") as f:
    f.write(",".join(["9"] * 8) + "\n")
    np.savetxt(f, x, delimiter=",")
PY
run() {
  local name=$1
  shift
  job_seconds=60 run_job 2 --timeout 30 --k 5 --dtype float64 --out "$work/out_$name" "$@" \
    2>"$work/$name.err" || {
    fail "$name: run failed"
    cat "$work/$name.err"
  }
}
run npy --input "$work/x.npy"
run pd_noindex --input "$work/pd_noindex.csv"
run pd_index --input "$work/pd_index.csv" --csv-index-col
run pd_default_index --input "$work/pd_default_index.csv" --csv-index-col
run np_plain --input "$work/np_plain.csv"
run np_comment --input "$work/np_comment.csv"
run np_numbers --input "$work/np_numbers.csv"
run junk_yes --input "$work/junk_header.csv" --csv-header yes
# The override the other way: the pandas header read as a data row (n = 201).
run pd_noindex_no --input "$work/pd_noindex.csv" --csv-header no
/usr/bin/python3 - "$work" <<'PY' || fail "the numpy checks printed above"
import json, sys, numpy as np
w = sys.argv[1]
bad = 0
def load(name):
    report = json.load(open(f"{w}/out_{name}/report.json"))
    return report["n"], np.load(f"{w}/out_{name}/neighbors.npy"), np.load(f"{w}/out_{name}/scores.npy")
n0, nb0, sc0 = load("npy")
assert n0 == 200, n0
for name in ["pd_noindex", "pd_index", "pd_default_index", "np_plain", "np_comment", "np_numbers", "junk_yes"]:
    try:
        n, nb, sc = load(name)
    except Exception as e:
        print(f"FAIL: {name}: no result ({e})"); bad += 1; continue
    if n != n0 or not np.array_equal(nb, nb0) or not np.allclose(sc, sc0, atol=1e-6):
        print(f"FAIL: {name}: n = {n}, neighbours equal to the .npy run's: {nb.shape == nb0.shape and np.array_equal(nb, nb0)}")
        bad += 1
# The pandas index became the row ids.
try:
    ids = np.load(f"{w}/out_pd_index/neighbor_ids.npy")
    index = np.arange(200) * 3 + 1000
    if ids.dtype != np.int64 or not np.array_equal(ids, index[nb0]):
        print(f"FAIL: pd_index: neighbor_ids.npy is not the index of neighbors.npy ({ids.dtype})"); bad += 1
except Exception as e:
    print(f"FAIL: pd_index: neighbor_ids.npy ({e})"); bad += 1
n, _, _ = load("pd_noindex_no")
if n != 201:
    print(f"FAIL: --csv-header no read {n} rows, expected 201"); bad += 1
sys.exit(bad)
PY
# Without --csv-index-col the index is a feature, with a warning naming the flag.
grep -q -- "--csv-index-col" <(job_seconds=60 run_job 1 --input "$work/pd_default_index.csv" \
  --out "$work/out_warn" 2>&1) || fail "no warning naming --csv-index-col for an index column"
# A bad value names the option.
out=$("$ringsim" run --input "$work/x.npy" --out "$work/out_bad" --csv-header maybe 2>&1) && fail "--csv-header maybe accepted"
grep -q -- "--csv-header" <<<"$out" || fail "--csv-header maybe: message does not name the option: $out"
finish
