// The two embedding examples as real processes on 127.0.0.1 (OS-chosen
// port): hello_server (its own service + Enlist's join service on one port)
// and hello_daemon (the embedded agent half). Joins with a built-in method
// and with the examples' own method, then calls hello with mutual TLS.
#include <signal.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/testing/subprocess.h"
#include "gtest/gtest.h"

namespace {

using enlist::testing::RunCommand;
using enlist::testing::Runfile;
using enlist::testing::Subprocess;
using enlist::testing::WaitFor;

constexpr char kSecret[] = "correct-horse-battery-staple";
constexpr char kWord[] = "open sesame";

constexpr char kTokens[] =
    "kind: token\nversion: v2\nmetadata: {name: boot}\n"
    "spec: {roles: [Node], join_method: token, token: {secret: correct-horse-battery-staple}}\n"
    "---\nkind: token\nversion: v2\nmetadata: {name: proxy}\n"
    "spec: {roles: [Proxy], join_method: token, token: {secret: correct-horse-battery-staple}}\n"
    "---\nkind: token\nversion: v2\nmetadata: {name: pass}\n"
    "spec: {roles: [Node], join_method: passphrase, passphrase: {word: open sesame}}\n";

// The value after `key=` in `text`, up to the next space or newline.
std::optional<std::string> Field(const std::string& text, const std::string& key) {
  size_t at = text.find(key + "=");
  if (at == std::string::npos) return std::nullopt;
  at += key.size() + 1;
  size_t end = text.find_first_of(" \n", at);
  if (end == std::string::npos) return std::nullopt;
  return text.substr(at, end - at);
}

class ExamplesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(std::getenv("TEST_TMPDIR"), "/", ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(std::system(absl::StrCat("rm -rf '", dir_, "' && mkdir -p '", dir_, "'").c_str()), 0);
    std::ofstream(dir_ + "/tokens.yaml") << kTokens;
    absl::StatusOr<Subprocess> server =
        Subprocess::Start({Runfile("tools/examples/hello_server"), "--data-dir", dir_ + "/server",
                           "--listen-addr", "127.0.0.1:0", "--tokens", dir_ + "/tokens.yaml"},
                          dir_ + "/server.log");
    ASSERT_TRUE(server.ok()) << server.status();
    server_.emplace(*std::move(server));
    // The line the server prints once it serves (log lines also carry a
    // ca_pin field, so look for this one).
    std::string line;
    ASSERT_TRUE(WaitFor(
        [&] {
          std::string out = server_->Output();
          size_t at = out.find("hello-server listening ");
          size_t end = at == std::string::npos ? at : out.find('\n', at);
          if (end == std::string::npos) return false;
          line = out.substr(at, end - at + 1);
          return true;
        },
        absl::Seconds(30)))
        << server_->Output();
    std::string out = line;
    address_ = absl::StrCat("127.0.0.1:", Field(out, "port").value_or("?"));
    pin_ = Field(out, "ca_pin").value_or("?");
  }

  void TearDown() override {
    if (!server_.has_value()) return;
    server_->Signal(SIGTERM);
    absl::StatusOr<int> code = server_->Wait(absl::Seconds(20));
    ASSERT_TRUE(code.ok()) << code.status();
    EXPECT_EQ(*code, 0) << server_->Output();
  }

  // Runs hello_daemon with its own data directory; returns the exit code.
  int Daemon(const std::string& name, std::vector<std::string> args, std::string* out) {
    std::vector<std::string> argv = {Runfile("tools/examples/hello_daemon"), "--server", address_,
                                     "--ca-pin", pin_, "--data-dir", dir_ + "/" + name};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<int> code = RunCommand(argv, out, absl::Seconds(60));
    EXPECT_TRUE(code.ok()) << code.status();
    return code.ok() ? *code : -1;
  }

  std::string dir_, address_, pin_;
  std::optional<Subprocess> server_;
};

TEST_F(ExamplesTest, JoinThenHelloOverMutualTls) {
  std::string out;
  ASSERT_EQ(Daemon("d1", {"--join-method", "token", "--token", "boot", "--secret", kSecret}, &out), 0)
      << out;
  std::optional<std::string> host_id = Field(out, "host_id");
  ASSERT_TRUE(host_id.has_value()) << out;
  // The hello service saw the issued certificate: its host id, role, method.
  EXPECT_NE(out.find(absl::StrCat("reply: hello daemon, host ", *host_id,
                                  " (role Node, joined via token, token boot)")),
            std::string::npos)
      << out;
}

TEST_F(ExamplesTest, UnjoinedCallerIsRefused) {
  std::string out;
  EXPECT_EQ(Daemon("d2", {"--skip-join"}, &out), 3) << out;
  EXPECT_NE(out.find("hello: UNAUTHENTICATED: peer: no client certificate"), std::string::npos) << out;
}

TEST_F(ExamplesTest, RoleIsCheckedFromTheCertificate) {
  std::string out;
  EXPECT_EQ(Daemon("d3", {"--join-method", "token", "--token", "proxy", "--secret", kSecret}, &out),
            1)
      << out;  // the daemon asks for role Node; the token grants Proxy only
  EXPECT_NE(out.find("join: PERMISSION_DENIED"), std::string::npos) << out;
}

TEST_F(ExamplesTest, TheExamplesOwnMethodJoins) {
  std::string out;
  ASSERT_EQ(Daemon("d4", {"--join-method", "passphrase", "--token", "pass", "--word", kWord}, &out),
            0)
      << out;
  EXPECT_NE(out.find("(role Node, joined via passphrase, token pass)"), std::string::npos) << out;
}

TEST_F(ExamplesTest, TheExamplesOwnMethodDeniesAWrongWord) {
  std::string out;
  EXPECT_EQ(Daemon("d5", {"--join-method", "passphrase", "--token", "pass", "--word", "nope"}, &out),
            1)
      << out;
  EXPECT_NE(out.find("join: UNAUTHENTICATED: passphrase: wrong passphrase"), std::string::npos)
      << out;
}

}  // namespace
