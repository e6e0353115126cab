// End to end with the real programs on loopback: `enlist-auth` (started by
// this test on 127.0.0.1 with an OS-chosen port), `enlistctl` to create the
// tokens, and `enlist-agent` joining over TLS with the CA pin. Covers first
// join, restart with the identity kept, renewal before expiry, auth server
// down at start, permission denied, and a corrupt identity file.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/testing/process.h"
#include "agent/testing/test_auth_server.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

using ::testing::HasSubstr;
using testing::NewTestDir;
using ::testing::Not;
using testing::Process;
using testing::ReservedPort;
using testing::RunfilePath;
using testing::RunProcess;

constexpr char kSecret[] = "e2e-secret-0123456789abcdef";

const std::string& AuthBin() {
  static const std::string* p = new std::string(RunfilePath("auth/enlist-auth"));
  return *p;
}
const std::string& CtlBin() {
  static const std::string* p = new std::string(RunfilePath("tools/enlistctl/enlistctl"));
  return *p;
}
const std::string& AgentBin() {
  static const std::string* p = new std::string(RunfilePath("agent/enlist-agent"));
  return *p;
}

// The value of `key=` in a key=value log line ("" if absent).
std::string Field(const std::string& log, const std::string& line_marker, const std::string& key) {
  size_t line = log.find(line_marker);
  if (line == std::string::npos) return "";
  size_t at = log.find(absl::StrCat(" ", key, "="), line);
  if (at == std::string::npos) return "";
  at += key.size() + 2;
  size_t end = log.find_first_of(" \n", at);
  return log.substr(at, end - at);
}

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auth_dir_ = NewTestDir("auth");
    vm_dir_ = NewTestDir("vm");
    ASSERT_TRUE(WriteFileAtomic(vm_dir_ + "/secret", kSecret).ok());
  }
  void TearDown() override { StopAuth(); }

  // Starts enlist-auth on 127.0.0.1:`port` (0: OS-chosen) and, the first
  // time, creates the tokens with enlistctl.
  void StartAuth(int port = 0, const std::string& ttl = "1h") {
    auth_ = std::make_unique<Process>(
        AuthBin(), std::vector<std::string>{"--data-dir", auth_dir_, "--listen-addr",
                                            absl::StrCat("127.0.0.1:", port), "--cluster-name",
                                            "e2e", "--host-cert-ttl", ttl});
    ASSERT_TRUE(auth_->WaitForStderr("msg=\"Auth service started\"")) << auth_->err();
    std::string log = auth_->err();
    address_ = Field(log, "Auth service started", "listen_addr");
    pin_ = Field(log, "Auth service started", "ca_pin");
    ASSERT_FALSE(address_.empty()) << log;
    ASSERT_THAT(pin_, ::testing::StartsWith("sha256:")) << log;
    if (tokens_created_) return;
    const std::string tokens = auth_dir_ + "-tokens.yaml";
    ASSERT_TRUE(
        WriteFileAtomic(tokens, absl::StrCat("kind: token\nversion: v2\nmetadata: {name: boot}\n"
                                             "spec: {roles: [Node], join_method: token, token: "
                                             "{secret: ",
                                             kSecret,
                                             "}}\n---\n"
                                             "kind: token\nversion: v2\nmetadata: {name: proxies}\n"
                                             "spec: {roles: [Proxy], join_method: token, token: "
                                             "{secret: ",
                                             kSecret, "}}\n"))
            .ok());
    std::string out, err;
    ASSERT_EQ(RunProcess(CtlBin(), {"--data-dir", auth_dir_, "create", "-f", tokens}, &out, &err),
              0)
        << out << err;
    tokens_created_ = true;
  }

  void StopAuth() {
    if (auth_ == nullptr) return;
    auth_->Signal(SIGTERM);
    EXPECT_EQ(auth_->Wait(), 0) << auth_->err();
    auth_.reset();
  }

  // The seed's config shape for this VM.
  std::string Config(const std::string& token = "boot") {
    std::string path = vm_dir_ + "/teleport.yaml";
    EXPECT_TRUE(WriteFileAtomic(path, absl::StrCat("version: v3\n"
                                                   "teleport:\n"
                                                   "  nodename: vm-e2e\n"
                                                   "  data_dir: ",
                                                   vm_dir_,
                                                   "/data\n"
                                                   "  join_params:\n"
                                                   "    token_name: ",
                                                   token,
                                                   "\n"
                                                   "    method: token\n"
                                                   "    token:\n"
                                                   "      secret_file: ",
                                                   vm_dir_,
                                                   "/secret\n"
                                                   "  auth_server: ",
                                                   address_,
                                                   "\n"
                                                   "ssh_service:\n"
                                                   "  enabled: true\n"
                                                   "enlist:\n"
                                                   "  ca_pin: ",
                                                   pin_, "\n"))
                    .ok());
    return path;
  }

  int Agent(const std::vector<std::string>& args, std::string* out = nullptr,
            std::string* err = nullptr) {
    return RunProcess(AgentBin(), args, out, err);
  }

  std::string auth_dir_, vm_dir_, address_, pin_;
  bool tokens_created_ = false;
  std::unique_ptr<Process> auth_;
};

