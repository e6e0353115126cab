// The auth server's `methods.azure` settings, parsed once when the checker
// is created (never per join). Every key is optional; see docs/azure.md.
//
//   methods:
//     azure:
//       cloud: public                  # public | usgovernment | china | germany
//       metadata_domains: [metadata.azure.com]
//       sts_url: https://sts.windows.net
//       login_url: https://login.microsoftonline.com
//       arm_resource: https://management.azure.com/
//       arm_audiences: [...]           # default: arm_resource, with and without '/'
//       arm_endpoint: https://management.azure.com
//       arm_api_version: "2023-03-01"
//       allow_http: false              # plain http:// endpoints (tests, demo)
//       roots_file: /etc/enlist/azure-roots.pem
//       roots_dir: /etc/enlist/azure-roots.d
//       extra_roots_file: /etc/enlist/more-roots.pem
//       system_roots_dir: /etc/ssl/certs
//       allow_non_self_signed_roots: false
//       fetch_intermediates: true
//       intermediate_url_prefixes: []  # replaces the Microsoft URL shapes
//       intermediate_cache_ttl: 24h
//       clock_skew: 2m
//       strict: false
//       arm_fallback: true
//       arm_credential_file: ""        # bearer token for ARM; default: the node's token
//       jwks_cache_ttl: 6h
//       jwks_min_refresh_interval: 5m
//       request_timeout: 10s
#ifndef ENLIST_METHODS_AZURE_AUTH_CHECKER_CONFIG_H_
#define ENLIST_METHODS_AZURE_AUTH_CHECKER_CONFIG_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/config/yaml.h"
#include "core/crypto/trust_store.h"
#include "methods/azure/common/cloud.h"

namespace enlist::azure {

// Parsed checker settings.
struct AzureCheckerConfig {
  Cloud cloud;
  // Accepted "aud" values (each also accepted with/without a trailing '/').
  std::vector<std::string> arm_audiences;
  std::string arm_api_version = "2023-03-01";
  bool allow_http = false;
  std::string roots_file;
  std::string roots_dir;
  std::string extra_roots_file;
  std::string system_roots_dir = "/etc/ssl/certs";
  bool allow_non_self_signed_roots = false;
  bool fetch_intermediates = true;
  std::vector<std::string> intermediate_url_prefixes;
  absl::Duration intermediate_cache_ttl = absl::Hours(24);
  absl::Duration clock_skew = absl::Minutes(2);
  bool strict = false;
  bool arm_fallback = true;
  std::string arm_credential_file;
  absl::Duration jwks_cache_ttl = absl::Hours(6);
  absl::Duration jwks_min_refresh_interval = absl::Minutes(5);
  absl::Duration request_timeout = absl::Seconds(10);
};

// Parses `methods.azure` (nullopt: all defaults). kInvalidArgument naming
// file, line and key for unknown keys, bad values, an unknown cloud, or
// http:// endpoints without allow_http.
absl::StatusOr<AzureCheckerConfig> ParseCheckerConfig(
    const std::optional<config::YamlNode>& settings);

// The Azure roots of Debian's CA store, by file name under system_roots_dir:
// DigiCert Global Root G2/G3, DigiCert Global Root CA, Microsoft RSA/ECC
// Root CA 2017, Baltimore CyberTrust Root (older documents).
const std::vector<std::string>& DefaultAzureRootFiles();

// Loads the trust store `config` names: roots_file and/or roots_dir when
// set, else the default Azure roots found in system_roots_dir; plus
// extra_roots_file. kInvalidArgument / kNotFound naming the file when a
// configured file is unreadable or holds no certificate, or when no default
// root exists.
absl::StatusOr<std::shared_ptr<const crypto::TrustStore>> LoadAzureRoots(
    const AzureCheckerConfig& config);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_CHECKER_CONFIG_H_
