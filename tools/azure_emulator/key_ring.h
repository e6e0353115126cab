// Entra ID's token-signing keys as the emulator rotates them: one current
// RS256 key signs new tokens; after a rotation the previous keys stay in the
// JWKS until their grace period ends, so tokens already handed out still
// verify (and a verifier that cached the old set must refresh to learn the
// new kid). Thread-safe.
#ifndef ENLIST_TOOLS_AZURE_EMULATOR_KEY_RING_H_
#define ENLIST_TOOLS_AZURE_EMULATOR_KEY_RING_H_

#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"
#include "core/json/json.h"

namespace enlist::azure_emulator {

class KeyRing {
 public:
  // Starts with one fresh key. kInternal if key generation fails.
  static absl::StatusOr<std::unique_ptr<KeyRing>> Create();

  // Makes a new current key; the others stay published until `now + grace`.
  // Returns the new kid.
  absl::StatusOr<std::string> Rotate(absl::Time now, absl::Duration grace);

  // Signs `claims` (RS256, header kid = the current key's).
  absl::StatusOr<std::string> Sign(const json::Value& claims);

  // {"keys":[...]} with every key still published at `now`, current first.
  absl::StatusOr<std::string> JwksJson(absl::Time now);

  // The current key's kid.
  std::string current_kid();

 private:
  struct Key {
    std::string kid;
    crypto::EvpPkeyPtr key;
    absl::Time retire_at = absl::InfiniteFuture();
  };
  KeyRing() = default;

  absl::Mutex mu_;
  std::vector<Key> keys_ ABSL_GUARDED_BY(mu_);  // current first
  int serial_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace enlist::azure_emulator

#endif  // ENLIST_TOOLS_AZURE_EMULATOR_KEY_RING_H_
