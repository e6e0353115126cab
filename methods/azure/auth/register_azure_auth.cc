#include "methods/azure/auth/register_azure_auth.h"

#include <memory>

#include "core/http/curl_http_client.h"
#include "methods/azure/auth/azure_auth_method.h"

namespace enlist::azure {

absl::Status RegisterAzureAuth(join::AuthRegistry& registry) {
  return RegisterAzureAuth(registry, std::make_shared<http::CurlHttpClient>());
}

}  // namespace enlist::azure
