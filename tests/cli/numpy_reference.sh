#!/usr/bin/env bash
# The acceptance run: 1001 x 37 float32, 3 ranks, k = 10, against numpy.
set -euo pipefail
ringsim=$1; here=$(dirname "$0")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
"$ringsim" gen --rows 1001 --cols 37 --seed 7 --out "$work/X.npy"
mpirun -np 3 "$ringsim" run --input "$work/X.npy" --out "$work/out" --k 10 --quiet
/usr/bin/python3 "$here/numpy_reference.py" "$work/X.npy" "$work/out" 10
