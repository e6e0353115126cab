// Runs the real `enlist-agent` binary against a real auth side (TLS on
// 127.0.0.1, OS-chosen port) started in this test process: join, status,
// restart, run + SIGTERM, permission denied, corrupt identity, and a server
// that comes up only after the agent's first attempt failed.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/testing/process.h"
#include "agent/testing/test_auth_server.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::agent {
namespace {

using ::testing::HasSubstr;
using testing::ReservedPort;
using testing::TestAuthServer;
using testing::TestAuthServerOptions;

std::string NewDir(const char* what) { return testing::NewTestDir(what); }

std::string Read(const std::string& path) {
  auto s = ReadFileCapped(path, 1 << 20);
  return s.ok() ? *s : "";
}

// The agent binary, run to completion or in the background.
const std::string& Agent() {
  static const std::string* path = new std::string(testing::RunfilePath("agent/enlist-agent"));
  return *path;
}

class Process : public testing::Process {
 public:
  explicit Process(const std::vector<std::string>& args) : testing::Process(Agent(), args) {}
  bool WaitForLog(absl::string_view needle) { return WaitForStderr(needle); }
};

class BinaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_dir_ = NewDir("ca");
    data_dir_ = NewDir("data");
  }

  void StartServer(TestAuthServerOptions o = {}) {
    auto s = TestAuthServer::Start(ca_dir_, o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    address_ = server_->address();
    pin_ = server_->pin();
  }

  // Writes the agent config (seed shape + enlist section) and returns its path.
  std::string Config() {
    std::string path = absl::StrCat(data_dir_, ".yaml");
    std::string yaml = absl::StrCat(
        "version: v3\n"
        "teleport:\n"
        "  nodename: vm-1\n"
        "  data_dir: ",
        data_dir_,
        "\n"
        "  auth_server: ",
        address_,
        "\n"
        "  join_params:\n"
        "    token_name: boot\n"
        "    method: token\n"
        "    token:\n"
        "      secret: ",
        testing::kTestSecret,
        "\n"
        "ssh_service:\n"
        "  enabled: true\n"
        "enlist:\n"
        "  ca_pin: ",
        pin_, "\n");
    EXPECT_TRUE(WriteFileAtomic(path, yaml).ok());
    return path;
  }

  int Run(const std::vector<std::string>& args, std::string* out = nullptr,
          std::string* err = nullptr) {
    return testing::RunProcess(Agent(), args, out, err);
  }

  std::string ca_dir_, data_dir_, address_, pin_;
  std::unique_ptr<TestAuthServer> server_;
};

TEST_F(BinaryTest, JoinThenStatus) {
  StartServer();
  const std::string config = Config();
  const std::string cert_path = absl::StrCat(NewDir("ssh"), "/ssh_host_ed25519_key-cert.pub");
  std::string out, err;
  ASSERT_EQ(Run({"join", "--config", config, "--ssh-host-cert-path", cert_path}, &out, &err), 0)
      << err;
  EXPECT_THAT(err, HasSubstr("level=INFO msg=\"Joined the cluster.\" identity=Node host_id="));
  EXPECT_THAT(err, HasSubstr("note=\"ssh_service: accepted, not used by Enlist\""));
  EXPECT_THAT(Read(cert_path), HasSubstr("-cert-v01@openssh.com "));
  EXPECT_EQ(server_->issued(), 1);

  ASSERT_EQ(Run({"status", "--config", config}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("role:        Node\n"));
  EXPECT_THAT(out, HasSubstr("join_method: token\n"));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("server:      ", address_, "\n")));
  EXPECT_THAT(out, HasSubstr("valid:       true\n"));

  ASSERT_EQ(Run({"status", "--config", config, "--format", "json"}, &out, &err), 0) << err;
  EXPECT_THAT(out, HasSubstr("\"valid\":true"));
  EXPECT_THAT(out, HasSubstr("\"token_name\":\"boot\""));

  // Joining again renews: same host id (the server allows it).
  std::string host_id = out.substr(out.find("\"host_id\":\"") + 11, 36);
  ASSERT_EQ(Run({"join", "--config", config}, &out, &err), 0) << err;
  EXPECT_THAT(err, HasSubstr(absl::StrCat("host_id=", host_id, " renewed=true")));
}

