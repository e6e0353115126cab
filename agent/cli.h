// The `enlist-agent` command line: parsing, config + flag overrides, and the
// join / run / status commands. main.cc only calls RunCli. Uses only the
// public agent API (agent/public/).
//
//   enlist-agent join   [--config FILE] [flags]   join once, store, exit
//   enlist-agent run    [--config FILE] [flags]   join if needed, renew until SIGTERM
//   enlist-agent status [--config FILE] [--format text|json]
#ifndef ENLIST_AGENT_CLI_H_
#define ENLIST_AGENT_CLI_H_

#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "agent/public/agent.h"
#include "core/log/logger.h"

namespace enlist::agent {

// Where the config is read from without --config (the seed's path).
inline constexpr char kDefaultConfigPath[] = "/etc/teleport.yaml";
// Default attempts for `join` (a script should not wait forever); `run`
// retries forever.
inline constexpr int kDefaultJoinAttempts = 10;

// A parsed command line.
struct CommandLine {
  std::string command;  // "join", "run", "status", "help"
  std::string config_path = kDefaultConfigPath;
  // Flag name (without "--") -> values in order (--ca-pin may repeat).
  std::map<std::string, std::vector<std::string>> flags;

  // The last value of `name`, if given.
  std::optional<std::string> Get(const std::string& name) const;
};

// Parses argv[1..]. Accepts "--name value" and "--name=value". kInvalidArgument
// for an unknown command or flag, a flag without a value, a flag that does
// not apply to the command, or a stray argument.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The usage text.
std::string Usage();

// Reads the config file and applies the flags on top: --auth-server /
// --proxy-server (each replaces both), --data-dir, --ca-pin (replaces the
// config's pins; repeatable), --ca-file, --token, --join-method (drops the
// config's join_params and settings when the method changes),
// --ssh-host-cert-path, --max-attempts, --tls-key-type, --tls-server-name,
// --renew-fraction, --attempt-timeout. kInvalidArgument names the bad flag
// or config field; kNotFound for a missing config file.
absl::StatusOr<AgentOptions> BuildAgentOptions(const CommandLine& cl);

// Logging settings from --log-format / --log-level (defaults text / info).
struct LogSettings {
  log::Format format = log::Format::kText;
  log::Level level = log::Level::kInfo;
};
absl::StatusOr<LogSettings> BuildLogSettings(const CommandLine& cl);

// Runs the program; returns the exit code: 0 success, 1 the command failed
// (join failed, no valid identity), 2 usage or config error. Results go to
// `out` (status output), logs and errors to `err`. `run` installs a
// SIGTERM/SIGINT handler thread and stops cleanly on either.
int RunCli(int argc, char** argv, std::FILE* out, std::FILE* err);

}  // namespace enlist::agent

#endif  // ENLIST_AGENT_CLI_H_
