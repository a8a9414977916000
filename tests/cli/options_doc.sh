#!/usr/bin/env bash
# The option tables users read are the code's own table: docs/options.md
# holds exactly what `ringsim options` prints, and every option row of the
# README appears there verbatim (same default, same range).
source "$(dirname "$0")/lib.sh"
ringsim=$(realpath "$1")
generated=$work/generated.md
"$ringsim" options >"$generated" || { echo "FAIL: ringsim options exited $?"; exit 1; }
# The docs describe the default build; a CUDA build (-DRINGSIM_CUDA) offers --device cuda beside cpu.
sed -i '/^| `--device`/s/| cpu, cuda |/| cpu |/' "$generated"
if ! diff <(grep '^|' "$root/docs/options.md") "$generated"; then
  echo "FAIL: docs/options.md differs from 'ringsim options' (regenerate the table)"
  failures=$((failures + 1))
fi
rows=0
while IFS= read -r row; do
  rows=$((rows + 1))
  grep -qxF -- "$row" "$generated" || { echo "FAIL: README row not in the table: $row"; failures=$((failures + 1)); }
done < <(grep '^| `--' "$root/README.md")
[[ $rows -gt 0 ]] || { echo "FAIL: no option rows found in README.md"; failures=$((failures + 1)); }
echo "$rows README rows checked, $failures failed"
[[ $failures -eq 0 ]]