TEST_F(BinaryTest, StatusWithoutIdentity) {
  std::string out, err;
  EXPECT_EQ(Run({"status", "--data-dir", data_dir_, "--config", "/nonexistent.yaml"}, &out, &err),
            1);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("no valid identity in ", data_dir_)));
  EXPECT_EQ(
      Run({"status", "--data-dir", data_dir_, "--config", "/nonexistent.yaml", "--format", "json"},
          &out, &err),
      1);
  EXPECT_THAT(out, HasSubstr("\"valid\":false"));
}

TEST_F(BinaryTest, PermissionDeniedSaysWhyAndStops) {
  StartServer();
  std::string out, err;
  EXPECT_EQ(Run({"join", "--config", Config(), "--token", "proxy-only"}, &out, &err), 1);
  EXPECT_THAT(err, HasSubstr("level=ERROR msg=\"Failed to establish connection to cluster.\" "
                             "identity=Node error=\"join: token \\\"proxy-only\\\" does not grant "
                             "role \\\"Node\\\"\""));
  EXPECT_THAT(err, HasSubstr("code=PERMISSION_DENIED"));
  EXPECT_THAT(err, HasSubstr("enlist-agent: join failed: join: token \"proxy-only\" does not "
                             "grant role \"Node\""));
  EXPECT_THAT(err, ::testing::Not(HasSubstr("Retrying join.")));
}

TEST_F(BinaryTest, CorruptIdentityClearErrorThenRejoin) {
  StartServer();
  const std::string config = Config();
  ASSERT_EQ(Run({"join", "--config", config}), 0);
  ASSERT_TRUE(WriteFileAtomic(absl::StrCat(data_dir_, "/identity.pb"), "garbage!").ok());
  std::string out, err;
  EXPECT_EQ(Run({"status", "--config", config}, &out, &err), 1);
  EXPECT_THAT(out, HasSubstr("identity.pb: corrupt: cannot parse"));
  EXPECT_EQ(Run({"join", "--config", config}, &out, &err), 0) << err;
  EXPECT_THAT(err, HasSubstr("level=WARN msg=\"The stored identity is unusable, joining again.\""));
  EXPECT_EQ(Run({"status", "--config", config}, &out, &err), 0) << out;
}

TEST_F(BinaryTest, RunRejoinsAfterCorruptionAndStopsOnSigterm) {
  StartServer();
  const std::string config = Config();
  ASSERT_EQ(Run({"join", "--config", config}), 0);
  ASSERT_TRUE(WriteFileAtomic(absl::StrCat(data_dir_, "/identity.pb"), "garbage!").ok());
  Process run({"run", "--config", config});
  ASSERT_TRUE(run.WaitForLog("msg=\"Next identity renewal scheduled.\"")) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("level=WARN msg=\"The stored identity is unusable, joining "
                                   "again.\""));
  EXPECT_EQ(server_->issued(), 2);
  run.Signal(SIGTERM);
  EXPECT_EQ(run.Wait(), 0) << run.err();
  EXPECT_THAT(run.err(), HasSubstr("msg=\"Received signal, stopping.\" signal=SIGTERM"));

  // Restart: the stored identity is used, no new join.
  Process again({"run", "--config", config});
  ASSERT_TRUE(again.WaitForLog("msg=\"Next identity renewal scheduled.\"")) << again.err();
  EXPECT_THAT(again.err(), HasSubstr("msg=\"Using the stored identity.\""));
  EXPECT_EQ(server_->issued(), 2);
  again.Signal(SIGINT);
  EXPECT_EQ(again.Wait(), 0) << again.err();
}

TEST_F(BinaryTest, ServerDownAtStartThenJoins) {
  auto ca = ca::ClusterCa::LoadOrCreate(ca_dir_, "test", RealClock::Get());
  ASSERT_TRUE(ca.ok());
  pin_ = (*ca)->pin();
  auto reserved = ReservedPort::Bind();
  ASSERT_TRUE(reserved.ok());
  address_ = absl::StrCat("127.0.0.1:", (*reserved)->port());
  Process join({"join", "--config", Config(), "--max-attempts", "20"});
  ASSERT_TRUE(join.WaitForLog("msg=\"Retrying join.\"")) << join.err();
  EXPECT_THAT(join.err(), HasSubstr("Connection refused"));
  (*reserved)->Release();
  TestAuthServerOptions o;
  o.port = (*reserved)->port();
  StartServer(o);
  EXPECT_EQ(join.Wait(), 0) << join.err();
  EXPECT_THAT(join.err(), HasSubstr("msg=\"Joined the cluster.\""));
}

}  // namespace
}  // namespace enlist::agent
