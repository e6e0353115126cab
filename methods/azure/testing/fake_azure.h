// Test-only Azure artifacts in the exact format of real Azure, signed by a
// PKI and a token key made at run time: IMDS attested documents (PKCS#7 with
// the digest-OID quirk and no signed attributes, in the
// {"encoding":"pkcs7","signature":...} envelope, payload keys in Azure's
// order with timeStamp dates as "MM/DD/YY HH:MM:SS -0000"), managed-identity
// access tokens (RS256, v1 issuer, tid / xms_mirid / xms_az_rid claims), and
// the tenant's OIDC discovery document and JWKS. Shared by the checker and
// agent tests and the Azure emulator. Aborts on libcrypto failure.
#ifndef ENLIST_METHODS_AZURE_TESTING_FAKE_AZURE_H_
#define ENLIST_METHODS_AZURE_TESTING_FAKE_AZURE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/crypto/ptr.h"
#include "core/crypto/testing/test_pki.h"
#include "core/http/fake_http_client.h"
#include "core/json/json.h"

namespace enlist::azure::testing {

inline constexpr char kTenant[] = "72f988bf-86f1-41af-91ab-2d7cd011db47";
inline constexpr char kSubscription[] = "11111111-2222-3333-4444-555555555555";
inline constexpr char kOtherSubscription[] = "99999999-8888-7777-6666-555555555555";
inline constexpr char kResourceGroup[] = "prod-rg";
inline constexpr char kVmName[] = "vm-1";
inline constexpr char kVmId[] = "02aab8a4-74ef-476e-8182-f6d2ba4166a6";
inline constexpr char kKid[] = "enlist-test-kid";
inline constexpr char kArmResource[] = "https://management.azure.com/";
// A time inside every certificate's validity (2026-01-01T00:00:00Z).
inline constexpr int64_t kNowUnix = 1767225600;

// "/subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>".
std::string VmResourceId(absl::string_view subscription = kSubscription,
                         absl::string_view resource_group = kResourceGroup,
                         absl::string_view vm_name = kVmName);

// The signed payload.
struct PayloadSpec {
  std::string nonce;
  std::string vm_id = kVmId;
  // Empty: the member is left out (pre-2019 documents).
  std::string subscription_id = kSubscription;
  std::string sku = "ubuntu-24_04-lts";
  absl::Time created_on = absl::FromUnixSeconds(kNowUnix - 60);
  // Default: created_on + 6 h, as IMDS does.
  std::optional<absl::Time> expires_on;
};

// How to sign an attested document.
struct SignSpec {
  enum class Signer {
    kGood,         // leaf SAN eastus.metadata.azure.com, chains to root()
    kForeignName,  // chains to root() but named www.example.com
    kUntrusted,    // metadata.azure.com, but from another root
  };
  Signer signer = Signer::kGood;
  bool signed_attributes = false;
  bool corrupt_signature = false;
  // Replaces the embedded content after signing (tampering).
  std::optional<std::string> embedded_content;
};

// Which key signs a token.
enum class TokenKey { kGood, kUnknown };

// The access token's claims.
struct TokenSpec {
  std::string tid = kTenant;
  // Empty: claim left out.
  std::string xms_mirid = VmResourceId();
  std::string xms_az_rid;
  std::string aud = kArmResource;
  // Empty: "https://sts.windows.net/<tid>/".
  std::string iss;
  absl::Time iat = absl::FromUnixSeconds(kNowUnix - 300);
  absl::Time nbf = absl::FromUnixSeconds(kNowUnix - 300);
  absl::Time exp = absl::FromUnixSeconds(kNowUnix + 3600);
  TokenKey key = TokenKey::kGood;
};

// One fake Azure: its CA hierarchy and token key. Immutable after
// construction; thread-safe.
class FakeAzure {
 public:
  FakeAzure();

  // The payload JSON, compact, keys as IMDS orders them.
  std::string PayloadJson(const PayloadSpec& spec) const;
  // The IMDS envelope around a SignedData over `payload_json`.
  std::string AttestedData(absl::string_view payload_json, const SignSpec& sign = {}) const;
  // AttestedData(PayloadJson(spec)).
  std::string AttestedDocument(const PayloadSpec& spec, const SignSpec& sign = {}) const;

  // An RS256 access token with `spec`'s claims.
  std::string AccessToken(const TokenSpec& spec) const;
  // A token with a verbatim header and claims JSON (for alg none / HS256...).
  std::string RawToken(absl::string_view header_json, absl::string_view claims_json) const;
  // The claims of `spec` as JSON.
  json::Value Claims(const TokenSpec& spec) const;

  // {"keys":[<the good key>]}.
  std::string JwksJson() const;
  // A tenant discovery document pointing at `jwks_uri`.
  static std::string OpenIdConfiguration(absl::string_view tenant, absl::string_view jwks_uri);
  // Serves discovery for `tenant` at "<sts_url>/<tenant>/.well-known/openid-configuration"
  // and the JWKS at "<sts_url>/<tenant>/discovery/keys" from `http`.
  void ServeOidc(http::FakeHttpClient* http, absl::string_view sts_url = "https://sts.windows.net",
                 absl::string_view tenant = kTenant) const;

  // The good root as PEM (for a trust-store file), the untrusted root too.
  std::string RootPem() const;
  std::string UntrustedRootPem() const;
  // The intermediate (DER), as an agent sends it.
  std::string IntermediateDer() const;
  // The AIA URLs the good leaf carries (Microsoft shapes).
  static std::vector<std::string> LeafCaIssuerUrls();
  const X509* root() const { return pki_.root.get(); }
  const X509* intermediate() const { return pki_.intermediate.get(); }
  const X509* leaf() const { return pki_.leaf.get(); }

 private:
  crypto::testing::TestPki pki_;
  crypto::EvpPkeyPtr foreign_key_;
  crypto::X509Ptr foreign_leaf_;
  crypto::testing::TestPki untrusted_;
  crypto::EvpPkeyPtr token_key_;
  crypto::EvpPkeyPtr unknown_token_key_;
};

}  // namespace enlist::azure::testing

#endif  // ENLIST_METHODS_AZURE_TESTING_FAKE_AZURE_H_
