#!/usr/bin/env bash
# Every CSV layout pandas (and numpy) writes, written by pandas itself: each
# is read exactly as pandas means it (n, d and the neighbours equal to the
# .npy run of the values pandas reads back from the same file), or refused
# with one line that names the file, what looks wrong and the flag that
# fixes it. docs/input.md's table lists the same cases.
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 - "$work" >"$work/cases" <<'PY' || fail "writing the CSV files (needs numpy and pandas)"
import sys, numpy as np, pandas as pd
w = sys.argv[1]
n, d = 200, 8
x = np.random.default_rng(24).standard_normal((n, d))  # float64: CSV text round-trips exactly
df = pd.DataFrame(x)
shuffled = df.sample(frac=1, random_state=3)
np.save(f"{w}/x.npy", x)
np.save(f"{w}/shuffled.npy", shuffled.to_numpy())
# name  reference (.npy of the values, or "refuse")  what a check needs  flags...
def case(name, reference, expect, *flags):
    print("\t".join([name, reference, expect or "-", *flags]))  # "-": tabs around an empty field would merge
def ids(name, values):
    values = np.asarray(values)
    np.save(f"{w}/{name}.ids.npy", values.astype(str) if values.dtype == object else values)
df.to_csv(f"{w}/default.csv")
case("default", "x", "ids", "--input", f"{w}/default.csv"); ids("default", np.arange(n))
shuffled.to_csv(f"{w}/shuffled.csv")
case("shuffled", "shuffled", "ids", "--input", f"{w}/shuffled.csv"); ids("shuffled", shuffled.index)
offset = pd.DataFrame(x, index=np.arange(n) * 3 + 1000)
offset.to_csv(f"{w}/offset.csv")
case("offset", "x", "ids", "--input", f"{w}/offset.csv"); ids("offset", offset.index)
df[df[0] > 0].to_csv(f"{w}/filtered.csv")
np.save(f"{w}/filtered.npy", df[df[0] > 0].to_numpy())
case("filtered", "filtered", "", "--input", f"{w}/filtered.csv")
df.to_csv(f"{w}/noindex.csv", index=False)
case("noindex", "x", "", "--input", f"{w}/noindex.csv")
named = df.rename_axis("id")
named.to_csv(f"{w}/named.csv")
case("named", "x", "ids", "--input", f"{w}/named.csv"); ids("named", np.arange(n))
strings = pd.DataFrame(x, index=[f"pkg-{i}" for i in range(n)])
strings.to_csv(f"{w}/strings.csv")
case("strings", "x", "ids", "--input", f"{w}/strings.csv"); ids("strings", strings.index)
named_columns = pd.DataFrame(x, index=strings.index, columns=[f"f{i}" for i in range(d)]).rename_axis("package")
named_columns.to_csv(f"{w}/named_columns.csv")
case("named_columns", "x", "ids", "--input", f"{w}/named_columns.csv"); ids("named_columns", strings.index)
one_based = pd.DataFrame(x, columns=range(1, d + 1))
one_based.to_csv(f"{w}/one_based.csv", index=False)
case("one_based", "x", "", "--input", f"{w}/one_based.csv")
one_based.to_csv(f"{w}/one_based_index.csv")
case("one_based_index", "x", "", "--input", f"{w}/one_based_index.csv")
pd.DataFrame(x, columns=[f"f{i}" for i in range(d)]).to_csv(f"{w}/string_columns.csv", index=False)
case("string_columns", "x", "", "--input", f"{w}/string_columns.csv")
df.to_csv(f"{w}/no_header.csv", header=False)
case("no_header", "refuse", "--csv-index-col", "--input", f"{w}/no_header.csv")
case("no_header_index_col", "x", "", "--input", f"{w}/no_header.csv", "--csv-index-col")
df.to_csv(f"{w}/bare.csv", header=False, index=False)
case("bare", "x", "", "--input", f"{w}/bare.csv")
df.to_csv(f"{w}/rounded.csv", float_format="%.3g")
np.save(f"{w}/rounded.npy", pd.read_csv(f"{w}/rounded.csv", index_col=0).to_numpy())
case("rounded", "rounded", "", "--input", f"{w}/rounded.csv")
df.to_csv(f"{w}/semicolon.csv", sep=";")
case("semicolon", "refuse", "separated by ';'", "--input", f"{w}/semicolon.csv")
df.to_csv(f"{w}/compressed.csv.gz")
case("compressed", "refuse", "compressed.csv.gz: a compressed file", "--input", f"{w}/compressed.csv.gz")
# numpy's writers, and --csv-header's overrides.
np.savetxt(f"{w}/np_plain.csv", x, delimiter=",")
case("np_plain", "x", "", "--input", f"{w}/np_plain.csv")
np.savetxt(f"{w}/np_comment.csv", x, delimiter=",", header=",".join(f"f{i}" for i in range(d)))
case("np_comment", "x", "", "--input", f"{w}/np_comment.csv")
np.savetxt(f"{w}/np_numbers.csv", x, delimiter=",", header=",".join(map(str, range(d))), comments="")
case("np_numbers", "x", "", "--input", f"{w}/np_numbers.csv")
with open(f"{w}/junk_header.csv", "w") as f:  # a header only because the user says so
    f.write(",".join(["9"] * d) + "\n")
    np.savetxt(f, x, delimiter=",")
