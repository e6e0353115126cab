#include "methods/azure/agent/register_azure_agent.h"

#include <memory>

#include "core/http/curl_http_client.h"
#include "methods/azure/agent/azure_agent_method.h"

namespace enlist::azure {

absl::Status RegisterAzureAgent(join::AgentRegistry& registry, log::Logger* logger) {
  AzureAgentDeps deps;
  http::CurlHttpClient::Options no_proxy;
  no_proxy.use_environment_proxy = false;
  deps.imds_http = std::make_shared<http::CurlHttpClient>(no_proxy);
  deps.web_http = std::make_shared<http::CurlHttpClient>();
  if (logger != nullptr) deps.logger = logger;
  return RegisterAzureAgent(registry, std::move(deps));
}

}  // namespace enlist::azure
