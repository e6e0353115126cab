// Provisioning tokens: the seed's token.yaml (`kind: token`, `version: v2`),
// accepted verbatim, validated with precise errors.
#ifndef ENLIST_CORE_TOKEN_TOKEN_RESOURCE_H_
#define ENLIST_CORE_TOKEN_TOKEN_RESOURCE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/join/checker.h"
#include "core/join/registry.h"

namespace enlist::token {

// A validated token resource. Immutable; `spec` is owned by the method that
// parsed it.
struct TokenResource {
  std::string name;
  std::vector<std::string> roles;  // canonical role names, e.g. "Node"
  std::string join_method;
  std::optional<absl::Time> expires;  // metadata.expires
  std::string description;            // metadata.description
  std::map<std::string, std::string> labels;
  std::shared_ptr<const join::TokenSpec> spec;

  // True when `expires` is set and not after `now`.
  bool ExpiredAt(absl::Time now) const { return expires.has_value() && *expires <= now; }
  // True when `role` is one of `roles`.
  bool Grants(absl::string_view role) const;
};

// Role names the token format knows (Teleport's), in canonical case.
const std::vector<std::string>& KnownRoles();

// Parses every `kind: token` document in `text` (multi-document YAML),
// validating the method section through `methods`. `source` names the input
// in errors ("token.yaml:12:7: spec.azure.allow[0]: missing field ...").
// All-or-nothing: any invalid document fails the whole call.
absl::StatusOr<std::vector<TokenResource>> ParseTokens(absl::string_view text,
                                                       absl::string_view source,
                                                       const join::AuthRegistry& methods);

// Renders `token` as the canonical YAML document that storage keeps and that
// ParseTokens reads back to an equal resource (secrets only hashed).
std::string TokenToYaml(const TokenResource& token, const join::AuthRegistry& methods);

}  // namespace enlist::token

#endif  // ENLIST_CORE_TOKEN_TOKEN_RESOURCE_H_
