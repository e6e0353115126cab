#!/usr/bin/env bash
# Installs every Debian 12 package that Enlist's build, tests and demo need,
# and nothing else. Idempotent: when everything is present it only checks.
set -euo pipefail

PACKAGES=(
  # Build: Bazel 4.2.3 and the rules it binds to offline.
  bazel-bootstrap bazel-rules-cc bazel-rules-java bazel-platforms
  g++
  # Libraries (see docs/building.md).
  libabsl-dev libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libyaml-cpp-dev libgtest-dev libgmock-dev
  libssl-dev android-libboringssl-dev
  libcurl4-openssl-dev libsqlite3-dev libcpp-httplib-dev
  # Fuzzing (--config=fuzz) with clang's libFuzzer.
  clang libclang-rt-14-dev
  # Tests check issued certificates with the real tools.
  openssl openssh-client openssh-server
  # The etcd storage backend's tests run a real etcd cluster (and etcdctl
  # helps operators inspect it).
  etcd-server etcd-client
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "bootstrap: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Try without refreshing the package lists first; refresh if that fails.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/enlist-bootstrap.log 2>&1; then
  $SUDO apt-get update -qq >>/tmp/enlist-bootstrap.log 2>&1
  if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/enlist-bootstrap.log 2>&1; then
    tail -20 /tmp/enlist-bootstrap.log >&2
    echo "bootstrap: apt-get install failed (full log: /tmp/enlist-bootstrap.log)" >&2
    exit 1
  fi
fi
echo "bootstrap: done" >&2
