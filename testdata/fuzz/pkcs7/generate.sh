#!/bin/sh
# Regenerates the PKCS#7 fuzz seed corpus in this folder (see README.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
real="$here/../../azure-real"
decode() {
  python3 -c 'import json,base64,sys; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["signature"]))' "$1"
}
for n in 1 2 4 5 7 17; do
  decode "$real/sample_$n.json" >"$here/azure_sample_$n.der"
done
decode "$real/negative/tc_322910a9cf32.json" >"$here/azure_negative_bad_signature.der"
# Test-PKI SignedData (RSA without/with signed attributes, ECDSA with).
cd "$here/../../.." && bazel run //core/crypto/testing:gen_fuzz_seeds -- "$(pwd)/testdata/fuzz"
