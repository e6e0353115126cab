#include "methods/azure/agent/azure_agent_method.h"

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "methods/azure/agent/azure_solver.h"
#include "methods/azure/agent/imds_client.h"
#include "methods/azure/common/cloud.h"
#include "methods/azure/common/intermediate_fetcher.h"

namespace enlist::azure {
namespace {

double ThreadRandomUnit() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

// A solver with the clients it uses.
class OwningSolver final : public join::Solver {
 public:
  OwningSolver(std::unique_ptr<ImdsClient> imds, std::unique_ptr<IntermediateFetcher> fetcher,
               AzureSolverOptions options, log::Logger* logger)
      : imds_(std::move(imds)),
        fetcher_(std::move(fetcher)),
        solver_(imds_.get(), fetcher_.get(), std::move(options), logger) {}
  absl::StatusOr<google::protobuf::Any> Solve(const google::protobuf::Any& challenge,
                                              absl::Time deadline) override {
    return solver_.Solve(challenge, deadline);
  }

 private:
  std::unique_ptr<ImdsClient> imds_;
  std::unique_ptr<IntermediateFetcher> fetcher_;
  AzureSolver solver_;
};

absl::StatusOr<absl::Duration> DurationField(const config::YamlNode& node) {
  ENLIST_ASSIGN_OR_RETURN(std::string s, node.AsString());
  absl::Duration d;
  if (!absl::ParseDuration(s, &d) || d <= absl::ZeroDuration()) {
    return node.Invalid(absl::StrCat("\"", s, "\" is not a positive duration (e.g. 5s)"));
  }
  return d;
}

}  // namespace

AzureAgentMethod::AzureAgentMethod(AzureAgentDeps deps) : deps_(std::move(deps)) {
  if (!deps_.random_unit) deps_.random_unit = ThreadRandomUnit;
}

absl::StatusOr<std::unique_ptr<join::Solver>> AzureAgentMethod::NewSolver(
    const join::SolverOptions& options) const {
  if (deps_.imds_http == nullptr || deps_.web_http == nullptr) {
    return absl::InvalidArgumentError("azure: agent method needs HTTP clients");
  }
  AzureSolverOptions so;
  ImdsOptions io;
  IntermediateFetchOptions fo;
  if (options.join_params.has_value()) {
    const config::YamlNode& p = *options.join_params;
    ENLIST_RETURN_IF_ERROR(p.CheckFields({"client_id"}));
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> id, p.Child("client_id"));
    if (id.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(so.client_id, id->AsString());
      if (so.client_id.empty() || so.client_id.size() > 128) {
        return id->Invalid("client_id must be 1-128 characters");
      }
    }
  }
  std::string cloud_name = "public";
  bool allow_http = false;
  std::optional<std::string> resource;
  if (options.settings.has_value()) {
    const config::YamlNode& s = *options.settings;
    ENLIST_RETURN_IF_ERROR(s.CheckFields(
        {"cloud", "imds_url", "api_version", "identity_api_version", "resource",
         "intermediate_url_prefixes", "allow_http", "request_timeout", "max_attempts",
         "max_document_attempts", "fetch_intermediates"}));
    ENLIST_ASSIGN_OR_RETURN(std::optional<config::YamlNode> n, s.Child("allow_http"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(allow_http, n->AsBool());
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("cloud"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(cloud_name, n->AsString());
      absl::StatusOr<Cloud> c = CloudPreset(cloud_name);
      if (!c.ok()) return n->Invalid(c.status().message());
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("imds_url"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(std::string url, n->AsString());
      url = TrimTrailingSlash(url);
      // IMDS itself is plain http on the link-local address; anything else
      // over http is a test or an emulator and must be asked for.
      if (url != kDefaultImdsUrl) {
        absl::Status ok = CheckEndpointUrl("imds_url", url, allow_http);
        if (!ok.ok()) return n->Invalid(ok.message());
      }
      io.base_url = url;
    }
    for (auto [key, out] : {std::make_pair("api_version", &io.api_version),
                            std::make_pair("identity_api_version", &io.identity_api_version)}) {
      ENLIST_ASSIGN_OR_RETURN(n, s.Child(key));
      if (n.has_value()) {
        ENLIST_ASSIGN_OR_RETURN(*out, n->AsString());
        if (out->empty() || out->size() > 32) return n->Invalid("must be 1-32 characters");
      }
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("resource"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(resource, n->AsString());
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("intermediate_url_prefixes"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(fo.allowed_prefixes, n->AsStringList());
      for (const std::string& p : fo.allowed_prefixes) {
        absl::Status ok = CheckEndpointUrl("intermediate_url_prefixes", p, allow_http);
        if (!ok.ok()) return n->Invalid(ok.message());
      }
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("request_timeout"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(io.request_timeout, DurationField(*n));
      fo.request_timeout = io.request_timeout;
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("max_attempts"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(int64_t v, n->AsInt());
      if (v < 1 || v > 20) return n->Invalid("max_attempts must be 1-20");
      io.retry.max_attempts = static_cast<int>(v);
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("max_document_attempts"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(int64_t v, n->AsInt());
      if (v < 1 || v > 20) return n->Invalid("max_document_attempts must be 1-20");
      so.max_document_attempts = static_cast<int>(v);
    }
    ENLIST_ASSIGN_OR_RETURN(n, s.Child("fetch_intermediates"));
    if (n.has_value()) {
      ENLIST_ASSIGN_OR_RETURN(so.fetch_intermediates, n->AsBool());
    }
  }
  ENLIST_ASSIGN_OR_RETURN(Cloud cloud, CloudPreset(cloud_name));
  so.resource = resource.value_or(cloud.arm_resource);
  auto imds = std::make_unique<ImdsClient>(deps_.imds_http.get(), io, deps_.clock, deps_.sleeper,
                                           deps_.random_unit);
  auto fetcher = std::make_unique<IntermediateFetcher>(deps_.web_http.get(), fo, deps_.clock,
                                                       deps_.logger);
  return std::unique_ptr<join::Solver>(
      new OwningSolver(std::move(imds), std::move(fetcher), std::move(so), deps_.logger));
}

absl::Status RegisterAzureAgent(join::AgentRegistry& registry, AzureAgentDeps deps) {
  return registry.Register(std::make_unique<AzureAgentMethod>(std::move(deps)));
}

}  // namespace enlist::azure
