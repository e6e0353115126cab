#include "auth/config.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace enlist::auth {
namespace {

using config::YamlNode;

absl::StatusOr<absl::Duration> DurationField(const YamlNode& n, absl::Duration min, absl::Duration max) {
  ENLIST_ASSIGN_OR_RETURN(std::string s, n.AsString());
  absl::Duration d;
  if (!ParseDurationText(s, &d)) return n.Invalid(absl::StrCat("\"", s, "\" is not a duration (e.g. 90s, 15m, 8h)"));
  if (d < min || d > max) {
    return n.Invalid(absl::StrCat("must be between ", absl::FormatDuration(min), " and ",
                                  absl::FormatDuration(max)));
  }
  return d;
}

absl::StatusOr<int> IntField(const YamlNode& n, int min, int max) {
  ENLIST_ASSIGN_OR_RETURN(int64_t v, n.AsInt());
  if (v < min || v > max) return n.Invalid(absl::StrCat("must be between ", min, " and ", max));
  return static_cast<int>(v);
}

absl::Status CheckEndpoint(const YamlNode& n, const std::string& e) {
  size_t colon = e.rfind(':');
  int64_t port = 0;
  if (e.find("://") != std::string::npos) {
    return n.Invalid(absl::StrCat("endpoint \"", e, "\": give host:port without a scheme"));
  }
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(e).substr(colon + 1), &port) || port < 1 ||
      port > 65535) {
    return n.Invalid(absl::StrCat("endpoint \"", e, "\" is not host:port"));
  }
  return absl::OkStatus();
}

absl::StatusOr<StorageConfig> ParseStorage(const YamlNode& node) {
  if (!node.IsMap()) return node.Invalid("expected a mapping");
  ENLIST_RETURN_IF_ERROR(node.CheckFields({"type", "endpoints", "prefix", "tls"}));
  StorageConfig s;
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> type, node.Child("type"));
  if (type.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(std::string t, type->AsString());
    if (t == "sqlite") {
      s.type = StorageConfig::Type::kSqlite;
    } else if (t == "etcd") {
      s.type = StorageConfig::Type::kEtcd;
    } else {
      return type->Invalid(absl::StrCat("unknown storage type \"", t, "\" (expected sqlite or etcd)"));
    }
  }
  const bool etcd = s.type == StorageConfig::Type::kEtcd;
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> endpoints, node.Child("endpoints"));
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> prefix, node.Child("prefix"));
  ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> tls, node.Child("tls"));
  if (!etcd) {
    for (const auto* f : {&endpoints, &prefix, &tls}) {
      if (f->has_value()) return (*f)->Invalid("only for storage type etcd");
    }
    return s;
  }
  if (!endpoints.has_value()) return node.Invalid("endpoints: required for storage type etcd");
  ENLIST_ASSIGN_OR_RETURN(s.endpoints, endpoints->AsStringList());
  if (s.endpoints.empty()) return endpoints->Invalid("at least one endpoint is required");
  for (const std::string& e : s.endpoints) ENLIST_RETURN_IF_ERROR(CheckEndpoint(*endpoints, e));
  if (prefix.has_value()) {
    ENLIST_ASSIGN_OR_RETURN(s.prefix, prefix->AsString());
    if (!s.prefix.empty() && (s.prefix[0] != '/' || s.prefix.back() == '/' || s.prefix.size() > 256)) {
      return prefix->Invalid("must start with '/', not end with '/', and be at most 256 bytes");
    }
  }
  if (tls.has_value()) {
    if (!tls->IsMap()) return tls->Invalid("expected a mapping");
    ENLIST_RETURN_IF_ERROR(tls->CheckFields({"ca_file", "cert_file", "key_file", "server_name"}));
    ENLIST_ASSIGN_OR_RETURN(auto files, tls->Entries());
    for (auto& [k, v] : files) {
      ENLIST_ASSIGN_OR_RETURN(std::string text, v.AsString());
      if (text.empty()) return v.Invalid("must not be empty");
      (k == "ca_file"     ? s.tls_ca_file
       : k == "cert_file" ? s.tls_cert_file
       : k == "key_file"  ? s.tls_key_file
                          : s.tls_server_name) = text;
    }
    if (s.tls_cert_file.empty() != s.tls_key_file.empty()) {
      return tls->Invalid("cert_file and key_file go together");
    }
    if (s.tls_ca_file.empty()) return tls->Invalid("ca_file: required with tls");
  }
  return s;
}

}  // namespace

bool ParseDurationText(absl::string_view text, absl::Duration* out) {
  // absl accepts Go's syntax ("1h30m", "90s"); bare numbers are rejected.
  if (text.empty() || text == "0") return false;
  return absl::ParseDuration(std::string(text), out) && *out > absl::ZeroDuration();
}

