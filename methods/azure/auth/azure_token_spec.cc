#include "methods/azure/auth/azure_token_spec.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "core/util/uuid.h"
#include "yaml-cpp/yaml.h"

namespace enlist::azure {
namespace {

constexpr size_t kMaxRules = 256;
constexpr size_t kMaxGroups = 256;
constexpr size_t kMaxGroupName = 90;  // Azure's limit for resource group names

absl::StatusOr<std::string> ParseUuidField(const config::YamlNode& node) {
  ENLIST_ASSIGN_OR_RETURN(std::string v, node.AsString());
  if (!IsUuid(v)) return node.Invalid(absl::StrCat("\"", v, "\" is not a UUID"));
  return absl::AsciiStrToLower(v);
}

}  // namespace

std::optional<size_t> AzureTokenSpec::Match(absl::string_view tenant,
                                            absl::string_view subscription,
                                            absl::string_view resource_group) const {
  for (size_t i = 0; i < allow_.size(); ++i) {
    const AllowRule& r = allow_[i];
    if (!r.tenant.empty() && !absl::EqualsIgnoreCase(r.tenant, tenant)) continue;
    if (!r.subscription.empty() && !absl::EqualsIgnoreCase(r.subscription, subscription)) continue;
    if (!r.resource_groups.empty()) {
      bool found = false;
      for (const std::string& g : r.resource_groups) {
        found = found || absl::EqualsIgnoreCase(g, resource_group);
      }
      if (!found) continue;
    }
    return i;
  }
  return std::nullopt;
}

absl::StatusOr<std::shared_ptr<const join::TokenSpec>> ParseAzureTokenSpec(
    const std::optional<config::YamlNode>& section) {
  if (!section.has_value()) {
    return absl::InvalidArgumentError(
        "spec.azure: missing: join method \"azure\" needs spec.azure.allow rules");
  }
  ENLIST_RETURN_IF_ERROR(section->CheckFields({"allow", "strict"}));
  ENLIST_ASSIGN_OR_RETURN(config::YamlNode allow, section->Required("allow"));
  ENLIST_ASSIGN_OR_RETURN(std::vector<config::YamlNode> rules, allow.Elements());
  if (rules.empty()) return allow.Invalid("at least one allow rule is required");
  if (rules.size() > kMaxRules) return allow.Invalid("too many allow rules");
  std::vector<AllowRule> out;
  for (const config::YamlNode& rule : rules) {
    ENLIST_RETURN_IF_ERROR(rule.CheckFields({"subscription", "resource_groups", "tenant"}));
    AllowRule r;
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> sub, rule.Child("subscription"));
    if (sub.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(r.subscription, ParseUuidField(*sub));
    }
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> tenant, rule.Child("tenant"));
    if (tenant.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(r.tenant, ParseUuidField(*tenant));
    }
    if (r.subscription.empty() && r.tenant.empty()) {
      return rule.Invalid("an allow rule needs a subscription or a tenant");
    }
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> groups, rule.Child("resource_groups"));
    if (groups.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(r.resource_groups, groups->AsStringList());
      if (r.resource_groups.size() > kMaxGroups) return groups->Invalid("too many resource groups");
      for (const std::string& g : r.resource_groups) {
        if (g.size() > kMaxGroupName) {
          return groups->Invalid(absl::StrCat("resource group name longer than ", kMaxGroupName));
        }
      }
    }
    out.push_back(std::move(r));
  }
  bool strict = false;
  ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> strict_node, section->Child("strict"));
  if (strict_node.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(strict, strict_node->AsBool());
  }
  return std::shared_ptr<const join::TokenSpec>(
      std::make_shared<AzureTokenSpec>(std::move(out), strict));
}

std::string AzureTokenSpecYaml(const join::TokenSpec& spec) {
  const auto& s = dynamic_cast<const AzureTokenSpec&>(spec);
  YAML::Emitter e;
  e << YAML::BeginMap << YAML::Key << "allow" << YAML::Value << YAML::BeginSeq;
  for (const AllowRule& r : s.allow()) {
    e << YAML::BeginMap;
    if (!r.subscription.empty()) e << YAML::Key << "subscription" << YAML::Value << r.subscription;
    if (!r.tenant.empty()) e << YAML::Key << "tenant" << YAML::Value << r.tenant;
    if (!r.resource_groups.empty()) {
      e << YAML::Key << "resource_groups" << YAML::Value << YAML::Flow << r.resource_groups;
    }
    e << YAML::EndMap;
  }
  e << YAML::EndSeq;
  if (s.strict()) e << YAML::Key << "strict" << YAML::Value << true;
  e << YAML::EndMap;
  return e.c_str();
}

}  // namespace enlist::azure
