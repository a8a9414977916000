#!/usr/bin/env bash
# docs/sagemaker.md's SDK example as written, through the launcher's own
# checks on every host (tests/cli/sagemaker_guide.py says how).
source "$(dirname "$0")/lib.sh"
/usr/bin/python3 "$root/tests/cli/sagemaker_guide.py" "$(realpath "$1")" "$root/docs/sagemaker.md" "$work" \
  || fail "the SDK example of docs/sagemaker.md"
finish
