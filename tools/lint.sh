#!/usr/bin/env bash
# Style check: clang-format on C++ files changed against BASE (default: the
# merge base with origin/main, else HEAD~1), then clang-tidy on the same
# files when a compile database exists. --fix rewrites files in place.
set -uo pipefail
cd "$(dirname "$0")/.."
fix=0
if [ "${1:-}" = "--fix" ]; then fix=1; shift; fi
base=${1:-$(git merge-base HEAD origin/main 2>/dev/null || git rev-parse HEAD~1 2>/dev/null || echo HEAD)}
mapfile -t files < <( (git diff --name-only "$base" -- '*.cc' '*.h'; git ls-files --others --exclude-standard -- '*.cc' '*.h') | sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ ${#files[@]} -eq 0 ] && { echo "lint: no changed C++ files"; exit 0; }
status=0
for f in "${files[@]}"; do
  if [ $fix -eq 1 ]; then
    clang-format -i "$f"
  elif ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "lint: $f is not clang-formatted (tools/lint.sh --fix)"
    status=1
  fi
done
if [ -f compile_commands.json ] && command -v clang-tidy >/dev/null; then
  timeout 300 clang-tidy -quiet -p . "${files[@]}" || status=1
else
  echo "lint: clang-tidy skipped (no compile_commands.json)"
fi
exit $status
