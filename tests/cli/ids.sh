#!/usr/bin/env bash
# --ids: results name rows by the user's ids. neighbor_ids.npy must map back
# exactly (checked with numpy against neighbors.npy), pairs.csv carries id
# columns (quoted where an id holds a comma), integer ids give int64, and an
# ids file of the wrong length is refused. String ids (text or a '<U' .npy)
# are written once as ids.txt, neighbor_ids.npy only with --id-matrix, and
# 30-character ids cost at most 1.2x the output without ids plus ids.txt.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 - "$work" <<'PY'
import sys, numpy as np
w = sys.argv[1]
x = np.random.default_rng(4).standard_normal((301, 8)).astype(np.float32)
np.save(f"{w}/x.npy", x)
ids = [f"doc-{i}-ü" if i % 7 else f"a,b \"{i}\"" for i in range(301)]
open(f"{w}/ids.txt", "w", encoding="utf-8").write("\n".join(ids) + "\n")
np.save(f"{w}/ids.npy", (np.arange(301, dtype=np.int64) * 1000 + 7))
open(f"{w}/short.txt", "w").write("\n".join(ids[:300]) + "\n")
np.save(f"{w}/ids-u.npy", np.array(ids))  # '<U' strings, as np.save writes a list of str
open(f"{w}/long.txt", "w").write("".join(f"document-{i:021d}\n" for i in range(301)))  # 30 characters
# Two repeats; the first in row order (row 40 = line 41 repeats line 13) must be named.
dup = list(ids); dup[40] = dup[12]; dup[200] = dup[3]
open(f"{w}/dup.txt", "w", encoding="utf-8").write("\n".join(dup) + "\n")
nums = np.arange(301, dtype=np.int64); nums[250] = nums[17]; np.save(f"{w}/dup.npy", nums)
PY
run() { run_job 3 --input "$work/x.npy" --timeout 30 "$@"; }
run --out "$work/topk" --ids "$work/ids.txt" --k 320 --id-matrix 2>"$work/topk.err" || { fail "topk run"; cat "$work/topk.err"; }
# Without --id-matrix string ids are written once, as the id table ids.txt;
# the same from a string .npy; and the output with 30-character ids is at
# most 1.2x the output without ids plus that table.
run --out "$work/table" --ids "$work/ids.txt" --k 10 2>/dev/null || fail "topk run with an id table"
run --out "$work/table-npy" --ids "$work/ids-u.npy" --k 10 2>/dev/null || fail "topk run with string .npy ids"
run --out "$work/long" --ids "$work/long.txt" --k 10 2>/dev/null || fail "topk run with 30-character ids"
run --out "$work/plain" --k 10 2>/dev/null || fail "topk run without ids"
run --out "$work/pairs" --ids "$work/ids.txt" --mode threshold --threshold 0.6 2>/dev/null || fail "threshold run"
run --out "$work/ints" --ids "$work/ids.npy" --k 5 2>/dev/null || fail "integer ids run"
/usr/bin/python3 - "$work" <<'PY' || fail "the numpy checks printed above"
import csv, sys, numpy as np
w = sys.argv[1]
ids = open(f"{w}/ids.txt", encoding="utf-8").read().splitlines()
nb = np.load(f"{w}/topk/neighbors.npy"); names = np.load(f"{w}/topk/neighbor_ids.npy")
assert names.dtype.kind == "U" and names.shape == nb.shape, (names.dtype, names.shape)
for r, c in np.ndindex(nb.shape):
    expected = ids[nb[r, c]] if nb[r, c] >= 0 else ""
    assert names[r, c] == expected, (r, c, names[r, c], expected)
rows = list(csv.reader(open(f"{w}/pairs/pairs.csv", encoding="utf-8")))
assert rows[0] == ["i", "j", "score", "id_i", "id_j"], rows[0]
assert len(rows) > 10
for i, j, _, a, b in rows[1:]:
    assert (a, b) == (ids[int(i)], ids[int(j)]), (i, j, a, b)