TEST_F(E2eTest, FirstJoinRestartAndRenewal) {
  StartAuth(0, "1m");
  const std::string config = Config();
  std::string out, err;
  ASSERT_EQ(Agent({"join", "--config", config}, &out, &err), 0) << err << auth_->err();
  ASSERT_EQ(Agent({"status", "--config", config, "--format", "json"}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("\"valid\":true"));
  const std::string host_id = out.substr(out.find("\"host_id\":\"") + 11, 36);

  // Restart: `run` keeps the stored identity, then renews it at 5% of its
  // one-minute lifetime, keeping the host id.
  Process run(AgentBin(), {"run", "--config", config, "--renew-fraction", "0.05"});
  ASSERT_TRUE(run.WaitForStderr("msg=\"Using the stored identity.\"")) << run.err();
  EXPECT_THAT(run.err(), HasSubstr(absl::StrCat("host_id=", host_id)));
  ASSERT_TRUE(run.WaitForStderr("msg=\"Renewing the identity.\"")) << run.err();
  ASSERT_TRUE(run.WaitForStderr(absl::StrCat("host_id=", host_id, " renewed=true")))
      << run.err() << auth_->err();
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(), 0) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("msg=\"Received signal, stopping.\" signal=SIGTERM"));

  ASSERT_EQ(RunProcess(CtlBin(), {"--data-dir", auth_dir_, "get", "hosts", "--format", "json"},
                       &out, &err),
            0)
      << err;
  EXPECT_THAT(out, HasSubstr(host_id));
}

TEST_F(E2eTest, PermissionDeniedStopsAndSaysWhy) {
  StartAuth();
  std::string out, err;
  EXPECT_EQ(Agent({"join", "--config", Config("proxies")}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("level=ERROR msg=\"Failed to establish connection to cluster.\" "
                             "identity=Node error="));
  EXPECT_THAT(err, HasSubstr("code=PERMISSION_DENIED"));
  EXPECT_THAT(err, HasSubstr("enlist-agent: join failed: "));
  EXPECT_THAT(err, Not(HasSubstr("Retrying join.")));
  EXPECT_THAT(auth_->err(), HasSubstr("msg=\"Failure to join cluster occurred\""));
}

TEST_F(E2eTest, CorruptIdentityClearErrorThenRejoin) {
  StartAuth();
  const std::string config = Config();
  ASSERT_EQ(Agent({"join", "--config", config}), 0);
  ASSERT_TRUE(WriteFileAtomic(vm_dir_ + "/data/identity.pb", "not an identity").ok());
  std::string out, err;
  EXPECT_EQ(Agent({"status", "--config", config}, &out, &err), 1);
  EXPECT_THAT(out, HasSubstr("identity.pb: corrupt"));
  ASSERT_EQ(Agent({"join", "--config", config}, &out, &err), 0) << err;
  EXPECT_THAT(err, HasSubstr("msg=\"The stored identity is unusable, joining again.\""));
  EXPECT_EQ(Agent({"status", "--config", config}, &out, &err), 0) << out;
}

TEST_F(E2eTest, AuthDownAtStartAgentWaitsThenJoins) {
  // First start creates the CA (and its pin) and the tokens; then stop it.
  StartAuth();
  StopAuth();
  auto reserved = ReservedPort::Bind();
  ASSERT_TRUE(reserved.ok());
  address_ = absl::StrCat("127.0.0.1:", (*reserved)->port());
  Process join(AgentBin(), {"join", "--config", Config(), "--max-attempts", "30"});
  ASSERT_TRUE(join.WaitForStderr("msg=\"Retrying join.\"")) << join.err();
  EXPECT_THAT(join.err(), HasSubstr("Connection refused"));
  (*reserved)->Release();
  StartAuth((*reserved)->port());
  EXPECT_EQ(join.Wait(), 0) << join.err() << auth_->err();
  EXPECT_THAT(join.err(), HasSubstr("msg=\"Joined the cluster.\""));
}

}  // namespace
}  // namespace enlist::agent
