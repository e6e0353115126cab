#!/usr/bin/env bash
# The demo scenario, shared by ./tools/demo.sh (after it builds) and the CI
# test //tools/demo:demo_test (binaries from `data` deps):
#   run_demo.sh EMULATOR AUTH ENLISTCTL AGENT WORLD_YAML TOKEN_YAML [--keep-running]
# Starts enlist-azure-emulator with the world file, enlist-auth (fresh data
# dir) trusting only the emulator's root, creates the seed's token with
# `enlistctl create -f` (rewritten to the world by its demo.token_rewrite),
# then joins one enlist-agent per emulated VM and prints a table as the joins
# happen. Exits 0 only when every outcome matches the world's `expect` and
# `reason`. Everything on 127.0.0.1 with OS-chosen ports.
set -uo pipefail
if [ $# -lt 6 ]; then
  echo "usage: $0 EMULATOR AUTH ENLISTCTL AGENT WORLD_YAML TOKEN_YAML [--keep-running]" >&2
  exit 2
fi
abspath() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
EMU=$(abspath "$1"); AUTH=$(abspath "$2"); CTL=$(abspath "$3"); AGENT=$(abspath "$4")
WORLD=$(abspath "$5"); TOKEN=$(abspath "$6")
keep=0
[ "${7:-}" = "--keep-running" ] && keep=1

work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/enlist-demo-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
if [ $keep -eq 0 ]; then trap cleanup EXIT; else trap 'echo "demo: interrupted"; cleanup' INT TERM; fi

# wait_file FILE SECONDS PID: polls until FILE is non-empty; fails when the
# deadline passes or process PID exits first.
wait_file() {
  local deadline=$(($(date +%s) + $2))
  while [ ! -s "$1" ]; do
    [ "$(date +%s)" -ge "$deadline" ] && return 1
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.05
  done
}

echo "== starting enlist-azure-emulator ($(basename "$WORLD"))"
"$EMU" --world "$WORLD" --listen 127.0.0.1:0 --state-dir "$work/emulator" >"$work/emulator.log" 2>&1 &
pids+=($!)
if ! wait_file "$work/emulator/url" 30 "${pids[-1]}"; then
  cat "$work/emulator.log"; echo "demo: the emulator did not start"; exit 1
fi
url=$(cat "$work/emulator/url")
echo "   $url (IMDS per VM under /vm/<name>, Entra, pkiops, ARM); root CA $work/emulator/root.pem"

echo "== starting enlist-auth (data in $work/auth)"
cat >"$work/auth.yaml" <<YAML
version: v1
cluster_name: demo
listen_addr: 127.0.0.1:0
data_dir: $work/auth
methods:
  azure:
    sts_url: $url
    login_url: $url
    arm_endpoint: $url
    allow_http: true
    roots_file: $work/emulator/root.pem
    intermediate_url_prefixes: ["$url/pkiops/certs/"]
YAML
"$AUTH" --config "$work/auth.yaml" >"$work/auth.log" 2>&1 &
pids+=($!)
if ! wait_file "$work/auth/admin/server" 30 "${pids[-1]}"; then
  cat "$work/auth.log"; echo "demo: enlist-auth did not start"; exit 1
fi
server=$(cat "$work/auth/admin/server")
ctl() { "$CTL" --data-dir "$work/auth" "$@"; }
pin=$(ctl status --format json | sed -n 's/.*"ca_pin":"\([^"]*\)".*/\1/p')
echo "   listening on $server, CA pin $pin"

echo "== enlistctl create -f token.yaml (the seed's token, rewritten to the demo world)"
sed -f "$work/emulator/token-rewrite.sed" "$TOKEN" >"$work/token.yaml"
grep -E '^\s*- subscription|resource_groups' "$work/token.yaml" | sed 's/^/   /'
ctl create -f "$work/token.yaml" || { echo "demo: creating the token failed"; exit 1; }

# agent_config VM CLIENT_ID IMDS_URL: the seed's teleport.yaml for one VM,
# plus the enlist.azure endpoint overrides pointing at the emulator.
agent_config() {
  local dir="$work/vms/$1"
  mkdir -p "$dir"
  {
    echo "version: v3"
    echo "teleport:"
    echo "  nodename: ${1//_/-}"   # host names are DNS names: no "_"
    echo "  data_dir: $dir/data"
    echo "  join_params:"
    echo "    token_name: azure-token"
    echo "    method: azure"
    if [ "$2" != "-" ]; then
      echo "    azure:"
      echo "      client_id: $2"
    fi
    echo "  auth_server: $server"
    echo "ssh_service:"
    echo "  enabled: true"
    echo "enlist:"
    echo "  azure:"
    echo "    imds_url: $3"
    echo "    allow_http: true"
    echo "    intermediate_url_prefixes: [\"$url/pkiops/certs/\"]"
  } >"$dir/teleport.yaml"
}

fmt='%-14s %-15s %-20s %-7s %6s  %s\n'
echo
# shellcheck disable=SC2059
printf "$fmt" "VM" "IDENTITY" "SUBSCRIPTION/RG" "RESULT" "TIME" "HOST ID / DENIAL REASON (as the auth log says)"
fails=0
total=0
while IFS=$'\t' read -r vm identity client_id sub rg set expect reason imds; do
  total=$((total + 1))
  agent_config "$vm" "$client_id" "$imds"
  kind=$identity
  [ "$set" != "-" ] && kind="$identity,${set#*:}"
  log_before=$(wc -l <"$work/auth.log")
  start=$(date +%s%N)
  out=$("$AGENT" join --config "$work/vms/$vm/teleport.yaml" --ca-pin "$pin" --max-attempts 1 2>&1)
  rc=$?
  end=$(date +%s%N)
  if [ $rc -eq 0 ]; then
    result=joined
    detail=$("$AGENT" status --config "$work/vms/$vm/teleport.yaml" --format json |
      sed -n 's/.*"host_id":"\([^"]*\)".*/\1/p')
  else
    result=denied
    printf '%s\n' "$out" >"$work/vms/$vm/join.log"
    # The denial as the auth log says it (error="..." of the new
    # "Failure to join" line), else the agent's own error.
    detail=$(tail -n +"$((log_before + 1))" "$work/auth.log" | grep 'Failure to join' |
      sed -n 's/.*error="\(\([^"\\]\|\\.\)*\)".*/\1/p' | tail -1 | sed 's/\\"/"/g')
    # When the agent itself refused (e.g. a document whose signature does
    # not verify), the server only saw the stream end: add the agent's reason.
    if [ -z "$detail" ] || [[ "$detail" == *"closed by the agent"* ]]; then
      agent_err=$(printf '%s\n' "$out" | sed -n 's/.*error="\(\([^"\\]\|\\.\)*\)".*/\1/p' |
        tail -1 | sed 's/\\"/"/g')
      detail="${detail:+$detail; }agent: $agent_err"
    fi
  fi
  # shellcheck disable=SC2059
  printf "$fmt" "$vm" "$kind" "${sub:0:8}/$rg" "$result" "$(((end - start) / 1000000))ms" "$detail"
  if [ "$result" != "$expect" ]; then
    echo "   ^ expected $expect; agent said: $out"
    fails=$((fails + 1))
  elif [ "$reason" != "-" ] && [[ "$detail" != *"$reason"* ]]; then
    echo "   ^ expected the reason to contain: $reason; agent said:"
    printf '%s\n' "$out" | tail -3 | sed 's/^/     /'
    fails=$((fails + 1))
  fi
done <"$work/emulator/vms.tsv"

echo
echo "== enlistctl get hosts"
ctl get hosts
echo
echo "== enlistctl get events"
ctl get events

if [ $keep -eq 1 ]; then
  echo
  echo "cluster left running (emulator + enlist-auth: pids ${pids[*]}); talk to it with:"
  echo "  $CTL --data-dir $work/auth status"
  echo "  $CTL --data-dir $work/auth get hosts"
  echo "  curl -H Metadata:true '$url/vm/build-01/metadata/attested/document?api-version=2021-02-01&nonce=abc'"
  echo "  $AGENT join --config $work/vms/build-01/teleport.yaml --ca-pin $pin"
  echo "stop it with: kill ${pids[*]}; rm -rf $work"
fi
if [ $total -eq 0 ]; then
  echo "demo: the world has no VMs"
  exit 1
fi
if [ $fails -ne 0 ]; then
  echo "demo: $fails of $total outcome(s) did not match the world file"
  exit 1
fi
echo "demo: all $total outcomes matched the world file"
