#include "agent/agent.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/join_client.h"
#include "core/util/status_macros.h"

namespace enlist::agent {
namespace {

std::string SystemHostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

std::string DurationText(absl::Duration d) {
  return absl::FormatDuration(absl::Trunc(d, absl::Milliseconds(1)));
}

int DefaultPort(const config::AgentConfig& c) {
  return c.proxy_server.empty() ? kDefaultAuthPort : kDefaultProxyPort;
}

// The server address with its port made explicit, for gRPC and the pin
// handshake alike.
std::string DialAddress(const config::AgentConfig& c) {
  absl::StatusOr<std::pair<std::string, int>> hp = SplitHostPort(c.server(), DefaultPort(c));
  if (!hp.ok()) return c.server();  // Create() has rejected it already
  return hp->first.find(':') != std::string::npos ? absl::StrCat("[", hp->first, "]:", hp->second)
                                                  : absl::StrCat(hp->first, ":", hp->second);
}

ServerTrustOptions TrustOptions(const AgentOptions& options) {
  ServerTrustOptions t;
  t.server = DialAddress(options.config);
  t.ca_pins = options.config.ca_pins;
  t.ca_file = options.config.ca_file;
  t.data_dir = options.config.data_dir;
  t.tls_server_name = options.tls_server_name;
  return t;
}

}  // namespace

void LogJoinFailure(log::Logger& logger, const std::string& role, const absl::Status& status) {
  logger.Error("Failed to establish connection to cluster.",
               {{"identity", role}, {"error", std::string(status.message())}});
}

absl::StatusOr<std::unique_ptr<Agent>> Agent::Create(AgentOptions options, AgentDeps deps) {
  if (deps.methods == nullptr || deps.sleeper == nullptr) {
    return absl::InvalidArgumentError("agent: methods and sleeper are required");
  }
  if (deps.logger == nullptr) deps.logger = &log::Logger::Discard();
  if (deps.clock == nullptr) deps.clock = &RealClock::Get();
  const config::AgentConfig& c = options.config;
  if (c.server().empty()) {
    return absl::InvalidArgumentError("agent: one of auth_server and proxy_server is required");
  }
  if (c.join_method.empty() || c.token_name.empty()) {
    return absl::InvalidArgumentError("agent: join_params.method and token_name are required");
  }
  if (c.data_dir.empty()) return absl::InvalidArgumentError("agent: data_dir is required");
  if (!(options.renew_fraction > 0 && options.renew_fraction < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "agent: renew_fraction must be between 0 and 1 (exclusive), got ", options.renew_fraction));
  }
  if (options.max_attempts < 0) {
    return absl::InvalidArgumentError("agent: max_attempts must be >= 0");
  }
  if (options.attempt_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("agent: the attempt timeout must be positive");
  }
  for (const std::string& pin : c.ca_pins) {
    if (!config::IsCaPin(pin)) {
      return absl::InvalidArgumentError(
          absl::StrCat("agent: \"", pin, "\" is not a CA pin (sha256:<64 hex digits>)"));
    }
  }
  // The address must parse before the first attempt.
  ENLIST_RETURN_IF_ERROR(SplitHostPort(c.server(), DefaultPort(c)).status());

  ENLIST_ASSIGN_OR_RETURN(const join::AgentJoinMethod* method, deps.methods->Get(c.join_method));
  join::SolverOptions solver_options;
  solver_options.join_params = c.join_params;
  solver_options.settings = c.method_settings;
  ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<join::Solver> solver, method->NewSolver(solver_options));
  ENLIST_ASSIGN_OR_RETURN(HostKeys keys, LoadOrCreateHostKeys(c.data_dir, options.tls_key_type));
  if (keys.generated) {
    deps.logger->Info("Generated host keys.",
                      {{"data_dir", c.data_dir},
                       {"tls_key_type", std::string(TlsKeyTypeName(options.tls_key_type))}});
  }
  std::string host_name = c.node_name.empty() ? SystemHostName() : c.node_name;
  return std::unique_ptr<Agent>(new Agent(std::move(options), deps, std::move(keys),
                                          std::move(solver), std::move(host_name)));
}

Agent::Agent(AgentOptions options, AgentDeps deps, HostKeys keys,
             std::unique_ptr<join::Solver> solver, std::string host_name)
    : options_(std::move(options)),
      deps_(std::move(deps)),
      keys_(std::move(keys)),
      host_name_(std::move(host_name)),
      store_(options_.config.data_dir, options_.config.ssh_host_cert_path),
      trust_(TrustOptions(options_), deps_.logger),
      solver_(std::move(solver)) {}

