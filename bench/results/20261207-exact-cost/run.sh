#!/bin/bash
# bin label mode args
bin=$1; label=$2; shift 2
for P in 1 2; do
for rep in 1 2 3; do
for which in old new newbf; do
  case $which in old) b=/tmp/ringsim-old; extra=();; new) b=$bin; extra=(--precision float32);; newbf) b=$bin; extra=(--precision bfloat16);; esac
  rm -rf out-$which
  mpirun --oversubscribe -np $P $b run --input clustered.npy --out out-$which "$@" "${extra[@]}" --quiet --progress-seconds 0 >/dev/null 2>err-$which || { echo FAIL $which; cat err-$which; }
  ring=$(/usr/bin/python3 -c "import json;r=json.load(open('out-$which/report.json'));print(max(x['seconds']['ring'] for x in r['ranks']))")
  echo "$label P=$P rep=$rep $which ring=$ring"
done
done
done