case("junk_yes", "x", "", "--input", f"{w}/junk_header.csv", "--csv-header", "yes")
case("noindex_no", "x", "rows=201", "--input", f"{w}/noindex.csv", "--csv-header", "no")
PY
# The .npy runs, then each case: a result, or one error line naming NEEDLE.
for ref in x shuffled filtered rounded; do
  job_seconds=60 run_job 2 --timeout 30 --k 5 --dtype float64 --input "$work/$ref.npy" --out "$work/ref_$ref" \
    2>"$work/ref_$ref.err" || fail "$ref.npy: run failed: $(cat "$work/ref_$ref.err")"
done
# The cases on fd 3: mpirun reads its standard input.
while IFS=$'\t' read -r -u 3 -a fields; do
  name=${fields[0]} reference=${fields[1]} expect=${fields[2]}
  flags=("${fields[@]:3}")
  if [[ $reference == refuse ]]; then
    expect_failure --one-error-line "$name" "$expect" --timeout 30 --k 5 "${flags[@]}"
    continue
  fi
  job_seconds=60 run_job 1 --timeout 30 --k 5 --dtype float64 --out "$work/out_$name" "${flags[@]}" \
    2>"$work/$name.err" || fail "$name: run failed: $(cat "$work/$name.err")"
done 3<"$work/cases"
/usr/bin/python3 - "$work" <<'PY' || fail "the comparisons printed above"
import json, os, sys, numpy as np
w = sys.argv[1]
bad = 0
def load(out):
    report = json.load(open(f"{out}/report.json"))
    return report["n"], report["d"], np.load(f"{out}/neighbors.npy"), np.load(f"{out}/scores.npy")
for line in open(f"{w}/cases"):
    name, reference, expect, *_ = line.rstrip("\n").split("\t")
    if reference == "refuse":
        continue
    try:
        n, d, nb, sc = load(f"{w}/out_{name}")
        n0, d0, nb0, sc0 = load(f"{w}/ref_{reference}")
    except Exception as e:
        print(f"FAIL: {name}: no result ({e})"); bad += 1; continue
    if expect == "rows=201":
        if n != 201:
            print(f"FAIL: {name}: --csv-header no read {n} rows, expected 201"); bad += 1
        continue
    if (n, d) != (n0, d0) or not np.array_equal(nb, nb0) or not np.allclose(sc, sc0, atol=1e-6):
        print(f"FAIL: {name}: n, d = {n}, {d} (the .npy: {n0}, {d0}); neighbours equal: {nb.shape == nb0.shape and np.array_equal(nb, nb0)}")
        bad += 1; continue
    if expect == "ids":  # the index became the row ids
        want = np.load(f"{w}/{name}.ids.npy")
        table = f"{w}/out_{name}/ids.npy"
        got = np.load(table) if os.path.exists(table) else np.array(open(f"{w}/out_{name}/ids.txt").read().split("\n")[:-1])
        if got.astype(str).tolist() != want.astype(str).tolist():
            print(f"FAIL: {name}: the id table is not the file's index: {got[:3]} vs {want[:3]}"); bad += 1
    print(f"ok: {name}: n = {n}, d = {d}, neighbours as the .npy run's")
sys.exit(bad)
PY
# The reading is said, one info line naming the rule.
grep -q "first column read as row ids.*unnamed index" "$work/shuffled.err" ||
  fail "shuffled: no info line saying the index column was taken: $(cat "$work/shuffled.err")"
grep -q "first line read as a header: its fields are the integers 1..d" "$work/one_based.err" ||
  fail "one_based: no info line naming the header rule"
# A bad value names the option.
out=$("$ringsim" run --input "$work/x.npy" --out "$work/out_bad" --csv-header maybe 2>&1) && fail "--csv-header maybe accepted"
grep -q -- "--csv-header" <<<"$out" || fail "--csv-header maybe: message does not name the option: $out"
finish
