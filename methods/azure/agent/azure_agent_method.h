// The `azure` join method's agent-side factory. Reads
//   teleport.join_params.azure:  client_id (user-assigned identity)
//   enlist.azure:                cloud, imds_url, api_version,
//                                identity_api_version, resource,
//                                intermediate_url_prefixes, allow_http,
//                                request_timeout, max_attempts,
//                                max_document_attempts, fetch_intermediates
// (see docs/azure.md). HTTP clients are injected; register_azure_agent.h
// wires the real ones.
#ifndef ENLIST_METHODS_AZURE_AGENT_AZURE_AGENT_METHOD_H_
#define ENLIST_METHODS_AZURE_AGENT_AZURE_AGENT_METHOD_H_

#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/http/http_client.h"
#include "core/join/registry.h"
#include "core/join/solver.h"
#include "core/log/logger.h"
#include "core/util/clock.h"
#include "methods/azure/common/retry.h"

namespace enlist::azure {

// What the method needs from the agent program. Not owned pointers outlive
// the method and every solver it makes.
struct AzureAgentDeps {
  // Talks to IMDS: must not use a proxy.
  std::shared_ptr<http::HttpClient> imds_http;
  // Fetches intermediates from Microsoft's PKI (proxies allowed).
  std::shared_ptr<http::HttpClient> web_http;
  const Clock* clock = &RealClock::Get();
  Sleeper* sleeper = &RealSleeper::Get();
  log::Logger* logger = &log::Logger::Discard();
  // Jitter source in [0, 1); null: a thread-local PRNG.
  std::function<double()> random_unit;
};

// Immutable and thread-safe.
class AzureAgentMethod final : public join::AgentJoinMethod {
 public:
  explicit AzureAgentMethod(AzureAgentDeps deps);
  absl::string_view name() const override { return "azure"; }
  // Parses the options; kInvalidArgument naming file, line and key.
  absl::StatusOr<std::unique_ptr<join::Solver>> NewSolver(
      const join::SolverOptions& options) const override;

 private:
  AzureAgentDeps deps_;
};

// Adds the method with `deps` to `registry`.
absl::Status RegisterAzureAgent(join::AgentRegistry& registry, AzureAgentDeps deps);

}  // namespace enlist::azure

#endif  // ENLIST_METHODS_AZURE_AGENT_AZURE_AGENT_METHOD_H_
