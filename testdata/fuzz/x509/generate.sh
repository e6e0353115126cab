#!/bin/sh
# Regenerates the certificate-chain fuzz seed corpus in this folder (see
# README.md). Each file is concatenated DER: leaf, intermediates, anchor.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
real="$here/../../azure-real"
leaf() {  # DER of the only certificate inside sample_N's SignedData
  python3 -c 'import json,base64,sys; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["signature"]))' "$1" |
    openssl pkcs7 -inform DER -print_certs | openssl x509 -outform DER
}
der() { openssl x509 -in "$real/certs/$1" -outform DER; }
{ leaf "$real/sample_2.json"; der Microsoft_Azure_TLS_Issuing_CA_05__by_DigiCert_Global_Root_G2.pem; der DigiCert_Global_Root_G2__selfsigned.pem; } >"$here/azure_sample_2_chain.der"
{ leaf "$real/sample_7.json"; der Microsoft_IT_TLS_CA_4__by_Baltimore_CyberTrust_Root.pem; der Baltimore_CyberTrust_Root.pem; } >"$here/azure_sample_7_chain.der"
{ leaf "$real/sample_5.json"; der Microsoft_TLS_G2_RSA_CA_OCSP_02__by_Microsoft_TLS_RSA_Root_G2.pem; der Microsoft_TLS_RSA_Root_G2__by_DigiCert_Global_Root_G2.pem; der DigiCert_Global_Root_G2__selfsigned.pem; } >"$here/azure_sample_5_chain.der"
leaf "$real/sample_1.json" >"$here/azure_sample_1_selfsigned.der"
# Test-PKI chains (RSA, EC).
cd "$here/../../.." && bazel run //core/crypto/testing:gen_fuzz_seeds -- "$(pwd)/testdata/fuzz"
