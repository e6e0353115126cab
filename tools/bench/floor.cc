#include "tools/bench/floor.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/crypto/ptr.h"
#include "core/crypto/sign.h"

namespace enlist::bench {
namespace {

using crypto::EvpMdCtxPtr;
using crypto::EvpPkeyCtxPtr;
using crypto::EvpPkeyPtr;

absl::StatusOr<EvpPkeyPtr> KeyGen(int type, int rsa_bits = 0, int curve_nid = 0) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(type, nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1) {
    return absl::InternalError("floor: keygen init failed");
  }
  if (rsa_bits > 0 && EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), rsa_bits) != 1) {
    return absl::InternalError("floor: rsa bits");
  }
  if (curve_nid != 0 && EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), curve_nid) != 1) {
    return absl::InternalError("floor: curve");
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_keygen(ctx.get(), &key) != 1) return absl::InternalError("floor: keygen failed");
  return EvpPkeyPtr(key);
}

bool Verify(EVP_PKEY* key, const std::string& msg, const std::string& sig) {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  return EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const uint8_t*>(sig.data()), sig.size(),
                          reinterpret_cast<const uint8_t*>(msg.data()), msg.size()) == 1;
}

// Server side of an ECDHE exchange: a fresh key pair, then the shared secret
// with the client's public key.
bool KeyExchange(int type, int curve_nid, EVP_PKEY* peer) {
  absl::StatusOr<EvpPkeyPtr> mine = KeyGen(type, 0, curve_nid);
  if (!mine.ok()) return false;
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(mine->get(), nullptr));
  uint8_t secret[64];
  size_t len = sizeof(secret);
  return ctx && EVP_PKEY_derive_init(ctx.get()) == 1 &&
         EVP_PKEY_derive_set_peer(ctx.get(), peer) == 1 &&
         EVP_PKEY_derive(ctx.get(), secret, &len) == 1;
}

// Runs `op` for about `seconds` (at least 20 times); µs per call, or -1
// when `op` failed.
double Time(double seconds, const std::function<bool()>& op) {
  if (!op()) return -1;  // warm
  const absl::Time start = absl::Now();
  const absl::Time end = start + absl::Seconds(seconds);
  int64_t n = 0;
  absl::Time now = start;
  while (n < 20 || now < end) {
    for (int i = 0; i < 10; ++i) {
      if (!op()) return -1;
    }
    n += 10;
    now = absl::Now();
  }
  return absl::ToDoubleMicroseconds(now - start) / static_cast<double>(n);
}

std::string RandomBytes(size_t n) {
  std::string s(n, '\0');
  RAND_bytes(reinterpret_cast<uint8_t*>(s.data()), static_cast<int>(n));
  return s;
}

}  // namespace

absl::StatusOr<FloorResult> MeasureFloor(double seconds_per_op) {
  absl::StatusOr<EvpPkeyPtr> rsa = KeyGen(EVP_PKEY_RSA, 2048);
  absl::StatusOr<EvpPkeyPtr> p256 = KeyGen(EVP_PKEY_EC, 0, NID_X9_62_prime256v1);
  absl::StatusOr<EvpPkeyPtr> ed = KeyGen(EVP_PKEY_ED25519);
  absl::StatusOr<EvpPkeyPtr> x25519_peer = KeyGen(EVP_PKEY_X25519);
  absl::StatusOr<EvpPkeyPtr> p256_peer = KeyGen(EVP_PKEY_EC, 0, NID_X9_62_prime256v1);
  for (const auto* k : {&rsa, &p256, &ed, &x25519_peer, &p256_peer}) {
    if (!k->ok()) return k->status();
  }
  // Sizes as in a join: the attested document's signed content (~400 B of
  // JSON), a managed-identity JWT's signing input (~1.2 KB), a host
  // certificate's TBSCertificate (~450 B), an OpenSSH certificate body
  // (~300 B), TLS 1.3's CertificateVerify input (64 spaces + context + hash).
  const std::string document = RandomBytes(420), jwt = RandomBytes(1200);
  const std::string tbs = RandomBytes(450), ssh = RandomBytes(300), cv = RandomBytes(130);
  absl::StatusOr<std::string> doc_sig = crypto::SignMessage(*rsa->get(), EVP_sha256(), document);
  absl::StatusOr<std::string> jwt_sig = crypto::SignMessage(*rsa->get(), EVP_sha256(), jwt);
  if (!doc_sig.ok()) return doc_sig.status();
  if (!jwt_sig.ok()) return jwt_sig.status();

  FloorResult r;
  auto add = [&](const std::string& name, double us, bool in_sum) -> absl::Status {
    if (us < 0) return absl::InternalError(absl::StrCat("floor: ", name, " failed"));
    r.ops.emplace_back(name, us);
    if (in_sum) r.floor_us += us;
    return absl::OkStatus();
  };
  const double s = seconds_per_op;
  absl::Status st = add("rsa2048_verify_document",
                        Time(s, [&] { return Verify(rsa->get(), document, *doc_sig); }), true);
  if (st.ok()) {
    st =
        add("rsa2048_verify_jwt", Time(s, [&] { return Verify(rsa->get(), jwt, *jwt_sig); }), true);
  }
  if (st.ok()) {
    st = add("ecdsa_p256_sign_x509",
             Time(s, [&] { return crypto::SignMessage(*p256->get(), EVP_sha256(), tbs).ok(); }),
             true);
  }
  if (st.ok()) {
    st = add("ed25519_sign_ssh",
             Time(s, [&] { return crypto::SignMessage(*ed->get(), nullptr, ssh).ok(); }), true);
  }
  if (st.ok()) {
    st = add("tls_x25519_keygen_derive",
             Time(s, [&] { return KeyExchange(EVP_PKEY_X25519, 0, x25519_peer->get()); }), true);
  }
  if (st.ok()) {
    st = add("tls_ecdsa_p256_sign",
             Time(s, [&] { return crypto::SignMessage(*p256->get(), EVP_sha256(), cv).ok(); }),
             true);
  }
  if (st.ok()) {
    st = add(
        "tls_p256_keygen_derive",
        Time(s, [&] { return KeyExchange(EVP_PKEY_EC, NID_X9_62_prime256v1, p256_peer->get()); }),
        false);
  }
  if (!st.ok()) return st;
  return r;
}

}  // namespace enlist::bench
