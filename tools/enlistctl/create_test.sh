#!/usr/bin/env bash
# `enlistctl create -f FILE|-` (the real binary) refuses token files that
# are too large or too deeply nested before it connects anywhere: exit 1,
# "ERROR: create: " and a message naming the file. No auth server runs: the
# --data-dir has no admin identity, so a file that passes the checks fails
# on the identity instead.
# Usage: create_test.sh ENLISTCTL
set -u  # no pipefail: `echo | grep -q` must report grep's status
ctl=$1
tmp=${TEST_TMPDIR:-$(mktemp -d)}
nodata=$tmp/no-such-data-dir
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# expect NAME WANT_RC WANT_STDERR_SUBSTRING ARGS... (stdin: the caller's)
expect() {
  local name=$1 want_rc=$2 want=$3
  shift 3
  local err rc
  err=$("$ctl" --data-dir "$nodata" "$@" 2>&1 >/dev/null)
  rc=$?
  [ "$rc" -eq "$want_rc" ] || fail "$name: exit $rc, want $want_rc: $err"
  echo "$err" | grep -qF -- "$want" || fail "$name: stderr lacks \"$want\": $err"
  echo "$err" | grep -q 'bad file' && fail "$name: yaml-cpp's generic message: $err"
}

head='kind: token
version: v2
metadata: {name: x}'

# 1000 nested flow sequences: deeper than yaml-cpp's own guard.
deep_flow=$tmp/deep_flow.yaml
{ echo "$head"; printf 'spec: %s%s\n' "$(printf '[%.0s' {1..1000})" "$(printf ']%.0s' {1..1000})"; } >"$deep_flow"
# 300 levels of block maps: parsed, then over the depth limit of 32.
deep_maps=$tmp/deep_maps.yaml
{ echo "$head"; echo 'spec:'; for d in $(seq 1 299); do printf '%*sa:\n' $((d * 2)) ''; done; } >"$deep_maps"
# One byte over 1 MiB, and 20 MiB.
over=$tmp/over.yaml
head -c $((1048576 + 1)) /dev/zero | tr '\0' '#' >"$over"
huge=$tmp/huge.yaml
head -c $((20 * 1048576)) /dev/zero | tr '\0' '#' >"$huge"
# Exactly 1 MiB of well-formed YAML (a comment).
exact=$tmp/exact.yaml
head -c 1048575 /dev/zero | tr '\0' '#' >"$exact"
echo >>"$exact"
[ "$(wc -c <"$exact")" -eq 1048576 ] || fail "exact.yaml is not 1 MiB"

expect "deep flow file" 1 "ERROR: create: $deep_flow:4:2007: yaml: nesting deeper than 32" create -f "$deep_flow"
expect "deep flow stdin" 1 "ERROR: create: <stdin>:4:2007: yaml: nesting deeper than 32" create -f - <"$deep_flow"
expect "deep maps file" 1 "ERROR: create: $deep_maps:1: yaml: nesting deeper than 32" create -f "$deep_maps"
expect "deep maps stdin" 1 "ERROR: create: <stdin>:1: yaml: nesting deeper than 32" create -f - <"$deep_maps"
expect "over file" 1 "ERROR: create: read $over: larger than 1048576 bytes" create -f "$over"
expect "over stdin" 1 "ERROR: create: read <stdin>: larger than 1048576 bytes" create -f - <"$over"
expect "huge file" 1 "ERROR: create: read $huge: larger than 1048576 bytes" create -f "$huge"
expect "huge stdin" 1 "ERROR: create: read <stdin>: larger than 1048576 bytes" create -f - <"$huge"
expect "missing file" 1 "ERROR: create: open $tmp/none.yaml: " create -f "$tmp/none.yaml"
expect "no -f" 1 "ERROR: create: -f FILE is required (- reads stdin)" create
# Inputs that pass the checks get as far as the admin identity.
expect "exactly 1 MiB" 1 "ERROR: admin identity: " create -f - <"$exact"
expect "well-formed" 1 "ERROR: admin identity: " create -f - <<<"$head"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "create: all checks passed"
