#include "tools/azure_emulator/key_ring.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/jwt/signer.h"
#include "core/util/status_macros.h"

namespace enlist::azure_emulator {
namespace {

// Entra kids are short base64url strings; make a recognisable one.
std::string NewKid(int serial) {
  unsigned char rnd[6];
  if (RAND_bytes(rnd, sizeof(rnd)) != 1) return absl::StrCat("emu-key-", serial);
  return absl::StrCat("emu-key-", serial, "-",
                      absl::BytesToHexString(std::string(reinterpret_cast<char*>(rnd), 6)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyRing>> KeyRing::Create() {
  std::unique_ptr<KeyRing> ring(new KeyRing());
  ENLIST_RETURN_IF_ERROR(ring->Rotate(absl::InfinitePast(), absl::ZeroDuration()).status());
  return ring;
}

absl::StatusOr<std::string> KeyRing::Rotate(absl::Time now, absl::Duration grace) {
  ENLIST_ASSIGN_OR_RETURN(crypto::EvpPkeyPtr key, jwt::GenerateRsaKey(2048));
  absl::MutexLock l(&mu_);
  for (Key& k : keys_) k.retire_at = std::min(k.retire_at, now + grace);
  Key k;
  k.kid = NewKid(++serial_);
  k.key = std::move(key);
  keys_.insert(keys_.begin(), std::move(k));
  return keys_.front().kid;
}

absl::StatusOr<std::string> KeyRing::Sign(const json::Value& claims) {
  absl::MutexLock l(&mu_);
  return jwt::SignJwt(claims, jwt::Algorithm::kRs256, keys_.front().key.get(), keys_.front().kid);
}

absl::StatusOr<std::string> KeyRing::JwksJson(absl::Time now) {
  absl::MutexLock l(&mu_);
  json::Value list = json::Value::Array();
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (i > 0 && keys_[i].retire_at <= now) continue;
    ENLIST_ASSIGN_OR_RETURN(json::Value jwk, jwt::PublicJwk(keys_[i].key.get(), keys_[i].kid));
    list.Append(std::move(jwk));
  }
  json::Value set = json::Value::Object();
  set.Set("keys", std::move(list));
  return json::Serialize(set);
}

std::string KeyRing::current_kid() {
  absl::MutexLock l(&mu_);
  return keys_.front().kid;
}

}  // namespace enlist::azure_emulator
