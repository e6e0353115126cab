#!/usr/bin/env bash
# Runs //tools/bench in a tiny mode (every phase, 2 agents, 20 held streams,
# few iterations) so it cannot rot. No performance assertions: only that it
# completes without errors and ends with the JSON summary line; then that it
# fails loudly when enlist-auth does not start or refuses the joins.
set -uo pipefail
BENCH=$1
AUTH=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
tmp=${TEST_TMPDIR:-$(mktemp -d)}

# An enlist-auth that does not start: the bench names it and exits non-zero.
out=$("$BENCH" --phases=e2e --agents=1 --vms=1 --auth_bin=/bin/false 2>&1)
rc=$?
if [ $rc -eq 0 ] || [[ "$out" != *"cluster: enlist-auth did not start"* ]]; then
  printf '%s\n' "$out"
  echo "bench_smoke_test: a dead enlist-auth gave exit $rc without naming it"
  exit 1
fi

# An enlist-auth that lets the warm-up's two joins from 127.0.0.1 through and
# refuses the rest (a per-address limit): the run counts the errors, shows
# the first one, still ends with the JSON line, and the bench exits non-zero.
{
  echo '#!/bin/sh'
  echo '# Called as: limited-auth.sh --config FILE'
  echo 'sed -i "s/^limits:\$/limits:\n  per_peer_rate: 0.001\n  per_peer_burst: 2/" "$2"'
  echo "exec '$AUTH' \"\$@\""
} >"$tmp/limited-auth.sh"
chmod +x "$tmp/limited-auth.sh"
out=$("$BENCH" --phases=e2e --agents=2 --channels=1 --vms=2 --join_workers=1 \
  --auth_bin="$tmp/limited-auth.sh" 2>&1)
rc=$?
last=$(printf '%s\n' "$out" | tail -1)
if [ $rc -eq 0 ] || [[ "$last" != *'"errors":2'* ]] ||
  [[ "$out" != *"first error: "*"too many joins from this address"* ]]; then
  printf '%s\n' "$out"
  echo "bench_smoke_test: refused joins gave exit $rc and last line: $last"
  exit 1
fi
out=$("$BENCH" --agents=1,2 --channels=2 --held_streams=20 --checker_verifications=20 \
  --floor_seconds=0.01 --vms=2 --join_workers=2 2>&1)
rc=$?
printf '%s\n' "$out"
if [ $rc -ne 0 ]; then
  echo "bench_smoke_test: bench exited with $rc"
  exit 1
fi
last=$(printf '%s\n' "$out" | tail -1)
for key in floor_us checker_verifications_per_s auth_cpu_us_per_join auth_cpu_to_floor_ratio \
  transport_cpu_us_per_join auth_cpu_above_transport_us \
  auth_bytes_per_waiting_stream '"errors":0'; do
  if [[ "$last" != *"$key"* ]]; then
    echo "bench_smoke_test: the last line lacks $key: $last"
    exit 1
  fi
done
echo "bench_smoke_test: ok"
