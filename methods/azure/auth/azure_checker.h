// The auth half of the `azure` join method: the checker's nine steps
// (DESIGN.md) over one AzureSolution, in order:
//   1 challenge (challenge.h)      2-3 envelope + PKCS#7 (attested_check.h)
//   4 signer chain (signer_chain.h) 5 payload: nonce, ids, times (attested_check.h)
//   6 access token (access_token.h) 7 resource id + subscription binding,
//     optional ARM strict mode / fallback (resource_id.h, arm_client.h)
//   8 allow rules (azure_token_spec.h)  9 denial codes and messages (here).
// Every denial reads "checking Azure challenge solution: <reason>" and never
// contains the token, the nonce or the document. Codes: kInvalidArgument
// malformed, kUnauthenticated proof failed, kPermissionDenied rules say no,
// kUnavailable a dependency (JWKS, AIA, ARM) is down.
#ifndef ENLIST_METHODS_AZURE_AUTH_AZURE_CHECKER_H_
#define ENLIST_METHODS_AZURE_AUTH_AZURE_CHECKER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/http/http_client.h"
#include "core/join/checker.h"
#include "core/jwt/oidc.h"
#include "core/log/logger.h"
#include "core/util/clock.h"
#include "methods/azure/auth/access_token.h"
#include "methods/azure/auth/arm_client.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/azure/auth/checker_config.h"
#include "methods/azure/auth/signer_chain.h"
#include "methods/azure/common/intermediate_fetcher.h"
#include "methods/azure/common/retry.h"
#include "proto/azure/v1/azure.pb.h"

namespace enlist::azure {

// The prefix of every denial message.
inline constexpr absl::string_view kDenialPrefix = "checking Azure challenge solution: ";

// What a checker needs from its host program.
struct AzureCheckerDeps {
  // For OIDC discovery/JWKS, AIA intermediates and ARM. Shared ownership.
  std::shared_ptr<http::HttpClient> http;
  // Never null; outlives the checker.
  const Clock* clock = &RealClock::Get();
  Sleeper* sleeper = &RealSleeper::Get();
  log::Logger* logger = &log::Logger::Discard();
};

// A checker shared by every azure join. Everything expensive (roots, the
// caches, the key provider) is built once here. Thread-safe.
class AzureChecker final : public join::Checker {
 public:
  // Builds a checker from parsed settings: loads the roots, sets up the
  // caches. Fails as LoadAzureRoots does, or kInvalidArgument when
  // deps.http is null.
  static absl::StatusOr<std::shared_ptr<AzureChecker>> Create(AzureCheckerConfig config,
                                                              AzureCheckerDeps deps);

  absl::StatusOr<std::unique_ptr<join::CheckerSession>> Begin(
      const join::JoinContext& ctx) override;

  // Steps 2-9 for `solution` against `challenge`, for a token named
  // `token_name` with rules `spec`. Returns the verified attributes, or a
  // status whose message is the bare reason (without kDenialPrefix).
  absl::StatusOr<join::Accept> Check(const enlist::azure::v1::AzureSolution& solution,
                                     absl::string_view challenge, const AzureTokenSpec& spec,
                                     absl::string_view token_name);

  // The settings the checker was built from.
  const AzureCheckerConfig& config() const { return config_; }
  // Step 4's verifier (its roots and chain cache), e.g. for diagnostics.
  const SignerChainVerifier& chains() const { return *chains_; }

 private:
  AzureChecker(AzureCheckerConfig config, AzureCheckerDeps deps);
  absl::StatusOr<std::string> ArmBearer(const std::string& node_token) const;

  const AzureCheckerConfig config_;
  const AzureCheckerDeps deps_;
  std::unique_ptr<IntermediateFetcher> fetcher_;
  std::unique_ptr<SignerChainVerifier> chains_;
  std::unique_ptr<jwt::OidcKeyProvider> keys_;
  std::unique_ptr<AccessTokenVerifier> tokens_;
  std::unique_ptr<ArmClient> arm_;
};

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_AZURE_CHECKER_H_
