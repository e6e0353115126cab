#!/usr/bin/env bash
# Runs the whole test suite: every test under OpenSSL 3, then the crypto and
# verification tests (tag "boringssl") again against BoringSSL. Extra
# arguments are passed to both `bazel test` runs (e.g. --config=asan).
# Ends with one line "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

./tools/bootstrap.sh || exit 1

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0

echo "== bazel test //... $*"
bazel test --test_summary=short "$@" //... 2>&1 | tee -a "$log" || status=1

boring_targets=$(bazel query 'attr(tags, "boringssl", tests(//...))' 2>/dev/null)
if [ -z "$boring_targets" ]; then
  echo "test.sh: no test is tagged boringssl" >&2
  status=1
else
  echo "== bazel test --config=boringssl (tag boringssl) $*"
  # shellcheck disable=SC2086
  bazel test --config=boringssl --test_summary=short "$@" $boring_targets 2>&1 | tee -a "$log" || status=1
  # One libcrypto per process: the BoringSSL build must not load OpenSSL's.
  boring_bin=$(bazel info --config=boringssl "$@" bazel-bin 2>/dev/null)
  checked=0
  for t in $boring_targets; do
    label=${t#//}
    bin="$boring_bin/${label%%:*}/${label##*:}"
    if [ ! -x "$bin" ]; then
      echo "test.sh: $t: no binary at $bin" >&2
      status=1
      continue
    fi
    libs=$(ldd "$bin")
    if printf '%s\n' "$libs" | grep -q 'libcrypto.so.3'; then
      echo "test.sh: $t loads OpenSSL's libcrypto under --config=boringssl" >&2
      status=1
    elif printf '%s\n' "$libs" | grep -q 'android/libcrypto.so'; then
      checked=$((checked + 1))
    fi
  done
  # Tests of code without crypto (JSON, DER) load neither; at least the
  # crypto ones must load Android's.
  if [ "$checked" -eq 0 ]; then
    echo "test.sh: no test binary loads Android's libcrypto under --config=boringssl" >&2
    status=1
  fi
  echo "== $checked BoringSSL test binaries load Android's libcrypto and none loads OpenSSL's"
fi

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD|INCOMPLETE|FLAKY)' "$log")
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
