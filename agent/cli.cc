#include "agent/cli.h"

#include <signal.h>

#include <algorithm>
#include <cstring>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agent/public/agent.h"
#include "agent/public/builtin_methods.h"
#include "agent/public/renewal_loop.h"
#include "core/json/json.h"
#include "core/util/file.h"
#include "core/util/status_macros.h"

namespace enlist::agent {
namespace {

constexpr size_t kMaxConfigFile = 1 << 20;

enum Scope : unsigned { kJoin = 1, kRun = 2, kStatus = 4, kAll = 7 };

struct FlagSpec {
  const char* name;
  unsigned scope;
  const char* help;
};

constexpr FlagSpec kFlags[] = {
    {"config", kAll, "agent config file (default /etc/teleport.yaml)"},
    {"data-dir", kAll, "data directory (keys, identity, CA cache)"},
    {"log-format", kAll, "text|json (default text)"},
    {"log-level", kAll, "debug|info|warn|error (default info)"},
    {"auth-server", kJoin | kRun, "join through this auth server (host:port)"},
    {"proxy-server", kJoin | kRun, "join through this proxy (host:port)"},
    {"ca-pin", kJoin | kRun, "sha256:<hex> of the cluster CA's public key (repeatable)"},
    {"ca-file", kJoin | kRun, "PEM file with the cluster CA certificate"},
    {"token", kJoin | kRun, "join token name"},
    {"join-method", kJoin | kRun, "join method (token, azure, ...)"},
    {"ssh-host-cert-path", kJoin | kRun, "also write the SSH host certificate here"},
    {"max-attempts", kJoin | kRun, "join attempts before giving up; 0 = forever"},
    {"tls-key-type", kJoin | kRun, "ecdsa-p256|ed25519 for a newly generated TLS key"},
    {"tls-server-name", kJoin | kRun, "name expected in the server's certificate"},
    {"renew-fraction", kRun, "renew after this fraction of the lifetime (default 0.5)"},
    {"attempt-timeout", kJoin | kRun, "deadline of one join attempt (default 60s)"},
    {"format", kStatus, "text|json (default text)"},
};

const FlagSpec* FindFlag(absl::string_view name) {
  for (const FlagSpec& f : kFlags) {
    if (name == f.name) return &f;
  }
  return nullptr;
}

unsigned ScopeOf(absl::string_view command) {
  if (command == "join") return kJoin;
  if (command == "run") return kRun;
  if (command == "status") return kStatus;
  return 0;
}

absl::Status FlagError(absl::string_view flag, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": ", what));
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

// Reads the config file; for `status`, a missing file is fine when the data
// directory is given on the command line.
absl::StatusOr<config::AgentConfig> LoadConfig(const CommandLine& cl) {
  absl::StatusOr<std::string> text = ReadFileCapped(cl.config_path, kMaxConfigFile);
  if (!text.ok()) {
    if (absl::IsNotFound(text.status()) && cl.command == "status" && cl.Get("data-dir")) {
      return config::AgentConfig();
    }
    return absl::Status(text.status().code(),
                        absl::StrCat("config ", cl.config_path, ": ", text.status().message()));
  }
  return config::ParseAgentConfig(*text, cl.config_path);
}

}  // namespace

