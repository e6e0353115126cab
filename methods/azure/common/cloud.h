// Azure clouds (public, US Government, China, Germany): the endpoints and
// names that differ between them. One `cloud` setting picks a preset; every
// field can then be overridden (tests and the emulator use loopback URLs).
#ifndef ENLIST_METHODS_AZURE_COMMON_CLOUD_H_
#define ENLIST_METHODS_AZURE_COMMON_CLOUD_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace enlist::azure {

// What one Azure cloud looks like from a join's point of view.
struct Cloud {
  // Preset name: "public", "usgovernment", "china" or "germany".
  std::string name;
  // DNS domains the attested document's signer must be in (SAN or CN equal
  // to one of them or a subdomain), e.g. "metadata.azure.com".
  std::vector<std::string> metadata_domains;
  // Security token service base; v1 issuer is "<sts_url>/<tid>/" and OIDC
  // discovery is "<sts_url>/<tid>/.well-known/openid-configuration".
  std::string sts_url;
  // Login base; v2 issuer is "<login_url>/<tid>/v2.0".
  std::string login_url;
  // The ARM resource the agent asks IMDS a token for, and the audience the
  // checker accepts (with or without the trailing '/').
  std::string arm_resource;
  // ARM REST endpoint (strict mode lookups).
  std::string arm_endpoint;
};

// Returns the preset named `name`; kInvalidArgument naming the known ones
// otherwise.
absl::StatusOr<Cloud> CloudPreset(absl::string_view name);

// Returns OK when `url` is an absolute https:// URL, or http:// when
// `allow_http`; else kInvalidArgument "<what>: ..." (plain http exposes
// tokens and trust decisions to the network).
absl::Status CheckEndpointUrl(absl::string_view what, absl::string_view url, bool allow_http);

// Returns `url` without trailing '/' characters.
std::string TrimTrailingSlash(absl::string_view url);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_COMMON_CLOUD_H_
