# Sourced by every script that runs ringsim: which binary it runs.
# The rule: $RINGSIM (a path to the binary) when set, else build/ringsim of
# this checkout (what scripts/setup/build.sh makes). The Python package follows the
# same rule (python/ringsim/__init__.py), and the CLI tests set RINGSIM to the
# binary CTest built, so everything a test starts runs the binary under test.
# Sets $ringsim (absolute), $build (its folder, where the benchmark programs
# are built beside it) and exports RINGSIM for the scripts this one starts.
ringsim=$(realpath -m "${RINGSIM:-$(dirname "${BASH_SOURCE[0]}")/../../build/ringsim}")
build=$(dirname "$ringsim")
export RINGSIM=$ringsim
