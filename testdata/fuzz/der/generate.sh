#!/bin/sh
# Regenerates the DER fuzz seed corpus in this folder. Sources:
#   azure_sample_{2,7,17}.der  the base64 "signature" of
#                              testdata/azure-real/sample_N.json, decoded (real
#                              Azure CMS SignedData; provenance in SOURCES.md)
#   digicert_g2_root.der       testdata/azure-real/certs/DigiCert_Global_Root_G2__selfsigned.pem as DER
#   small_*.der                hand-written edge cases (printf below)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
real="$here/../../azure-real"
for n in 2 7 17; do
  python3 -c 'import json,base64,sys; sys.stdout.buffer.write(base64.b64decode(json.load(open(sys.argv[1]))["signature"]))' \
    "$real/sample_$n.json" >"$here/azure_sample_$n.der"
done
openssl x509 -in "$real/certs/DigiCert_Global_Root_G2__selfsigned.pem" -outform DER -out "$here/digicert_g2_root.der"
printf '\060\003\002\001\005' >"$here/small_seq_int.der"                 # SEQUENCE { INTEGER 5 }
printf '\060\200\002\001\005\000\000' >"$here/small_indefinite.der"      # indefinite length
printf '\004\201\003abc' >"$here/small_nonminimal_len.der"               # long form for 3
printf '\006\011\052\206\110\206\367\015\001\007\002' >"$here/small_oid.der"  # 1.2.840.113549.1.7.2
printf '\027\015191213003340Z\001\001\377' >"$here/small_time_bool.der"   # UTCTime, TRUE
printf '\240\005\061\003\002\001\000' >"$here/small_context.der"          # [0] { SET { INTEGER 0 } }