std::optional<std::string> CommandLine::Get(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::string Usage() {
  std::string u =
      "usage: enlist-agent <command> [--config FILE] [flags]\n\n"
      "commands:\n"
      "  join     join the cluster once, store the identity, exit (0 on success)\n"
      "  run      join if needed, then renew the identity until SIGTERM/SIGINT\n"
      "  status   show the stored identity (exit 1 if there is no valid one)\n\n"
      "flags (override the config file):\n";
  for (const FlagSpec& f : kFlags) {
    std::vector<std::string> cmds;
    if (f.scope & kJoin) cmds.push_back("join");
    if (f.scope & kRun) cmds.push_back("run");
    if (f.scope & kStatus) cmds.push_back("status");
    absl::StrAppend(&u, "  --", f.name, std::string(20 - std::min<size_t>(19, strlen(f.name)), ' '),
                    f.help, " [", absl::StrJoin(cmds, ","), "]\n");
  }
  return u;
}

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine cl;
  if (args.empty()) return absl::InvalidArgumentError("missing command (join, run or status)");
  cl.command = args[0];
  if (cl.command == "help" || cl.command == "--help" || cl.command == "-h") {
    cl.command = "help";
    return cl;
  }
  unsigned scope = ScopeOf(cl.command);
  if (scope == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown command \"", cl.command, "\" (expected join, run or status)"));
  }
  for (size_t i = 1; i < args.size(); ++i) {
    absl::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      cl.command = "help";
      return cl;
    }
    if (!absl::StartsWith(a, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", a, "\""));
    }
    a.remove_prefix(2);
    std::string name, value;
    size_t eq = a.find('=');
    if (eq != absl::string_view::npos) {
      name = std::string(a.substr(0, eq));
      value = std::string(a.substr(eq + 1));
    } else {
      name = std::string(a);
      if (i + 1 >= args.size()) return FlagError(name, "missing value");
      value = args[++i];
    }
    const FlagSpec* spec = FindFlag(name);
    if (spec == nullptr) return FlagError(name, "unknown flag");
    if ((spec->scope & scope) == 0) {
      return FlagError(name, absl::StrCat("does not apply to \"", cl.command, "\""));
    }
    if (name == "config") {
      if (value.empty()) return FlagError(name, "must not be empty");
      cl.config_path = value;
    }
    cl.flags[name].push_back(std::move(value));
  }
  return cl;
}

absl::StatusOr<LogSettings> BuildLogSettings(const CommandLine& cl) {
  LogSettings s;
  if (auto v = cl.Get("log-format"); v && !log::ParseFormat(*v, &s.format)) {
    return FlagError("log-format", absl::StrCat("\"", *v, "\" is not text or json"));
  }
  if (auto v = cl.Get("log-level"); v && !log::ParseLevel(*v, &s.level)) {
    return FlagError("log-level", absl::StrCat("\"", *v, "\" is not debug, info, warn or error"));
  }
  return s;
}

absl::StatusOr<AgentOptions> BuildAgentOptions(const CommandLine& cl) {
  AgentOptions o;
  ENLIST_ASSIGN_OR_RETURN(o.config, LoadConfig(cl));
  config::AgentConfig& c = o.config;
  o.max_attempts = cl.command == "join" ? kDefaultJoinAttempts : 0;
  // The config file's `enlist:` settings first; flags below override them.
  if (!c.tls_key_type.empty()) {
    absl::StatusOr<TlsKeyType> t = ParseTlsKeyType(c.tls_key_type);
    if (!t.ok()) return t.status();
    o.tls_key_type = *t;
  }
  if (!c.tls_server_name.empty()) o.tls_server_name = c.tls_server_name;
  if (c.renew_fraction.has_value()) o.renew_fraction = *c.renew_fraction;

  auto non_empty = [&](const char* flag) -> absl::StatusOr<std::optional<std::string>> {
    std::optional<std::string> v = cl.Get(flag);
    if (v && v->empty()) return FlagError(flag, "must not be empty");
    return v;
  };
  ENLIST_ASSIGN_OR_RETURN(auto auth, non_empty("auth-server"));
  ENLIST_ASSIGN_OR_RETURN(auto proxy, non_empty("proxy-server"));
  if (auth && proxy) {
    return absl::InvalidArgumentError("--auth-server and --proxy-server are mutually exclusive");
  }
  if (auth) {
    c.auth_server = *auth;
    c.proxy_server.clear();
  }
  if (proxy) {
    c.proxy_server = *proxy;
    c.auth_server.clear();
  }
  ENLIST_ASSIGN_OR_RETURN(auto data_dir, non_empty("data-dir"));
  if (data_dir) c.data_dir = *data_dir;
  if (auto it = cl.flags.find("ca-pin"); it != cl.flags.end()) {
    c.ca_pins.clear();
    for (const std::string& pin : it->second) {
      if (!config::IsCaPin(pin)) {
        return FlagError("ca-pin", absl::StrCat("\"", pin, "\" is not sha256:<64 hex digits>"));
      }
      c.ca_pins.push_back(absl::AsciiStrToLower(pin));
    }
  }
  ENLIST_ASSIGN_OR_RETURN(auto ca_file, non_empty("ca-file"));
  if (ca_file) c.ca_file = *ca_file;
  ENLIST_ASSIGN_OR_RETURN(auto token, non_empty("token"));
  if (token) c.token_name = *token;
  ENLIST_ASSIGN_OR_RETURN(auto method, non_empty("join-method"));
  if (method && *method != c.join_method) {
    // The config's parameters belong to the other method.
    c.join_method = *method;
    c.join_params.reset();
    c.method_settings.reset();
  }
  if (auto v = cl.Get("ssh-host-cert-path")) c.ssh_host_cert_path = *v;
  if (auto v = cl.Get("max-attempts")) {
    if (!absl::SimpleAtoi(*v, &o.max_attempts) || o.max_attempts < 0) {
      return FlagError("max-attempts", absl::StrCat("\"", *v, "\" is not a number >= 0"));
    }
  }
  if (auto v = cl.Get("tls-key-type")) {
    absl::StatusOr<TlsKeyType> t = ParseTlsKeyType(*v);
    if (!t.ok()) return FlagError("tls-key-type", t.status().message());
    o.tls_key_type = *t;
  }
  if (auto v = cl.Get("tls-server-name")) o.tls_server_name = *v;
  if (auto v = cl.Get("renew-fraction")) {
    if (!absl::SimpleAtod(*v, &o.renew_fraction) || !(o.renew_fraction > 0) ||
        !(o.renew_fraction < 1)) {
      return FlagError("renew-fraction", absl::StrCat("\"", *v, "\" is not between 0 and 1"));
    }
  }
  if (auto v = cl.Get("attempt-timeout")) {
    if (!absl::ParseDuration(*v, &o.attempt_timeout) || o.attempt_timeout <= absl::ZeroDuration()) {
      return FlagError("attempt-timeout", absl::StrCat("\"", *v, "\" is not a positive duration"));
    }
  }
  if (cl.command != "status") {
    if (c.server().empty()) {
      return absl::InvalidArgumentError("no auth_server or proxy_server (config or flags)");
    }
    if (c.join_method.empty() || c.token_name.empty()) {
      return absl::InvalidArgumentError("no join method or token name (config or flags)");
    }
  }
  return o;
}

