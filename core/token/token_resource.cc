#include "core/token/token_resource.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/config/yaml.h"
#include "core/util/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace enlist::token {
namespace {

using config::YamlNode;

constexpr size_t kMaxNameLength = 253;
constexpr size_t kMaxRoles = 16;
constexpr size_t kMaxLabels = 64;

absl::Status CheckName(const YamlNode& node, const std::string& name) {
  if (name.empty()) return node.Invalid("must not be empty");
  if (name.size() > kMaxNameLength) {
    return node.Invalid(absl::StrCat("longer than ", kMaxNameLength, " characters"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return node.Invalid(absl::StrCat("invalid character '", std::string(1, c),
                                       "' (use letters, digits, '-', '_', '.')"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<TokenResource> ParseOneToken(const YamlNode& doc,
                                            const join::AuthRegistry& methods) {
  if (!doc.IsMap()) return doc.Invalid("expected a resource mapping");
  ENLIST_RETURN_IF_ERROR(doc.CheckFields({"kind", "version", "metadata", "spec"}));

  ENLIST_ASSIGN_OR_RETURN(YamlNode kind_node, doc.Required("kind"));
  ENLIST_ASSIGN_OR_RETURN(std::string kind, kind_node.AsString());
  if (kind != "token") {
    return kind_node.Invalid(absl::StrCat("unsupported kind \"", kind, "\" (expected \"token\")"));
  }
  ENLIST_ASSIGN_OR_RETURN(YamlNode version_node, doc.Required("version"));
  ENLIST_ASSIGN_OR_RETURN(std::string version, version_node.AsString());
  if (version != "v2") {
    return version_node.Invalid(
        absl::StrCat("unsupported version \"", version, "\" (expected \"v2\")"));
  }

  TokenResource t;
  ENLIST_ASSIGN_OR_RETURN(YamlNode meta, doc.Required("metadata"));
  ENLIST_RETURN_IF_ERROR(meta.CheckFields({"name", "expires", "description", "labels"}));
  ENLIST_ASSIGN_OR_RETURN(YamlNode name_node, meta.Required("name"));
  ENLIST_ASSIGN_OR_RETURN(t.name, name_node.AsString());
  ENLIST_RETURN_IF_ERROR(CheckName(name_node, t.name));
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> expires, meta.Child("expires"));
  if (expires.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(std::string s, expires->AsString());
    absl::Time when;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, s, &when, &err)) {
      return expires->Invalid(absl::StrCat("expected an RFC 3339 time (2026-12-31T00:00:00Z), got \"",
                                           s, "\""));
    }
    t.expires = when;
  }
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> desc, meta.Child("description"));
  if (desc.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(t.description, desc->AsString());
  }
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> labels, meta.Child("labels"));
  if (labels.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(auto entries, labels->Entries());
    if (entries.size() > kMaxLabels) return labels->Invalid("too many labels");
    for (auto& [k, v] : entries) {
      ENLIST_ASSIGN_OR_RETURN(std::string value, v.AsString());
      t.labels[k] = value;
    }
  }

  ENLIST_ASSIGN_OR_RETURN(YamlNode spec, doc.Required("spec"));
  if (!spec.IsMap()) return spec.Invalid("expected a mapping");
  ENLIST_ASSIGN_OR_RETURN(YamlNode method_node, spec.Required("join_method"));
  ENLIST_ASSIGN_OR_RETURN(t.join_method, method_node.AsString());
  absl::StatusOr<const join::AuthJoinMethod*> method = methods.Get(t.join_method);
  if (!method.ok()) return method_node.Invalid(method.status().message());
  ENLIST_RETURN_IF_ERROR(spec.CheckFields({"roles", "join_method", t.join_method}));

  ENLIST_ASSIGN_OR_RETURN(YamlNode roles_node, spec.Required("roles"));
  ENLIST_ASSIGN_OR_RETURN(std::vector<std::string> roles, roles_node.AsStringList());
  if (roles.empty()) return roles_node.Invalid("at least one role is required");
  if (roles.size() > kMaxRoles) return roles_node.Invalid("too many roles");
  for (const std::string& r : roles) {
    auto known = std::find_if(KnownRoles().begin(), KnownRoles().end(), [&](const std::string& k) {
      return absl::EqualsIgnoreCase(k, r);
    });
    if (known == KnownRoles().end()) {
      return roles_node.Invalid(absl::StrCat("unknown role \"", r,
                                             "\" (known: ", absl::StrJoin(KnownRoles(), ", "), ")"));
    }
    if (std::find(t.roles.begin(), t.roles.end(), *known) == t.roles.end()) {
      t.roles.push_back(*known);
    }
  }

  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> section, spec.Child(t.join_method));
  ENLIST_ASSIGN_OR_RETURN(t.spec, (*method)->ParseTokenSpec(section));
  return t;
}

}  // namespace

bool TokenResource::Grants(absl::string_view role) const {
  return std::any_of(roles.begin(), roles.end(),
                     [&](const std::string& r) { return absl::EqualsIgnoreCase(r, role); });
}

const std::vector<std::string>& KnownRoles() {
  static const auto* const kRoles = new std::vector<std::string>{
      "Node", "Proxy", "Auth", "Kube", "App", "Db", "WindowsDesktop", "Discovery", "Instance", "Bot"};
  return *kRoles;
}

absl::StatusOr<std::vector<TokenResource>> ParseTokens(absl::string_view text,
                                                       absl::string_view source,
                                                       const join::AuthRegistry& methods) {
  ENLIST_ASSIGN_OR_RETURN(std::vector<YamlNode> docs, YamlNode::ParseAll(text, source));
  if (docs.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": no resources found"));
  }
  std::vector<TokenResource> out;
  for (const YamlNode& d : docs) {
    ENLIST_ASSIGN_OR_RETURN(TokenResource t, ParseOneToken(d, methods));
    for (const TokenResource& prev : out) {
      if (prev.name == t.name) {
        return absl::InvalidArgumentError(
            absl::StrCat(d.Where(), ": metadata.name: token \"", t.name, "\" defined twice"));
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

std::string TokenToYaml(const TokenResource& t, const join::AuthRegistry& methods) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "kind" << YAML::Value << "token";
  e << YAML::Key << "version" << YAML::Value << "v2";
  e << YAML::Key << "metadata" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "name" << YAML::Value << t.name;
  if (t.expires.has_value()) {
    e << YAML::Key << "expires" << YAML::Value
      << absl::FormatTime(absl::RFC3339_sec, *t.expires, absl::UTCTimeZone());
  }
  if (!t.description.empty()) e << YAML::Key << "description" << YAML::Value << t.description;
  if (!t.labels.empty()) {
    e << YAML::Key << "labels" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : t.labels) e << YAML::Key << k << YAML::Value << v;
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  e << YAML::Key << "spec" << YAML::Value << YAML::BeginMap;
  e << YAML::Key << "roles" << YAML::Value << YAML::Flow << t.roles;
  e << YAML::Key << "join_method" << YAML::Value << t.join_method;
  absl::StatusOr<const join::AuthJoinMethod*> m = methods.Get(t.join_method);
  if (m.ok() && t.spec != nullptr) {
    std::string section = (*m)->TokenSpecYaml(*t.spec);
    if (!section.empty()) {
      try {
        YAML::Node n = YAML::Load(section);
        e << YAML::Key << t.join_method << YAML::Value << n;
      } catch (const YAML::Exception&) {
        // The method rendered invalid YAML: our bug. Leaving the section out
        // makes the stored token fail validation loudly on the next read.
      }
    }
  }
  e << YAML::EndMap;
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

}  // namespace enlist::token
