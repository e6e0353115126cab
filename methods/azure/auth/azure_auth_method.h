// The `azure` join method's auth-side factory: token spec parsing
// (azure_token_spec.h) and checker creation from `methods.azure` settings
// (checker_config.h), with the HTTP client injected. Programs that want the
// real network use register_azure_auth.h.
#ifndef ENLIST_METHODS_AZURE_AUTH_AZURE_AUTH_METHOD_H_
#define ENLIST_METHODS_AZURE_AUTH_AZURE_AUTH_METHOD_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/http/http_client.h"
#include "core/join/checker.h"
#include "core/join/registry.h"
#include "core/log/logger.h"
#include "methods/azure/common/retry.h"

namespace enlist::azure {

// Immutable and thread-safe.
class AzureAuthMethod final : public join::AuthJoinMethod {
 public:
  // `http` serves OIDC discovery/JWKS, AIA intermediates and ARM; shared by
  // every checker made. `sleeper` and `logger` may be null (real / discard).
  explicit AzureAuthMethod(std::shared_ptr<http::HttpClient> http, Sleeper* sleeper = nullptr,
                           log::Logger* logger = nullptr);

  absl::string_view name() const override { return "azure"; }
  absl::StatusOr<std::shared_ptr<const join::TokenSpec>> ParseTokenSpec(
      const std::optional<config::YamlNode>& section) const override;
  std::string TokenSpecYaml(const join::TokenSpec& spec) const override;
  // Parses options.settings and builds an AzureChecker (roots loaded once).
  absl::StatusOr<std::shared_ptr<join::Checker>> NewChecker(
      const join::CheckerOptions& options) const override;

 private:
  std::shared_ptr<http::HttpClient> http_;
  Sleeper* sleeper_;
  log::Logger* logger_;
};

// Adds the method, using `http` for its outbound requests.
absl::Status RegisterAzureAuth(join::AuthRegistry& registry,
                               std::shared_ptr<http::HttpClient> http);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_AZURE_AUTH_METHOD_H_