namespace {

// Status of the stored identity, printed to `out`. Exit code 0 when valid.
int StatusCommand(const CommandLine& cl, const AgentOptions& o, std::FILE* out) {
  const bool json = cl.Get("format").value_or("text") == "json";
  const std::string& data_dir = o.config.data_dir;
  absl::StatusOr<Identity> id = [&]() -> absl::StatusOr<Identity> {
    ENLIST_ASSIGN_OR_RETURN(HostKeys keys, LoadHostKeys(data_dir));
    return IdentityStore(data_dir).Load(keys);
  }();
  absl::Time now = absl::Now();
  if (!id.ok()) {
    if (json) {
      json::Value v = json::Value::Object();
      v.Set("valid", json::Value::Bool(false));
      v.Set("data_dir", json::Value::String(data_dir));
      v.Set("error", json::Value::String(std::string(id.status().message())));
      std::fprintf(out, "%s\n", json::Serialize(v).c_str());
    } else {
      std::fprintf(out, "no valid identity in %s: %s\n", data_dir.c_str(),
                   std::string(id.status().message()).c_str());
    }
    return 1;
  }
  const bool valid = id->Valid(now);
  absl::Duration left = std::max(absl::ZeroDuration(), id->expires - now);
  if (json) {
    json::Value v = json::Value::Object();
    v.Set("valid", json::Value::Bool(valid));
    v.Set("host_id", json::Value::String(id->host_id()));
    v.Set("role", json::Value::String(id->role));
    v.Set("join_method", json::Value::String(id->join_method));
    v.Set("token_name", json::Value::String(id->token_name));
    v.Set("server", json::Value::String(id->server));
    v.Set("joined_at", json::Value::String(TimeText(id->joined_at)));
    v.Set("expires", json::Value::String(TimeText(id->expires)));
    v.Set("time_left_seconds", json::Value::Int(absl::ToInt64Seconds(left)));
    v.Set("data_dir", json::Value::String(data_dir));
    std::fprintf(out, "%s\n", json::Serialize(v).c_str());
  } else {
    std::string text =
        absl::StrCat("host_id:     ", id->host_id(), "\n", "role:        ", id->role, "\n",
                     "join_method: ", id->join_method, "\n", "token_name:  ", id->token_name, "\n",
                     "server:      ", id->server, "\n", "joined_at:   ", TimeText(id->joined_at),
                     "\n", "expires:     ", TimeText(id->expires), "\n",
                     "time_left:   ", absl::FormatDuration(absl::Trunc(left, absl::Seconds(1))),
                     "\n", "valid:       ", valid ? "true" : "false (expired)", "\n");
    std::fputs(text.c_str(), out);
  }
  return valid ? 0 : 1;
}

// Blocks SIGTERM/SIGINT in this (still single-threaded) process and turns
// them into stop->Stop() on a dedicated thread. The objects are leaked on
// purpose: the thread may outlive RunCli.
void StopOnSignals(StopSource* stop, log::Logger* logger) {
  static sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::thread([stop, logger] {
    int sig = 0;
    if (sigwait(&set, &sig) == 0) {
      logger->Info("Received signal, stopping.",
                   {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      stop->Stop();
    }
  }).detach();
}

}  // namespace

int RunCli(int argc, char** argv, std::FILE* out, std::FILE* err) {
  std::vector<std::string> args(argv + std::min(argc, 1), argv + argc);
  absl::StatusOr<CommandLine> cl = ParseCommandLine(args);
  if (!cl.ok()) {
    std::fprintf(err, "enlist-agent: %s\n\n%s", std::string(cl.status().message()).c_str(),
                 Usage().c_str());
    return 2;
  }
  if (cl->command == "help") {
    std::fputs(Usage().c_str(), out);
    return 0;
  }
  absl::StatusOr<LogSettings> log_settings = BuildLogSettings(*cl);
  if (!log_settings.ok()) {
    std::fprintf(err, "enlist-agent: %s\n", std::string(log_settings.status().message()).c_str());
    return 2;
  }
  if (auto f = cl->Get("format"); f && *f != "text" && *f != "json") {
    std::fprintf(err, "enlist-agent: --format: \"%s\" is not text or json\n", f->c_str());
    return 2;
  }
  absl::StatusOr<AgentOptions> options = BuildAgentOptions(*cl);
  if (!options.ok()) {
    std::fprintf(err, "enlist-agent: %s\n", std::string(options.status().message()).c_str());
    return 2;
  }
  if (cl->command == "status") return StatusCommand(*cl, *options, out);

  // Never freed: the signal thread may still refer to them at exit. Kept
  // reachable from static storage, so leak checkers know it is deliberate.
  static auto* const kKept = new std::vector<const void*>();
  auto* logger = new log::Logger(log_settings->format, log_settings->level, err);
  auto* stop = new StopSource();
  kKept->push_back(logger);
  kKept->push_back(stop);
  StopOnSignals(stop, logger);
  for (const std::string& note : options->config.notes)
    logger->Info("Config note.", {{"note", note}});

  join::AgentRegistry methods;
  if (absl::Status s = RegisterBuiltinAgentMethods(methods, logger); !s.ok()) {
    logger->Error("Cannot register join methods.", {{"error", std::string(s.message())}});
    return 1;
  }
  AgentDeps deps;
  deps.methods = &methods;
  deps.logger = logger;
  deps.sleeper = stop;
  const int max_attempts = options->max_attempts;
  absl::StatusOr<std::unique_ptr<Agent>> agent = Agent::Create(*std::move(options), deps);
  if (!agent.ok()) {
    logger->Error("Cannot start the agent.", {{"error", std::string(agent.status().message())}});
    return 1;
  }

  if (cl->command == "join") {
    absl::StatusOr<Identity> current = (*agent)->LoadIdentity();
    if (!current.ok() && !absl::IsNotFound(current.status())) {
      logger->Warn("The stored identity is unusable, joining again.",
                   {{"error", std::string(current.status().message())}});
    }
    absl::StatusOr<Identity> id = (*agent)->Join(current.ok() ? &*current : nullptr, max_attempts);
    if (!id.ok()) {
      std::fprintf(err, "enlist-agent: join failed: %s\n",
                   std::string(id.status().message()).c_str());
      return 1;
    }
    return 0;
  }

  // run: the renewal loop ends when the signal thread stops `stop`.
  RenewalLoop loop(agent->get(), stop);
  if (absl::Status started = loop.Start(); !started.ok()) {
    std::fprintf(err, "enlist-agent: %s\n", std::string(started.message()).c_str());
    return 1;
  }
  absl::Status s = loop.Wait();
  if (!s.ok()) {
    std::fprintf(err, "enlist-agent: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  logger->Info("Stopped.");
  return 0;
}

}  // namespace enlist::agent
