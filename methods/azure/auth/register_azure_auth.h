// Registers the `azure` auth method with the real network (libcurl, system
// CA store, proxy environment honoured). Links OpenSSL through libcurl: for
// the auth server binary, not for crypto-only targets.
#ifndef ENLIST_METHODS_AZURE_AUTH_REGISTER_AZURE_AUTH_H_
#define ENLIST_METHODS_AZURE_AUTH_REGISTER_AZURE_AUTH_H_

#include "absl/status/status.h"
#include "core/join/registry.h"

namespace enlist::azure {

// Adds the `azure` method to `registry` with a CurlHttpClient.
// kAlreadyExists if a method of that name is registered.
absl::Status RegisterAzureAuth(join::AuthRegistry& registry);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AUTH_REGISTER_AZURE_AUTH_H_
