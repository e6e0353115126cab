// Fuzz target: certificate-chain input as an agent sends it — concatenated
// DER certificates (leaf first, then intermediates). The last certificate
// acts as the trust anchor, so fuzzed inputs reach path building, name
// checks and AIA extraction, not only parsing.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/crypto/cert.h"
#include "core/crypto/cert_name.h"
#include "core/crypto/chain.h"
#include "core/crypto/trust_store.h"

namespace ec = ::enlist::crypto;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  absl::StatusOr<std::vector<ec::X509Ptr>> certs = ec::ParseCertificatesDer(
      absl::string_view(reinterpret_cast<const char*>(data), size), /*max_certificates=*/8);
  if (!certs.ok() || certs->empty()) return 0;
  for (const ec::X509Ptr& c : *certs) {
    (void)ec::DescribeCertificate(*c);
    (void)ec::DnsNames(*c);
    (void)ec::CaIssuerUrls(*c);
    (void)ec::CheckCertificateName(*c, {"metadata.azure.com"});
  }
  // Anchor = last certificate; leaf = first; the rest are intermediates.
  ec::X509Ptr& last = certs->back();
  X509_up_ref(last.get());
  std::vector<ec::X509Ptr> anchor;
  anchor.emplace_back(last.get());
  absl::StatusOr<std::shared_ptr<const ec::TrustStore>> trust =
      ec::TrustStore::FromCertificates(std::move(anchor));
  if (!trust.ok()) return 0;
  std::vector<ec::X509Ptr> intermediates;
  for (size_t i = 1; i + 1 < certs->size(); ++i) intermediates.push_back(std::move((*certs)[i]));
  // A fixed time: 2024-01-01, inside the validity of the seed certificates.
  (void)ec::VerifyChain(*certs->front(), intermediates, **trust, absl::FromUnixSeconds(1704067200));
  return 0;
}
