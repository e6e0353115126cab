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
# Variants the check must refuse or accept by encoding: compressed and hybrid
# points, the point at infinity, Ed25519 with NULL parameters, rsaEncryption
# with an OCTET STRING where NULL belongs.
python3 - "$here" <<'PY'
import sys
here = sys.argv[1]
def rd(n): return open(f"{here}/{n}", "rb").read()
def wr(n, b): open(f"{here}/{n}", "wb").write(b)
def spki(alg, key):
    bits = bytes([3, len(key) + 1, 0]) + key
    return bytes([0x30, len(alg) + len(bits)]) + alg + bits
d = rd("p256.der"); alg, pt = d[2:23], d[26:]
wr("p256_compressed.der", spki(alg, bytes([2 | (pt[-1] & 1)]) + pt[1:33]))
wr("p256_hybrid.der", spki(alg, bytes([6 | (pt[-1] & 1)]) + pt[1:]))
wr("p256_infinity.der", spki(alg, b"\x00"))
wr("ed25519_null_params.der", spki(b"\x30\x07\x06\x03\x2b\x65\x70\x05\x00", rd("ed25519.der")[12:]))
r = bytearray(rd("rsa2048.der"))
i = r.find(b"\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01\x05\x00")
r[i + 9] = 4
wr("rsa2048_octet_params.der", bytes(r))
PY
