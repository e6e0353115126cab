#include "core/config/agent_config.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace enlist::config {
namespace {

// Teleport service sections: valid in the file, nothing for Enlist to do.
constexpr absl::string_view kServiceSections[] = {
    "ssh_service",        "auth_service",     "proxy_service",
    "app_service",        "db_service",       "kubernetes_service",
    "windows_desktop_service", "discovery_service", "jamf_service",
    "okta_service",       "debug_service",    "tracing_service",
    "metrics_service",
};

// Keys of the `teleport` section that Enlist accepts but does not use.
constexpr absl::string_view kIgnoredTeleportKeys[] = {
    "log",   "advertise_ip", "diag_addr", "pid_file", "connection_limits", "storage",
    "cache", "cipher_suites", "kex_algorithms", "mac_algorithms", "ciphers", "ca_signature_algo",
    "proxy_protocol", "debug_service",
};

absl::Status AddPins(const YamlNode& node, std::vector<std::string>* out) {
  std::vector<std::string> pins;
  if (node.IsSequence()) {
    ENLIST_ASSIGN_OR_RETURN(pins, node.AsStringList());
  } else {
    ENLIST_ASSIGN_OR_RETURN(std::string p, node.AsString());
    pins.push_back(std::move(p));
  }
  for (std::string& p : pins) {
    if (!IsCaPin(p)) {
      return node.Invalid(absl::StrCat("\"", p, "\" is not a CA pin (sha256:<64 hex digits>)"));
    }
    out->push_back(absl::AsciiStrToLower(p));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> NonEmptyString(const YamlNode& node) {
  ENLIST_ASSIGN_OR_RETURN(std::string s, node.AsString());
  if (s.empty()) return node.Invalid("must not be empty");
  return s;
}

absl::Status ParseTeleport(const YamlNode& t, AgentConfig* c) {
  ENLIST_ASSIGN_OR_RETURN(auto entries, t.Entries());
  for (auto& [key, value] : entries) {
    if (key == "join_params") {
      ENLIST_ASSIGN_OR_RETURN(YamlNode name, value.Required("token_name"));
      ENLIST_ASSIGN_OR_RETURN(c->token_name, NonEmptyString(name));
      ENLIST_ASSIGN_OR_RETURN(YamlNode method, value.Required("method"));
      ENLIST_ASSIGN_OR_RETURN(c->join_method, NonEmptyString(method));
      ENLIST_RETURN_IF_ERROR(value.CheckFields({"token_name", "method", c->join_method}));
      ENLIST_ASSIGN_OR_RETURN(c->join_params, value.Child(c->join_method));
    } else if (key == "auth_server") {
      ENLIST_ASSIGN_OR_RETURN(c->auth_server, NonEmptyString(value));
    } else if (key == "proxy_server") {
      ENLIST_ASSIGN_OR_RETURN(c->proxy_server, NonEmptyString(value));
    } else if (key == "auth_servers") {
      return value.Invalid("the list form belongs to config v1/v2; with version v3 use auth_server");
    } else if (key == "auth_token") {
      return value.Invalid("static auth_token is not supported; use join_params");
    } else if (key == "data_dir") {
      ENLIST_ASSIGN_OR_RETURN(c->data_dir, NonEmptyString(value));
    } else if (key == "nodename") {
      ENLIST_ASSIGN_OR_RETURN(c->node_name, NonEmptyString(value));
    } else if (key == "ca_pin") {
      ENLIST_RETURN_IF_ERROR(AddPins(value, &c->ca_pins));
    } else {
      bool ignored = false;
      for (absl::string_view k : kIgnoredTeleportKeys) ignored = ignored || k == key;
      if (!ignored) return value.Invalid("unknown field");
      c->notes.push_back(absl::StrCat("teleport.", key, ": accepted, not used by Enlist"));
    }
  }
  return absl::OkStatus();
}

absl::Status ParseEnlist(const YamlNode& e, AgentConfig* c) {
  ENLIST_ASSIGN_OR_RETURN(auto entries, e.Entries());
  for (auto& [key, value] : entries) {
    if (key == "ca_pin") {
      ENLIST_RETURN_IF_ERROR(AddPins(value, &c->ca_pins));
    } else if (key == "ca_file") {
      ENLIST_ASSIGN_OR_RETURN(c->ca_file, NonEmptyString(value));
    } else if (key == "data_dir") {
      ENLIST_ASSIGN_OR_RETURN(c->data_dir, NonEmptyString(value));
    } else if (key == "role") {
      ENLIST_ASSIGN_OR_RETURN(c->role, NonEmptyString(value));
    } else if (key == "ssh_host_cert_path") {
      ENLIST_ASSIGN_OR_RETURN(c->ssh_host_cert_path, NonEmptyString(value));
    } else if (key == "tls_key_type") {
      ENLIST_ASSIGN_OR_RETURN(c->tls_key_type, NonEmptyString(value));
      if (c->tls_key_type != "ecdsa-p256" && c->tls_key_type != "ed25519") {
        return value.Invalid("expected ecdsa-p256 or ed25519");
      }
    } else if (key == "tls_server_name") {
      ENLIST_ASSIGN_OR_RETURN(c->tls_server_name, NonEmptyString(value));
    } else if (key == "renew_fraction") {
      ENLIST_ASSIGN_OR_RETURN(std::string text, NonEmptyString(value));
      double f = 0;
      if (!absl::SimpleAtod(text, &f) || !(f > 0) || !(f < 1)) {
        return value.Invalid("expected a number between 0 and 1 (exclusive)");
      }
      c->renew_fraction = f;
    } else if (key == c->join_method) {
      c->method_settings = value;
    } else {
      return value.Invalid(absl::StrCat(
          "unknown field (allowed: ca_pin, ca_file, data_dir, role, ssh_host_cert_path, "
          "tls_key_type, tls_server_name, renew_fraction, ",
          c->join_method.empty() ? "<join method>" : c->join_method, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool IsCaPin(absl::string_view pin) {
  constexpr absl::string_view kPrefix = "sha256:";
  if (pin.size() != kPrefix.size() + 64 || pin.substr(0, kPrefix.size()) != kPrefix) return false;
  for (char ch : pin.substr(kPrefix.size())) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view text, absl::string_view source) {
  ENLIST_ASSIGN_OR_RETURN(YamlNode root, YamlNode::ParseOne(text, source));
  if (!root.IsMap()) return root.Invalid("expected a mapping");
  AgentConfig c;
  ENLIST_ASSIGN_OR_RETURN(YamlNode version, root.Required("version"));
  ENLIST_ASSIGN_OR_RETURN(std::string v, version.AsString());
  if (v != "v3") {
    return version.Invalid(absl::StrCat("unsupported version \"", v, "\" (expected \"v3\")"));
  }
  ENLIST_ASSIGN_OR_RETURN(YamlNode teleport, root.Required("teleport"));
  ENLIST_RETURN_IF_ERROR(ParseTeleport(teleport, &c));
  if (c.join_method.empty()) return teleport.Invalid("missing field \"join_params\"");

  ENLIST_ASSIGN_OR_RETURN(auto entries, root.Entries());
  for (auto& [key, value] : entries) {
    if (key == "version" || key == "teleport") continue;
    if (key == "enlist") {
      ENLIST_RETURN_IF_ERROR(ParseEnlist(value, &c));
      continue;
    }
    bool service = false;
    for (absl::string_view s : kServiceSections) service = service || s == key;
    if (!service) return value.Invalid("unknown field");
    c.notes.push_back(absl::StrCat(key, ": accepted, not used by Enlist"));
  }
  if (c.auth_server.empty() == c.proxy_server.empty()) {
    return teleport.Invalid("exactly one of auth_server and proxy_server is required");
  }
  return c;
}

}  // namespace enlist::config
