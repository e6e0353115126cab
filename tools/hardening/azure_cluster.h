// A small Azure cluster of real programs for the hardening end-to-end tests:
// enlist-azure-emulator (a world of a few VMs in one subscription),
// enlist-auth trusting only the emulator's root, enlistctl to create tokens,
// and enlist-agent runs against the emulated IMDS. Everything on 127.0.0.1
// with ports chosen by the OS, in one temp dir; every process is stopped by
// the destructor. testonly.
#ifndef ENLIST_TOOLS_HARDENING_AZURE_CLUSTER_H_
#define ENLIST_TOOLS_HARDENING_AZURE_CLUSTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/join/solver.h"
#include "core/testing/subprocess.h"
#include "grpcpp/channel.h"
#include "proto/join/v1/join.pb.h"

namespace enlist::hardening {

// The world's subscription and resource group (every VM lives there).
inline constexpr char kSubscription[] = "0b5e1a3c-6f0d-4b7e-9a51-3c2d8e4f7a10";
inline constexpr char kResourceGroup[] = "ci-rg";
// Tokens CreateTokens() makes: claims path, strict mode, `token` method.
inline constexpr char kAzureToken[] = "azure-token";
inline constexpr char kStrictToken[] = "azure-strict";
inline constexpr char kSecretToken[] = "boot";
inline constexpr char kSecret[] = "hardening-secret-0123456789abcdef";
// VMs of the world: vm-1 .. vm-<kVms>.
inline constexpr int kVms = 12;

// One test's cluster. Not thread-safe (one test thread drives it).
class AzureCluster {
 public:
  // Makes `dir` and starts the emulator; enlist-auth is started by StartAuth.
  static absl::StatusOr<std::unique_ptr<AzureCluster>> Start(const std::string& dir);
  // Kills every process still running.
  ~AzureCluster();

  // Starts enlist-auth with `extra_yaml` appended to its config (top-level
  // keys such as `limits:`); `azure_extra` is appended under methods.azure
  // (indented by the caller with 4 spaces). Waits until it serves. A
  // running server is killed first. With `port` != 0 it listens there (a
  // restart keeps the address agents were configured with).
  absl::Status StartAuth(const std::string& extra_yaml = "", const std::string& azure_extra = "",
                         int port = 0);
  // Starts enlist-auth and returns its exit status when it exits within
  // `timeout` (for start-up failures); `wrapper` is prepended to argv
  // (e.g. setpriv ...). Output in *output.
  absl::StatusOr<int> RunAuthExpectingExit(const std::vector<std::string>& wrapper,
                                           std::string* output, absl::Duration timeout);
  // Like StartAuth but with `wrapper` prepended to argv.
  absl::Status StartAuthWrapped(const std::vector<std::string>& wrapper, int port);
  // SIGKILLs (or SIGTERMs and waits for) the auth server.
  void KillAuth();
  absl::Status StopAuth();
  testing::Subprocess* auth() { return auth_.get(); }
  std::string AuthOutput() const;

  // Creates the three tokens (kAzureToken, kStrictToken, kSecretToken).
  absl::Status CreateTokens();
  // Runs enlistctl with `args`; returns its exit status.
  int Ctl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "");

  // Replaces the fault switches of `target` ("vm-3", "entra", "arm",
  // "pkiops") with `json` ("{}" clears them) through the admin API.
  absl::Status SetFaults(const std::string& target, const std::string& json);
  // GET /admin/state.
  absl::StatusOr<std::string> EmulatorState();

  // Writes an agent config for `vm` (token `token`, method azure) and
  // returns its path. `azure_extra` lines go under enlist.azure (4 spaces).
  std::string AgentConfig(const std::string& vm, const std::string& token = kAzureToken,
                          const std::string& azure_extra = "");
  // `enlist-agent join --config <vm's config> <args...>`: exit status.
  int AgentJoin(const std::string& vm, const std::vector<std::string>& args, std::string* out,
                absl::Duration timeout = absl::Seconds(50));
  // Starts `enlist-agent join` for `vm` in the background.
  absl::StatusOr<std::unique_ptr<testing::Subprocess>> StartAgent(
      const std::string& vm, const std::vector<std::string>& args);
  // `enlist-agent status --format json` for `vm`: exit status.
  int AgentStatus(const std::string& vm, std::string* out);
  std::string AgentDataDir(const std::string& vm) const { return dir_ + "/vms/" + vm; }

  // The Prometheus text of the auth server's /metrics.
  absl::StatusOr<std::string> Metrics() const;

  // A ClientInit for `vm` with fresh keys.
  static join::v1::ClientInit Init(const std::string& vm, const std::string& token,
                                   const std::string& method = "azure");
  // The real agent-side azure solver for `vm`'s IMDS on the emulator.
  std::unique_ptr<join::Solver> AzureSolver(const std::string& vm,
                                            const std::string& extra_settings = "") const;
  // One join in this process with the real azure solver: the server's status
  // unchanged (code and message as the agent library sees them).
  absl::StatusOr<join::v1::Result> Join(const std::string& vm,
                                        const std::string& token = kAzureToken);

  // A TLS channel to the auth server trusting the cluster CA.
  std::shared_ptr<grpc::Channel> Channel(const std::string& tag = "") const;

  const std::string& dir() const { return dir_; }
  const std::string& emulator_url() const { return url_; }
  const std::string& server() const { return server_; }
  int port() const;
  const std::string& pin() const { return pin_; }
  std::string data_dir() const { return dir_ + "/auth"; }

 private:
  explicit AzureCluster(std::string dir) : dir_(std::move(dir)) {}
  absl::Status WriteAuthConfig(const std::string& extra_yaml, const std::string& azure_extra,
                               int port);
  absl::Status AwaitAuth();

  std::string dir_;
  std::unique_ptr<testing::Subprocess> emulator_;
  std::unique_ptr<testing::Subprocess> auth_;
  std::string url_, server_, pin_;
  int auth_starts_ = 0;
};

// The value of `key=` on the last line of `log` containing `marker` ("" if
// absent). Values end at a space or newline (quoted values unquoted).
std::string LogField(const std::string& log, const std::string& marker, const std::string& key);

}  // namespace enlist::hardening

#endif  // ENLIST_TOOLS_HARDENING_AZURE_CLUSTER_H_
