#!/usr/bin/env bash
# `enlistctl azure inspect` (the real binary) over the real Azure fixtures
# (testdata/azure-real, testdata/entra; provenance in their READMEs):
#  - samples 2-17 at their createdOn with their nonce, intermediates and the
#    fixture roots: every check that runs passes, exit 0 (JSON and text);
#  - without --at: the expired leaf is reported, exit 1;
#  - sample 1: the chain step fails; both negative/ files fail the signature;
#  - the real Entra token with the JWKS snapshot inside its validity: claims
#    shown, the token check passes, the token itself is never printed;
#  - usage errors exit 2.
# Usage: azure_inspect_test.sh ENLISTCTL ROOTS_PEM
set -u  # no pipefail: `echo | grep -q` must report grep's status
ctl=$1
roots=$2
data=testdata/azure-real
certs=$data/certs
tmp=${TEST_TMPDIR:-$(mktemp -d)}
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# sample createdOn nonce cloud intermediates...
while read -r n at nonce cloud inter; do
  [ -z "$n" ] && continue
  pem=$tmp/inter_$n.pem
  : >"$pem"
  for f in ${inter//,/ }; do cat "$certs/$f.pem" >>"$pem"; done
  out=$tmp/out_$n.json
  "$ctl" azure inspect --document "$data/sample_$n.json" --intermediates "$pem" \
    --roots "$roots" --cloud "$cloud" --at "$at" --nonce "$nonce" --format json >"$out"
  rc=$?
  [ "$rc" -eq 0 ] || fail "sample $n at $at: exit $rc: $(cat "$out")"
  grep -q '"failed":0' "$out" || fail "sample $n: a check failed: $(cat "$out")"
  grep -q '"passed":5' "$out" || fail "sample $n: not 5 checks passed: $(cat "$out")"
  grep -q '"name":"signer chain","verdict":"PASS"' "$out" || fail "sample $n: chain did not pass"
  grep -q "\"nonce\":\"$nonce\"" "$out" || fail "sample $n: nonce not shown"
  # Text: the same, from stdin.
  text=$("$ctl" azure inspect --document - --intermediates "$pem" --roots "$roots" \
    --cloud "$cloud" --at "$at" --nonce "$nonce" <"$data/sample_$n.json" 2>&1)
  rc=$?
  [ "$rc" -eq 0 ] || fail "sample $n (stdin, text): exit $rc"
  echo "$text" | grep -q 'PASS  step 4 signer chain' || fail "sample $n: text lacks the chain verdict"
  echo "$text" | grep -q 'Result: PASS' || fail "sample $n: text lacks Result: PASS"
  echo "$text" | grep -q 'Did you really mean' && fail "sample $n: abseil warning on --document -"
  # --require-all: the token checks were skipped.
  "$ctl" azure inspect --document "$data/sample_$n.json" --intermediates "$pem" --roots "$roots" \
    --cloud "$cloud" --at "$at" --nonce "$nonce" --require-all >/dev/null
  [ $? -eq 1 ] || fail "sample $n: --require-all with skipped checks did not exit 1"
  # Now (no --at): the leaf has expired.
  text=$("$ctl" azure inspect --document "$data/sample_$n.json" --intermediates "$pem" \
    --roots "$roots" --cloud "$cloud" --nonce "$nonce")
  rc=$?
  [ "$rc" -eq 1 ] || fail "sample $n now: exit $rc, want 1"
  echo "$text" | grep -q 'FAIL  step 4 signer chain: signer certificate: x509: chain: certificate has expired' ||
    fail "sample $n now: no expired chain: $text"
  echo "$text" | grep -q 'the signer certificate (leaf) expired at' || fail "sample $n now: leaf expiry not named"
done <<'TABLE'
2 2023-10-02T12:33:11Z 20231002-183311 public Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2
3 2022-04-19T01:27:21Z 20220419-072721 public Microsoft_RSA_TLS_CA_01__by_Baltimore_CyberTrust_Root
4 2023-03-08T17:09:33Z 20230308-230933 usgovernment Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2
5 2026-06-25T18:56:45Z 20260626-005645 public Microsoft_TLS_G2_RSA_CA_OCSP_02__by_Microsoft_TLS_RSA_Root_G2,Microsoft_TLS_RSA_Root_G2__by_DigiCert_Global_Root_G2
6 2024-04-22T17:32:45Z 20240422-233245 public Microsoft_Azure_RSA_TLS_Issuing_CA_08__by_DigiCert_Global_Root_G2
7 2019-12-13T00:33:40Z 1234567890 public Microsoft_IT_TLS_CA_4__by_Baltimore_CyberTrust_Root
8 2021-04-21T18:09:27Z 20210422-000927 public Microsoft_RSA_TLS_CA_02__by_Baltimore_CyberTrust_Root
9 2022-03-10T10:56:58Z 20220310-165658 public Microsoft_RSA_TLS_CA_01__by_Baltimore_CyberTrust_Root
10 2023-01-05T10:41:55Z 20230105-164155 public Microsoft_Azure_TLS_Issuing_CA_01__by_DigiCert_Global_Root_G2
11 2023-10-31T15:30:11Z 20231031-213011 public Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2
12 2024-06-28T10:10:14Z 20240628-161014 public Microsoft_Azure_RSA_TLS_Issuing_CA_07__by_DigiCert_Global_Root_G2
13 2025-04-23T16:23:58Z 20250423-222358 public Microsoft_Azure_RSA_TLS_Issuing_CA_03__by_DigiCert_Global_Root_G2
14 2025-08-19T19:04:40Z 20250820-010440 public Microsoft_Azure_RSA_TLS_Issuing_CA_04__by_DigiCert_Global_Root_G2
15 2025-11-19T12:53:30Z 20251119-185330 public Microsoft_Azure_RSA_TLS_Issuing_CA_07__by_DigiCert_Global_Root_G2
16 2026-04-23T15:49:58Z 20260423-214958 public Microsoft_Azure_RSA_TLS_Issuing_CA_04__by_DigiCert_Global_Root_G2
17 2026-07-28T13:24:00Z 20260728-192400 public Microsoft_TLS_G2_RSA_CA_OCSP_02__by_Microsoft_TLS_RSA_Root_G2,Microsoft_TLS_RSA_Root_G2__by_DigiCert_Global_Root_G2
TABLE

# Sample 1 (Microsoft's docs example, self-signed test signer): the chain step.
text=$("$ctl" azure inspect --document "$data/sample_1.json" --roots "$roots" \
  --at 2018-11-20T22:07:39Z --nonce 1234567890)
rc=$?
[ "$rc" -eq 1 ] || fail "sample 1: exit $rc, want 1"
echo "$text" | grep -q 'FAIL  step 4 signer chain: signer certificate: x509: chain:' ||
  fail "sample 1: chain failure not named: $text"

# Tampered copies: the signature (PKCS#7) step.
for f in "$data"/negative/*.json; do
  text=$("$ctl" azure inspect --document "$f" --roots "$roots")
  rc=$?
  [ "$rc" -eq 1 ] || fail "$f: exit $rc, want 1"
  echo "$text" | grep -q 'FAIL  step 3 signature: attested data: pkcs7:' ||
    fail "$f: no signature failure: $text"
  echo "$text" | grep -q 'SKIP  step 4 signer chain' || fail "$f: chain not skipped"
done

# The real Entra token (user-assigned identity) with the tenant's JWKS snapshot.
token=testdata/entra/user_assigned_arm_2023.jwt
text=$("$ctl" azure inspect --token "$token" --jwks testdata/entra/jwks_tenant_v2_snapshot_2024-01.json \
  --at 2023-12-09T22:00:00Z --roots "$roots")
rc=$?
[ "$rc" -eq 0 ] || fail "entra token: exit $rc, want 0: $text"
echo "$text" | grep -q 'PASS  step 6 access token: tenant 90a38eda-4006-4dd5-924c-6ca55cacc14d' ||
  fail "entra token: token check did not pass: $text"
for want in 'tid         90a38eda-4006-4dd5-924c-6ca55cacc14d' \
  'iss         https://sts.windows.net/90a38eda-4006-4dd5-924c-6ca55cacc14d/' \
  'aud         https://management.azure.com/' 'exp         2023-12-10T20:01:57Z' \
  'nbf         2023-12-09T19:56:57Z' 'kid         T1St-dLTvyWRgxB_676u8krXS-I' \
  'xms_az_rid names VM "ssh-server-vm" in resource group "northpole-rg1"'; do
  echo "$text" | grep -qF "$want" || fail "entra token: missing \"$want\""
done
sig=$(tr -d '\n' <"$token" | awk -F. '{print substr($3, 1, 40)}')
head=$(tr -d '\n' <"$token" | cut -c1-40)
echo "$text" | grep -qF "$sig" && fail "entra token: the signature was printed"
echo "$text" | grep -qF "$head" && fail "entra token: the token was printed"
# Today it has expired.
text=$("$ctl" azure inspect --token "$token" --jwks testdata/entra/jwks_tenant_v2_snapshot_2024-01.json \
  --roots "$roots")
rc=$?
[ "$rc" -eq 1 ] || fail "entra token now: exit $rc, want 1"
echo "$text" | grep -q 'FAIL  step 6 access token: access token: jwt: token expired' ||
  fail "entra token now: not expired: $text"

# Usage errors: exit 2.
"$ctl" azure inspect >/dev/null 2>&1
[ $? -eq 2 ] || fail "no input: want exit 2"
"$ctl" azure inspect --document "$data/sample_2.json" --at yesterday >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --at: want exit 2"
"$ctl" azure inspect --document "$data/sample_2.json" --cloud mars >/dev/null 2>&1
[ $? -eq 2 ] || fail "bad --cloud: want exit 2"
"$ctl" azure inspect --document /nonexistent >/dev/null 2>&1
[ $? -eq 2 ] || fail "missing file: want exit 2"

if [ "$failures" -ne 0 ]; then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "azure inspect: all checks passed"
