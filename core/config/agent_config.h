// The agent's configuration: the seed's /etc/teleport.yaml (`version: v3`),
// accepted verbatim, plus Enlist's own `enlist:` section.
//
//   version: v3
//   teleport:
//     nodename: vm-1                      # optional, default: the host name
//     data_dir: /var/lib/enlist           # optional
//     ca_pin: sha256:...                  # optional (or enlist.ca_pin)
//     join_params:
//       token_name: azure-token
//       method: azure
//       azure: {client_id: ...}           # the method's own parameters
//     proxy_server: host:port             # or auth_server
//   ssh_service: {...}                    # service sections: noted, unused
//   enlist:                               # Enlist's own keys, all optional
//     ca_pin: sha256:<hex>                # or a list
//     ca_file: /etc/enlist/ca.pem
//     data_dir: /var/lib/enlist
//     role: Node
//     ssh_host_cert_path: /etc/ssh/ssh_host_ed25519_key-cert.pub
//     tls_key_type: ecdsa-p256            # or ed25519
//     tls_server_name: auth.example.com   # TLS name override
//     renew_fraction: 0.5                 # renew after this part of the TTL
//     azure: {imds_url: ..., ...}         # the method's settings
#ifndef ENLIST_CORE_CONFIG_AGENT_CONFIG_H_
#define ENLIST_CORE_CONFIG_AGENT_CONFIG_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/config/yaml.h"

namespace enlist::config {

struct AgentConfig {
  std::string token_name;
  std::string join_method;
  std::optional<YamlNode> join_params;      // teleport.join_params.<method>
  std::optional<YamlNode> method_settings;  // enlist.<method>
  // Exactly one of these is set.
  std::string auth_server;
  std::string proxy_server;
  std::string data_dir = "/var/lib/enlist";
  std::string node_name;                    // empty: use the system host name
  std::string role = "Node";
  std::vector<std::string> ca_pins;         // "sha256:<64 hex>"
  std::string ca_file;
  std::string ssh_host_cert_path;
  std::string tls_key_type;                 // "", "ecdsa-p256" or "ed25519"
  std::string tls_server_name;
  std::optional<double> renew_fraction;     // in (0, 1)
  // Sections and keys that were accepted but do nothing in Enlist, e.g.
  // "ssh_service: accepted, not used by Enlist".
  std::vector<std::string> notes;

  // The address to dial: proxy_server or auth_server.
  const std::string& server() const { return proxy_server.empty() ? auth_server : proxy_server; }
};

// Parses an agent config. kInvalidArgument with file:line:column and the
// field for: YAML syntax, unknown version or field, missing join_params,
// neither or both of auth_server/proxy_server, a malformed ca_pin.
absl::StatusOr<AgentConfig> ParseAgentConfig(absl::string_view text, absl::string_view source);

// True for "sha256:" followed by 64 hex digits.
bool IsCaPin(absl::string_view pin);

}  // namespace enlist::config

#endif  // ENLIST_CORE_CONFIG_AGENT_CONFIG_H_
