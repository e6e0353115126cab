#!/usr/bin/env bash
# Runs //tools/bench in a tiny mode (every phase, 2 agents, 20 held streams,
# few iterations) so it cannot rot. No performance assertions: only that it
# completes without errors and ends with the JSON summary line.
set -uo pipefail
BENCH=$1
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
