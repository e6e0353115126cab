#!/bin/sh
# Regenerates the host public key (SubjectPublicKeyInfo) fuzz seed corpus in
# this folder with openssl(1): fresh keys of every kind an agent may send,
# one it may not (RSA-1024, P-521) and one off the curve. The keys are
# random, so a rerun changes the bytes, not the kinds.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
spki() {  # $1: output name, rest: genpkey arguments
  out=$1
  shift
  openssl genpkey "$@" -out "$tmp/key.pem" 2>/dev/null
  openssl pkey -in "$tmp/key.pem" -pubout -outform DER -out "$here/$out"
}
spki p256.der -algorithm EC -pkeyopt ec_paramgen_curve:P-256
spki p384.der -algorithm EC -pkeyopt ec_paramgen_curve:P-384
spki p521.der -algorithm EC -pkeyopt ec_paramgen_curve:P-521
spki ed25519.der -algorithm ED25519
spki rsa2048.der -algorithm RSA -pkeyopt rsa_keygen_bits:2048
spki rsa1024.der -algorithm RSA -pkeyopt rsa_keygen_bits:1024
# The P-256 key with the last byte of its point flipped: off the curve.
python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[-1]^=1; open(sys.argv[2],"wb").write(d)' \
  "$here/p256.der" "$here/p256_off_curve.der"
