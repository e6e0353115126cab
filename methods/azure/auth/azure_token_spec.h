// `spec.azure` of a token resource: the allow rules of the seed's token.yaml.
//   azure:
//     allow:
//       - subscription: 11111111-1111-1111-1111-111111111111
//         resource_groups: ["group1", "group2"]   # optional
//         tenant: <tenant id>                      # optional
//     strict: true   # optional: confirm the VM's vmId through ARM for this token
#ifndef ENLIST_METHODS_AZURE_AUTH_AZURE_TOKEN_SPEC_H_
#define ENLIST_METHODS_AZURE_AUTH_AZURE_TOKEN_SPEC_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/config/yaml.h"
#include "core/join/checker.h"

namespace enlist::azure {

// One allow rule. Empty fields match anything; a rule has at least a
// subscription or a tenant.
struct AllowRule {
  std::string subscription;                  // lowercase UUID, or empty
  std::string tenant;                        // lowercase UUID, or empty
  std::vector<std::string> resource_groups;  // compared case-insensitively
};

// `spec.azure` of a token: the allow rules and the strict flag. Immutable.
class AzureTokenSpec final : public join::TokenSpec {
 public:
  explicit AzureTokenSpec(std::vector<AllowRule> allow, bool strict = false)
      : allow_(std::move(allow)), strict_(strict) {}
  const std::vector<AllowRule>& allow() const { return allow_; }
  // True when joins with this token must confirm through ARM that the
  // token's VM has the attested vmId (strict mode), whatever the server
  // default is.
  bool strict() const { return strict_; }

  // Index of the first rule matching the verified facts, or nullopt.
  std::optional<size_t> Match(absl::string_view tenant, absl::string_view subscription,
                              absl::string_view resource_group) const;

 private:
  std::vector<AllowRule> allow_;
  bool strict_ = false;
};

// Parses `spec.azure`; errors name file, line and field.
absl::StatusOr<std::shared_ptr<const join::TokenSpec>> ParseAzureTokenSpec(
    const std::optional<config::YamlNode>& section);

// Renders the spec as the YAML mapping stored for `spec.azure`.
std::string AzureTokenSpecYaml(const join::TokenSpec& spec);


}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_AZURE_TOKEN_SPEC_H_
