#!/usr/bin/env bash
# The demo cluster: enlist-azure-emulator (a miniature Azure on loopback)
# with the demo world testdata/emulator/world.yaml, a real enlist-auth
# trusting only the emulator's root, the seed's Azure token created with
# enlistctl, and one real enlist-agent join per emulated VM — some allowed,
# some denied. Exits 0 when every outcome matched the world file.
#   ./tools/demo.sh [--keep-running]
# The scenario itself is tools/demo/run_demo.sh (shared with the CI test
# //tools/demo:demo_test); see docs/demo.md.
set -uo pipefail
cd "$(dirname "$0")/.."
keep=()
case "${1:-}" in
  --keep-running) keep=(--keep-running) ;;
  "") ;;
  *) echo "usage: $0 [--keep-running]" >&2; exit 2 ;;
esac

./tools/bootstrap.sh || exit 1
echo "== building (first run: several minutes on 2 cores)"
targets=(//auth:enlist-auth //tools/enlistctl //agent:enlist-agent
  //tools/azure_emulator:enlist-azure-emulator)
bazel build "${targets[@]}" 2>&1 | tail -2
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "demo: build failed"; exit 1; }
bin=$(bazel info bazel-bin 2>/dev/null)
exec ./tools/demo/run_demo.sh \
  "$bin/tools/azure_emulator/enlist-azure-emulator" \
  "$bin/auth/enlist-auth" \
  "$bin/tools/enlistctl/enlistctl" \
  "$bin/agent/enlist-agent" \
  testdata/emulator/world.yaml \
  testdata/token.yaml \
  "${keep[@]}"