ints = np.load(f"{w}/ints/neighbor_ids.npy"); nb = np.load(f"{w}/ints/neighbors.npy")
assert ints.dtype == np.int64 and (ints == nb * 1000 + 7).all()
assert (np.load(f"{w}/ints/ids.npy") == np.arange(301) * 1000 + 7).all()
import os
for out in ("table", "table-npy"):
    assert not os.path.exists(f"{w}/{out}/neighbor_ids.npy"), f"{out}: neighbor_ids.npy without --id-matrix"
    table = open(f"{w}/{out}/ids.txt", encoding="utf-8").read().split("\n")[:-1]
    assert table == ids, f"{out}: ids.txt is not the ids in row order"
def size(out):
    return sum(os.path.getsize(f"{w}/{out}/{f}") for f in os.listdir(f"{w}/{out}") if f.endswith((".npy", ".txt", ".csv")))
table = os.path.getsize(f"{w}/long/ids.txt")
assert size("long") <= 1.2 * size("plain") + table, (size("long"), size("plain"), table)
print(f"ok   id table: ids.txt in row order (text and '<U' .npy ids), no neighbor_ids.npy without --id-matrix; "
      f"results {size('long')} bytes with 30-character ids, {size('plain')} without, table {table}")
print(f"ok   ids: neighbor_ids.npy ({names.dtype}, k beyond the rows padded with ''), pairs.csv id columns "
      f"({len(rows) - 1} pairs), integer ids as int64")
PY
# rows.json: which rows of which file each global row range is, for every
# job; here four part files in a folder over three ranks.
mkdir -p "$work/parts"
/usr/bin/python3 -c "
import numpy as np
x = np.load('$work/x.npy')
for name, a, b in [('p-1', 0, 50), ('p-2', 50, 51), ('p-10', 51, 200), ('p-11', 200, 301)]:
    np.save('$work/parts/' + name + '.npy', x[a:b])"
run_job 3 --input "$work/parts" --out "$work/manifest" 2>/dev/null || fail "parts run"
/usr/bin/python3 - "$work" <<'PY' || fail "the numpy checks printed above"
import json, os, sys
w = sys.argv[1]
m = json.load(open(f"{w}/manifest/rows.json"))
got = [(os.path.basename(f["file"]), f["file_rows"], f["global_rows"]) for f in m["files"]]
want = [("p-1.npy", [0, 50], [0, 50]), ("p-2.npy", [0, 1], [50, 51]), ("p-10.npy", [0, 149], [51, 200]),
        ("p-11.npy", [0, 101], [200, 301])]
assert m["n"] == 301 and got == want, got
print("ok   rows.json maps global rows to files:", got)
PY
run --out "$work/bad" --ids "$work/short.txt" 2>"$work/bad.err"
if [[ $? -ne 0 ]] && grep -q "holds 300 ids but the input has 301 rows" "$work/bad.err"; then
  ok "ids of the wrong length refused: $(grep -m1 '^ringsim: error' "$work/bad.err")"
else
  fail "wrong length"; cat "$work/bad.err"
fi
# Duplicate ids would make results ambiguous: refused on every rank with one
# line naming the first repeat, text and integer .npy alike.
for kind in txt npy; do
  if [[ $kind == txt ]]; then want="dup.txt: id 'doc-12-ü' on line 41 repeats line 13"
  else want="dup.npy: id 17 at row 250 repeats row 17"; fi
  run --out "$work/dup-$kind" --ids "$work/dup.$kind" >"$work/dup-$kind.out" 2>"$work/dup-$kind.err"
  code=$?
  if [[ $code -ne 0 && $code -ne 124 ]] && [[ $(grep -c '^ringsim: error:' "$work/dup-$kind.err") -eq 1 ]] &&
    grep -qF -- "$want" "$work/dup-$kind.err" && [[ -z "$(ls -A "$work/dup-$kind" 2>/dev/null)" ]]; then
    ok "duplicate ids ($kind) refused: $(grep -m1 '^ringsim: error' "$work/dup-$kind.err")"
  else
    fail "duplicate ids ($kind): exit $code, wanted '$want'"; cat "$work/dup-$kind.err"
  fi
done
finish
