#!/usr/bin/env bash
# The option tables users read are the code's own table: docs/options.md
# holds exactly what `ringsim options` prints, and every option row of the
# README appears there verbatim (same default, same range); docs/sagemaker.md
# holds exactly the launcher's table that `ringsim options --launcher` prints.
source "$(dirname "$0")/lib.sh"
generated=$work/generated.md
"$ringsim" options >"$generated" || { echo "FAIL: ringsim options exited $?"; exit 1; }
# The docs describe the default build; a CUDA build (-DRINGSIM_CUDA) offers --device cuda beside cpu.
sed -i '/^| `--device`/s/| cpu, cuda |/| cpu |/' "$generated"
if ! diff <(grep '^|' "$root/docs/options.md") "$generated"; then
  fail "docs/options.md differs from 'ringsim options' (regenerate the table)"
fi
"$ringsim" options --launcher >"$work/launcher.md" || { echo "FAIL: ringsim options --launcher exited $?"; exit 1; }
if ! /usr/bin/python3 -c 'import sys; sys.exit(open(sys.argv[1]).read() not in open(sys.argv[2]).read())' \
  "$work/launcher.md" "$root/docs/sagemaker.md"; then
  echo "FAIL: docs/sagemaker.md lacks the launcher's table as 'ringsim options --launcher' prints it:"
  cat "$work/launcher.md"
  failures=$((failures + 1))
fi
rows=0
while IFS= read -r row; do
  rows=$((rows + 1))
  grep -qxF -- "$row" "$generated" || fail "README row not in the table: $row"
done < <(grep '^| `--' "$root/README.md")
[[ $rows -gt 0 ]] || fail "no option rows found in README.md"
echo "$rows README rows checked"
finish
