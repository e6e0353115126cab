#!/usr/bin/env bash
# The demo cluster: a real enlist-auth on 127.0.0.1, tokens created with
# enlistctl, and real enlist-agent processes joining over TLS with the CA
# pin. Exits 0 when every outcome matched the expectation.
#   ./tools/demo.sh [--keep-running]
set -uo pipefail
cd "$(dirname "$0")/.."
keep=0
[ "${1:-}" = "--keep-running" ] && keep=1

./tools/bootstrap.sh || exit 1
echo "== building (first run: several minutes on 2 cores)"
bazel build //auth:enlist-auth //tools/enlistctl //agent:enlist-agent 2>&1 | tail -2 || exit 1
bin=$(bazel info bazel-bin 2>/dev/null)
AUTH="$bin/auth/enlist-auth"
CTL="$bin/tools/enlistctl/enlistctl"
AGENT="$bin/agent/enlist-agent"

work=$(mktemp -d /tmp/enlist-demo-XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
if [ $keep -eq 0 ]; then trap cleanup EXIT; fi

echo "== starting enlist-auth (data in $work/auth)"
"$AUTH" --data-dir "$work/auth" --listen-addr 127.0.0.1:0 --cluster-name demo >"$work/auth.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/auth/admin/server" ] && break; sleep 0.1; done
if [ ! -s "$work/auth/admin/server" ]; then cat "$work/auth.log"; echo "demo: enlist-auth did not start"; exit 1; fi
server=$(cat "$work/auth/admin/server")
ctl() { "$CTL" --data-dir "$work/auth" "$@"; }
pin=$(ctl status --format json | sed -n 's/.*"ca_pin":"\([^"]*\)".*/\1/p')
echo "   listening on $server, CA pin $pin"

secret=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
echo "== creating tokens with enlistctl create -f"
ctl create -f - <<YAML || exit 1
kind: token
version: v2
metadata:
  name: bootstrap
spec:
  roles: [Node]
  join_method: token
  token:
    secret: "$secret"
---
kind: token
version: v2
metadata:
  name: one-shot
spec:
  roles: [Node]
  join_method: token
  token:
    secret: "$secret"
    single_use: true
YAML

# agent NAME TOKEN SECRET: writes a teleport.yaml-style config for one VM.
agent_config() {
  mkdir -p "$work/$1"
  printf '%s' "$3" >"$work/$1/secret"
  cat >"$work/$1/teleport.yaml" <<YAML
version: v3
teleport:
  nodename: $1
  data_dir: $work/$1/data
  join_params:
    token_name: $2
    method: token
    token:
      secret_file: $work/$1/secret
  auth_server: $server
ssh_service:
  enabled: true
YAML
}

printf '\n%-10s %-10s %-8s %-45s %s\n' "VM" "TOKEN" "RESULT" "HOST ID / REASON" "TIME"
fails=0
run_agent() {  # NAME TOKEN SECRET EXPECT(joined|denied)
  agent_config "$1" "$2" "$3"
  local start end out rc result detail
  start=$(date +%s%N)
  out=$("$AGENT" join --config "$work/$1/teleport.yaml" --ca-pin "$pin" --max-attempts 1 2>&1)
  rc=$?
  end=$(date +%s%N)
  if [ $rc -eq 0 ]; then
    result=joined
    detail=$("$AGENT" status --config "$work/$1/teleport.yaml" --format json | sed -n 's/.*"host_id":"\([^"]*\)".*/\1/p')
  else
    result=denied
    # The agent's error="..." value, with its escaped quotes restored.
    detail=$(printf '%s\n' "$out" | sed -n 's/.*error="\(\([^"\\]\|\\.\)*\)".*/\1/p' | tail -1 | sed 's/\\"/"/g')
  fi
  printf '%-10s %-10s %-8s %-45s %dms\n' "$1" "$2" "$result" "${detail:0:45}" $(((end - start) / 1000000))
  if [ "$result" != "$4" ]; then
    echo "   expected $4; agent said: $out"
    fails=$((fails + 1))
  fi
}
run_agent vm-1 bootstrap "$secret" joined
run_agent vm-2 one-shot "$secret" joined
run_agent vm-3 one-shot "$secret" denied
run_agent vm-4 bootstrap "wrong-secret-wrong-secret" denied
run_agent vm-5 missing "$secret" denied
run_agent vm-1 bootstrap "$secret" joined   # restart: identity renewed

echo
echo "== enlistctl get hosts"
ctl get hosts
echo
echo "== enlistctl get events"
ctl get events
echo
echo "== auth server log (denials)"
grep 'Failure to join' "$work/auth.log" || true

if [ $keep -eq 1 ]; then
  echo
  echo "cluster left running (pid ${pids[*]}); talk to it with:"
  echo "  $CTL --data-dir $work/auth status"
  echo "stop it with: kill ${pids[*]}; rm -rf $work"
fi
if [ $fails -ne 0 ]; then
  echo "demo: $fails outcome(s) did not match"
  exit 1
fi
echo "demo: every outcome matched"
