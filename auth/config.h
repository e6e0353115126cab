// enlist-auth's configuration file (YAML):
//
//   version: v1
//   cluster_name: example              # names the CAs; default "enlist"
//   listen_addr: 0.0.0.0:3025          # gRPC over TLS (join + admin)
//   diag_addr: 127.0.0.1:3000          # optional: /healthz /readyz /metrics
//   data_dir: /var/lib/enlist-auth
//   public_addrs: [auth.example.com]   # extra names/IPs in the server cert
//   host_cert_ttl: 8h
//   log: {level: info, format: text}   # text (key=value) or json
//   limits:
//     max_concurrent_joins: 20000
//     join_deadline: 60s
//     max_message_bytes: 262144
//     join_workers: 4                  # threads running checks
//     per_peer_rate: 0                 # joins/s per client IP, 0 = off
//     per_peer_burst: 100
//   storage:                           # default {type: sqlite}: <data_dir>/enlist.db
//     type: etcd                       # several auth servers on one etcd v3
//     endpoints: [10.0.0.1:2379, 10.0.0.2:2379]
//     prefix: /enlist                  # default; one cluster per prefix
//     tls: {ca_file: ..., cert_file: ..., key_file: ..., server_name: ...}
//   methods:                           # per-method settings; a listed
//     token: {}                        # method is enabled (default: all)
//     azure: {...}                     # see docs/azure.md
#ifndef ENLIST_AUTH_CONFIG_H_
#define ENLIST_AUTH_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/config/yaml.h"
#include "core/log/logger.h"

namespace enlist::auth {

// Where the auth server keeps its state (docs/high-availability.md).
struct StorageConfig {
  enum class Type {
    kSqlite,  // <data_dir>/enlist.db; one server
    kEtcd,    // an etcd v3 cluster shared by several servers
  };
  Type type = Type::kSqlite;
  // etcd only: "host:port" client endpoints (at least one), the key prefix
  // (starts with '/', no trailing '/'), and TLS: PEM files (empty ca_file:
  // plain TCP; cert_file and key_file go together, for etcd's
  // --client-cert-auth) and the name the members' certificates carry when
  // it is not the endpoints' host (tls_server_name; empty: the host).
  std::vector<std::string> endpoints;
  std::string prefix = "/enlist";
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
};

struct AuthConfig {
  std::string cluster_name = "enlist";
  std::string listen_addr = "127.0.0.1:3025";
  std::string diag_addr;  // empty: no diagnostics listener
  std::string data_dir = "/var/lib/enlist-auth";
  std::vector<std::string> public_addrs;
  absl::Duration host_cert_ttl = absl::Hours(8);
  log::Level log_level = log::Level::kInfo;
  log::Format log_format = log::Format::kText;
  int max_concurrent_joins = 20000;
  absl::Duration join_deadline = absl::Seconds(60);
  int max_message_bytes = 256 * 1024;
  int join_workers = 4;
  double per_peer_rate = 0;
  double per_peer_burst = 100;
  StorageConfig storage;
  // Settings per enabled method; empty map: every registered method, no
  // settings.
  std::map<std::string, std::optional<config::YamlNode>> methods;
};

// Parses the file. kInvalidArgument with file:line:column for unknown keys,
// bad durations, out-of-range limits.
absl::StatusOr<AuthConfig> ParseAuthConfig(absl::string_view text, absl::string_view source);

// Parses "90s", "15m", "8h", "1h30m" (Go-style); false if malformed.
bool ParseDurationText(absl::string_view text, absl::Duration* out);

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_CONFIG_H_