absl::StatusOr<Identity> Agent::LoadIdentity() const { return store_.Load(keys_); }

enlist::join::v1::ClientInit Agent::MakeClientInit(const std::string& previous_host_id) const {
  const config::AgentConfig& c = options_.config;
  enlist::join::v1::ClientInit init;
  init.set_join_method(c.join_method);
  init.set_token_name(c.token_name);
  init.set_role(c.role);
  init.set_client_version(options_.client_version);
  enlist::join::v1::HostParams* host = init.mutable_host();
  host->set_tls_public_key(keys_.tls_public_key_der);
  host->set_ssh_public_key(keys_.ssh_public_key_line);
  host->set_host_name(host_name_);
  host->set_previous_host_id(previous_host_id);
  return init;
}

absl::StatusOr<Identity> Agent::JoinOnce(const std::string& previous_host_id) {
  const config::AgentConfig& c = options_.config;
  absl::Time deadline = absl::Now() + options_.attempt_timeout;
  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<grpc::Channel> channel, trust_.Dial(deadline));
  absl::Duration left = deadline - absl::Now();
  ENLIST_ASSIGN_OR_RETURN(enlist::join::v1::Result result,
                          RunJoin(channel, MakeClientInit(previous_host_id), solver_.get(), left));
  ENLIST_ASSIGN_OR_RETURN(Identity id, MakeIdentity(std::move(result), keys_, deps_.clock->Now()));
  id.server = c.server();
  id.join_method = c.join_method;
  id.token_name = c.token_name;
  id.role = c.role;
  ENLIST_RETURN_IF_ERROR(store_.Save(id));
  return id;
}

absl::StatusOr<Identity> Agent::Join(const Identity* previous, int max_attempts) {
  absl::MutexLock l(&join_mu_);
  const std::string previous_host_id = previous != nullptr ? previous->host_id() : "";
  const std::string& role = options_.config.role;
  Backoff backoff(options_.backoff, deps_.uniform);
  for (int attempt = 1;; ++attempt) {
    if (deps_.sleeper->stopped()) return absl::CancelledError("join: stopped");
    absl::StatusOr<Identity> id = JoinOnce(previous_host_id);
    if (id.ok()) {
      deps_.logger->Info(
          "Joined the cluster.",
          {{"identity", role},
           {"host_id", id->host_id()},
           {"renewed", id->host_id() == previous_host_id ? "true" : "false"},
           {"expires", absl::FormatTime(absl::RFC3339_sec, id->expires, absl::UTCTimeZone())},
           {"server", options_.config.server()}});
      return id;
    }
    LogJoinFailure(*deps_.logger, role, id.status());
    if (!IsRetryable(id.status().code())) {
      deps_.logger->Error("Join failed with an error that retrying cannot fix, giving up.",
                          {{"identity", role},
                           {"code", absl::StatusCodeToString(id.status().code())},
                           {"error", std::string(id.status().message())}});
      return id.status();
    }
    if (max_attempts > 0 && attempt >= max_attempts) {
      deps_.logger->Error("Join failed, no attempts left.",
                          {{"identity", role},
                           {"attempts", absl::StrCat(attempt)},
                           {"error", std::string(id.status().message())}});
      return id.status();
    }
    absl::Duration wait = backoff.Next();
    deps_.logger->Info("Retrying join.", {{"attempt", absl::StrCat(attempt + 1)},
                                          {"max_attempts", absl::StrCat(max_attempts)},
                                          {"backoff", DurationText(wait)}});
    if (!deps_.sleeper->Sleep(wait)) return absl::CancelledError("join: stopped");
  }
}

absl::StatusOr<Identity> Agent::EnsureJoined(int max_attempts) {
  absl::StatusOr<Identity> stored = LoadIdentity();
  if (stored.ok()) {
    if (stored->Valid(deps_.clock->Now())) {
      deps_.logger->Info(
          "Using the stored identity.",
          {{"host_id", stored->host_id()},
           {"expires", absl::FormatTime(absl::RFC3339_sec, stored->expires, absl::UTCTimeZone())}});
      return stored;
    }
    deps_.logger->Info("The stored identity has expired, joining again.",
                       {{"host_id", stored->host_id()}});
    return Join(&*stored, max_attempts);
  }
  switch (stored.status().code()) {
    case absl::StatusCode::kNotFound:
      break;
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kFailedPrecondition:
      deps_.logger->Warn("The stored identity is unusable, joining again.",
                         {{"error", std::string(stored.status().message())}});
      break;
    default:
      return stored.status();
  }
  return Join(nullptr, max_attempts);
}

}  // namespace enlist::agent
