#include "methods/azure/auth/azure_auth_method.h"

#include <utility>

#include "core/util/status_macros.h"
#include "methods/azure/auth/azure_checker.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/azure/auth/checker_config.h"

namespace enlist::azure {

AzureAuthMethod::AzureAuthMethod(std::shared_ptr<http::HttpClient> http, Sleeper* sleeper,
                                 log::Logger* logger)
    : http_(std::move(http)),
      sleeper_(sleeper != nullptr ? sleeper : &RealSleeper::Get()),
      logger_(logger != nullptr ? logger : &log::Logger::Discard()) {}

absl::StatusOr<std::shared_ptr<const join::TokenSpec>> AzureAuthMethod::ParseTokenSpec(
    const std::optional<config::YamlNode>& section) const {
  return ParseAzureTokenSpec(section);
}

std::string AzureAuthMethod::TokenSpecYaml(const join::TokenSpec& spec) const {
  return AzureTokenSpecYaml(spec);
}

absl::StatusOr<std::shared_ptr<join::Checker>> AzureAuthMethod::NewChecker(
    const join::CheckerOptions& options) const {
  ENLIST_ASSIGN_OR_RETURN(AzureCheckerConfig config, ParseCheckerConfig(options.settings));
  AzureCheckerDeps deps;
  deps.http = http_;
  deps.clock = options.clock;
  deps.sleeper = sleeper_;
  deps.logger = logger_;
  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<AzureChecker> checker,
                          AzureChecker::Create(std::move(config), std::move(deps)));
  return std::shared_ptr<join::Checker>(std::move(checker));
}

absl::Status RegisterAzureAuth(join::AuthRegistry& registry,
                               std::shared_ptr<http::HttpClient> http) {
  return registry.Register(std::make_unique<AzureAuthMethod>(std::move(http)));
}

}  // namespace enlist::azure