absl::StatusOr<AuthConfig> ParseAuthConfig(absl::string_view text, absl::string_view source) {
  ENLIST_ASSIGN_OR_RETURN(YamlNode root, YamlNode::ParseOne(text, source));
  if (!root.IsMap()) return root.Invalid("expected a mapping");
  ENLIST_RETURN_IF_ERROR(root.CheckFields({"version", "cluster_name", "listen_addr", "diag_addr",
                                           "data_dir", "public_addrs", "host_cert_ttl", "log",
                                           "limits", "methods", "storage"}));
  AuthConfig c;
  ENLIST_ASSIGN_OR_RETURN(YamlNode version, root.Required("version"));
  ENLIST_ASSIGN_OR_RETURN(std::string v, version.AsString());
  if (v != "v1") return version.Invalid(absl::StrCat("unsupported version \"", v, "\" (expected \"v1\")"));
  ENLIST_ASSIGN_OR_RETURN(auto entries, root.Entries());
  for (auto& [key, node] : entries) {
    if (key == "cluster_name") {
      ENLIST_ASSIGN_OR_RETURN(c.cluster_name, node.AsString());
      if (c.cluster_name.empty() || c.cluster_name.size() > 64) return node.Invalid("must be 1-64 characters");
    } else if (key == "listen_addr") {
      ENLIST_ASSIGN_OR_RETURN(c.listen_addr, node.AsString());
    } else if (key == "diag_addr") {
      ENLIST_ASSIGN_OR_RETURN(c.diag_addr, node.AsString());
    } else if (key == "data_dir") {
      ENLIST_ASSIGN_OR_RETURN(c.data_dir, node.AsString());
    } else if (key == "public_addrs") {
      ENLIST_ASSIGN_OR_RETURN(c.public_addrs, node.AsStringList());
    } else if (key == "host_cert_ttl") {
      ENLIST_ASSIGN_OR_RETURN(c.host_cert_ttl, DurationField(node, absl::Minutes(1), absl::Hours(24 * 365)));
    } else if (key == "log") {
      ENLIST_RETURN_IF_ERROR(node.CheckFields({"level", "format"}));
      ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> level, node.Child("level"));
      if (level.has_value()) {
        ENLIST_ASSIGN_OR_RETURN(std::string s, level->AsString());
        if (!log::ParseLevel(s, &c.log_level)) return level->Invalid("expected debug, info, warn or error");
      }
      ENLIST_ASSIGN_OR_RETURN(std::optional<YamlNode> format, node.Child("format"));
      if (format.has_value()) {
        ENLIST_ASSIGN_OR_RETURN(std::string s, format->AsString());
        if (!log::ParseFormat(s, &c.log_format)) return format->Invalid("expected text or json");
      }
    } else if (key == "limits") {
      ENLIST_RETURN_IF_ERROR(node.CheckFields(
          {"max_concurrent_joins", "join_deadline", "max_message_bytes", "join_workers",
           "per_peer_rate", "per_peer_burst"}));
      ENLIST_ASSIGN_OR_RETURN(auto limits, node.Entries());
      for (auto& [lk, ln] : limits) {
        if (lk == "max_concurrent_joins") {
          ENLIST_ASSIGN_OR_RETURN(c.max_concurrent_joins, IntField(ln, 1, 1000000));
        } else if (lk == "join_deadline") {
          ENLIST_ASSIGN_OR_RETURN(c.join_deadline, DurationField(ln, absl::Seconds(1), absl::Minutes(10)));
        } else if (lk == "max_message_bytes") {
          ENLIST_ASSIGN_OR_RETURN(c.max_message_bytes, IntField(ln, 16 * 1024, 16 * 1024 * 1024));
        } else if (lk == "join_workers") {
          ENLIST_ASSIGN_OR_RETURN(c.join_workers, IntField(ln, 1, 256));
        } else if (lk == "per_peer_rate" || lk == "per_peer_burst") {
          ENLIST_ASSIGN_OR_RETURN(std::string text, ln.AsString());
          double v = 0;
          if (!absl::SimpleAtod(text, &v) || v < 0 || v > 1e6) {
            return ln.Invalid("expected a number between 0 and 1000000");
          }
          (lk == "per_peer_rate" ? c.per_peer_rate : c.per_peer_burst) = v;
        }
      }
    } else if (key == "storage") {
      ENLIST_ASSIGN_OR_RETURN(c.storage, ParseStorage(node));
    } else if (key == "methods") {
      ENLIST_ASSIGN_OR_RETURN(auto methods, node.Entries());
      for (auto& [mk, mn] : methods) {
        c.methods[mk] = mn.IsNull() ? std::nullopt : std::optional<YamlNode>(mn);
      }
    }
  }
  return c;
}

}  // namespace enlist::auth
