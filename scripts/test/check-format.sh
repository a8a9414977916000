#!/usr/bin/env bash
# Fails listing every C++ file that differs from .clang-format's layout
# (fix with: git ls-files '*.cpp' '*.hpp' | xargs clang-format -i).
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v clang-format >/dev/null || scripts/setup/deps.sh
unformatted=$(git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run 2>&1 | grep -oE '^[^:]+\.(cpp|hpp)' | sort -u || true)
if [[ -n $unformatted ]]; then
  echo "ringsim: these files differ from .clang-format:" >&2
  echo "$unformatted" >&2
  exit 1
fi
echo "format: $(git ls-files '*.cpp' '*.hpp' | wc -l) files follow .clang-format"
