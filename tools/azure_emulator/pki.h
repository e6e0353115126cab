// The emulator's Microsoft PKI, made at start: a self-signed root, an
// "issuing CA" intermediate, and the IMDS signing leaf named
// "<region>.metadata.azure.com" whose AIA caIssuers URL points at the
// emulator's own pkiops path — so a checker trusting only this root verifies
// the emulator's documents, fetching the intermediate like a real one. For
// the fault switches it also holds a foreign leaf (same chain, named
// www.example.com) and an untrusted hierarchy (its own root, a
// metadata.azure.com leaf). Immutable after Create; thread-safe.
#ifndef ENLIST_TOOLS_AZURE_EMULATOR_PKI_H_
#define ENLIST_TOOLS_AZURE_EMULATOR_PKI_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"

namespace enlist::azure_emulator {

// pkiops file names served under "<base>/pkiops/certs/".
inline constexpr char kIssuingCaFile[] = "issuing-ca.crt";
inline constexpr char kUntrustedCaFile[] = "untrusted-ca.crt";

// One signing identity: key, certificate and the intermediate above it.
struct Signer {
  crypto::EvpPkeyPtr key;
  crypto::X509Ptr cert;
  const X509* intermediate = nullptr;  // owned by the Pki
};

class Pki {
 public:
  // Creates the hierarchies with RSA-2048 keys, valid from `now` - 1 day
  // for a year. `base_url` ("http://127.0.0.1:PORT") goes into the AIA URLs.
  static absl::StatusOr<Pki> Create(absl::string_view base_url, absl::string_view region,
                                    absl::Time now);

  const Signer& good() const { return good_; }
  const Signer& foreign() const { return foreign_; }
  const Signer& untrusted() const { return untrusted_; }

  // The trusted root as PEM (what checkers configure as roots_file).
  const std::string& root_pem() const { return root_pem_; }
  // DER of a pkiops file (kIssuingCaFile, kUntrustedCaFile), or "" if unknown.
  std::string PkiopsFile(absl::string_view name) const;

 private:
  crypto::EvpPkeyPtr root_key_, issuing_key_, untrusted_root_key_, untrusted_issuing_key_;
  crypto::X509Ptr root_, issuing_, untrusted_root_, untrusted_issuing_;
  Signer good_, foreign_, untrusted_;
  std::string root_pem_;
  std::string issuing_der_, untrusted_issuing_der_;
};

}  // namespace enlist::azure_emulator

#endif  // ENLIST_TOOLS_AZURE_EMULATOR_PKI_H_
