#!/usr/bin/env bash
# Runs every fuzz target (tag "fuzz") under libFuzzer for SECONDS each
# (default 60), starting from its committed seed corpus. A finding makes the
# script fail; the crashing input is left in the target's work directory.
#   ./tools/fuzz.sh [SECONDS] [TARGET...]
set -uo pipefail
cd "$(dirname "$0")/.."
./tools/bootstrap.sh || exit 1
secs=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(bazel query 'attr(tags, "fuzz", tests(//...))' 2>/dev/null)
fi
bazel build --config=fuzz "${targets[@]}" || exit 1
fuzz_bin=$(bazel info --config=fuzz bazel-bin 2>/dev/null)
status=0
for t in "${targets[@]}"; do
  label=${t#//}
  bin="$fuzz_bin/${label%%:*}/${label##*:}"
  work=$(mktemp -d "/tmp/enlist-fuzz-XXXXXX")
  # Copy the seed corpus (the target's data files) so the committed one
  # stays untouched.
  for l in $(bazel query "kind('source file', deps(labels(data, $t)))" 2>/dev/null); do
    f=${l#//}; f=${f/://}; f=${f#/}
    [ -f "$f" ] && cp "$f" "$work/"
  done
  echo "== $t for ${secs}s ($(ls "$work" | wc -l) seeds, work dir $work)"
  if ! (cd "$work" && "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work" 2>&1 | tail -5); then
    echo "fuzz.sh: $t found a failure; see $work" >&2
    status=1
  fi
done
exit $status
