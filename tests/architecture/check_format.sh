#!/usr/bin/env bash
# Fails when a C++ file of the tree differs from what clang-format makes of it under .clang-format,
# naming each file; `clang-format -i` on the named files fixes it. Generated templates (*.in) are left out.
set -euo pipefail
clang_format=$1
root=$2
cd "$root"
mapfile -d '' files < <(find bench cmake comm common config data eval launch model monitoring trainer tests \
  -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) -print0 | sort -z)
((${#files[@]} > 0)) || { echo "check_format: no C++ files under $root" >&2; exit 1; }
bad=0
for file in "${files[@]}"; do
  if ! "$clang_format" --style=file --dry-run -Werror "$file" >/dev/null 2>&1; then
    echo "not formatted: $file"
    bad=$((bad + 1))
  fi
done
echo "check_format: ${#files[@]} files checked, $bad not formatted"
((bad == 0))
