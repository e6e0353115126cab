// High availability end to end, with the real programs on loopback: a
// 3-member etcd cluster, two enlist-auth servers sharing it (started at the
// same time: one CA), enlist-proxy in front of both, and enlist-agent
// joining through the proxy while one auth server and then one etcd member
// are killed. Every join succeeds, possibly after a retry; every host is
// stored once, under a unique id, and visible from the surviving server.
// The audit log holds each agent's own address as the proxy stamped it,
// and a client connecting directly with a forged proxy_remote_addr is
// recorded under its real address.
#include <signal.h>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "auth/storage/backend_testing.h"
#include "auth/storage/etcd_test_cluster.h"
#include "core/json/json.h"
#include "core/testing/subprocess.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "proto/join/v1/join.grpc.pb.h"

namespace enlist::proxy {
namespace {

using enlist::testing::RunCommand;
using enlist::testing::Runfile;
using enlist::testing::Subprocess;
using enlist::testing::WaitFor;
using ::testing::HasSubstr;

constexpr char kSecret[] = "ha-e2e-secret-0123456789abcdef";
constexpr char kForgedAddr[] = "203.0.113.66:6666";

// The value of `key=` on the line containing `marker` ("" if absent).
std::string Field(const std::string& log, const std::string& marker, const std::string& key) {
  size_t line = log.find(marker);
  if (line == std::string::npos) return "";
  size_t at = log.find(absl::StrCat(" ", key, "="), line);
  if (at == std::string::npos) return "";
  at += key.size() + 2;
  return log.substr(at, log.find_first_of(" \n", at) - at);
}

// The remote_addr of every `msg="Join stream finished"` line of the proxy
// with `code=OK`: the agent addresses it stamped into joins that succeeded.
std::set<std::string> StampedByProxy(const std::string& log) {
  std::set<std::string> out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (!absl::StrContains(line, "msg=\"Join stream finished\"") ||
        !absl::StrContains(line, " code=OK")) {
      continue;
    }
    out.insert(Field(std::string(line), "Join stream finished", "remote_addr"));
  }
  return out;
}

// One audit event as `enlistctl get events --format json` prints it.
struct Event {
  std::string result, host_name, remote_addr;
};

std::vector<Event> ParseEvents(const std::string& json) {
  std::vector<Event> out;
  absl::StatusOr<json::Value> v = json::Parse(json);
  EXPECT_TRUE(v.ok()) << v.status() << json;
  if (!v.ok()) return out;
  for (const json::Value& e : v->array()) {
    auto str = [&e](const char* key) {
      const json::Value* f = e.Find(key);
      return f == nullptr ? std::string() : f->string_value();
    };
    out.push_back({str("result"), str("host_name"), str("remote_addr")});
  }
  return out;
}

struct Auth {
  std::string dir;
  std::unique_ptr<Subprocess> process;
  std::string address, pin;
};

class HaE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = storage::MakeTestDir("ha");
    storage::EtcdTestClusterOptions o;
    o.dir = root_ + "/etcd";
    auto c = storage::EtcdTestCluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    etcd_ = *std::move(c);
    ASSERT_TRUE(WriteFileAtomic(root_ + "/secret", kSecret).ok());
  }

  void StartAuth(Auth& a, int i) {
    a.dir = absl::StrCat(root_, "/auth", i);
    const std::string config = absl::StrCat(root_, "/auth", i, ".yaml");
    ASSERT_TRUE(
        WriteFileAtomic(config, absl::StrCat("version: v1\ncluster_name: ha\n"
                                             "listen_addr: 127.0.0.1:0\ndata_dir: ",
                                             a.dir, "\nstorage:\n  type: etcd\n  endpoints: [",
                                             absl::StrJoin(etcd_->endpoints(), ", "), "]\n"))
            .ok());
    auto p = Subprocess::Start({Runfile("auth/enlist-auth"), "--config", config},
                               absl::StrCat(root_, "/auth", i, ".log"));
    ASSERT_TRUE(p.ok()) << p.status();
    a.process = std::make_unique<Subprocess>(*std::move(p));
  }

  void AwaitAuth(Auth& a) {
    ASSERT_TRUE(
        WaitFor([&] { return absl::StrContains(a.process->Output(), "Auth service started"); },
                absl::Seconds(30)))
        << a.process->Output();
    a.address = Field(a.process->Output(), "Auth service started", "listen_addr");
    a.pin = Field(a.process->Output(), "Auth service started", "ca_pin");
  }

  // Joins one agent through the proxy (up to `attempts` runs of
  // `enlist-agent join`); returns its host id, "" on failure.
  std::string JoinAgent(int n, int attempts, std::vector<std::string>* errors) {
    const std::string dir = absl::StrCat(root_, "/vm", n);
    const std::string config = dir + ".yaml";
    EXPECT_TRUE(
        WriteFileAtomic(
            config, absl::StrCat("version: v3\nteleport:\n  nodename: vm", n, "\n  data_dir: ", dir,
                                 "\n  join_params:\n    token_name: boot\n"
                                 "    method: token\n    token:\n"
                                 "      secret_file: ",
                                 root_, "/secret\n  proxy_server: ", proxy_address_,
                                 "\nenlist:\n  ca_pin: ", auth_[0].pin, "\n"))
            .ok());
    for (int i = 0; i < attempts; ++i) {
      std::string out;
      auto rc = RunCommand(
          {Runfile("agent/enlist-agent"), "join", "--config", config, "--max-attempts", "1"}, &out,
          absl::Seconds(40));
      if (rc.ok() && *rc == 0) {
        std::string status;
        auto s = RunCommand(
            {Runfile("agent/enlist-agent"), "status", "--config", config, "--format", "json"},
            &status);
        size_t at = status.find("\"host_id\":\"");
        if (!s.ok() || *s != 0 || at == std::string::npos) return "";
        return status.substr(at + 11, 36);
      }
      errors->push_back(out);
    }
    return "";
  }

  // Joins `a` directly (no proxy) with a ClientInit claiming kForgedAddr as
  // proxy_remote_addr, then gives up after the server's first answer; with
  // `admin_cert` the client presents the cluster-CA admin certificate (not
  // a proxy one). Returns the stream's status message.
  std::string ForgedDirectJoin(const Auth& a, const std::string& host_name, bool admin_cert) {
    // <data_dir>/admin/ (auth/server.h): the cluster CA and an admin identity.
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = ReadFileCapped(a.dir + "/admin/ca.crt", 1 << 16).value_or("");
    if (admin_cert) {
      ssl.pem_cert_chain = ReadFileCapped(a.dir + "/admin/admin.crt", 1 << 16).value_or("");
      ssl.pem_private_key = ReadFileCapped(a.dir + "/admin/admin.key", 1 << 16).value_or("");
    }
    auto stub =
        join::v1::JoinService::NewStub(grpc::CreateChannel(a.address, grpc::SslCredentials(ssl)));
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
    auto stream = stub->Join(&ctx);
    join::v1::JoinRequest init;
    init.mutable_init()->set_join_method("token");
    init.mutable_init()->set_token_name("boot");
    init.mutable_init()->set_role("Node");
    init.mutable_init()->mutable_host()->set_host_name(host_name);
    // Any well-formed key: the join never gets as far as certifying it.
    init.mutable_init()->mutable_host()->set_ssh_public_key(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9kE9a+8Y4OYpx5BkYqfWGcWlxu7iAijJtgsjAwyMlf forged");
    init.mutable_init()->set_proxy_remote_addr(kForgedAddr);
    EXPECT_TRUE(stream->Write(init));
    stream->WritesDone();
    join::v1::JoinResponse resp;
    while (stream->Read(&resp)) {
    }
    grpc::Status s = stream->Finish();
    return absl::StrCat(s.error_code(), ": ", s.error_message());
  }

  std::string root_;
  std::unique_ptr<storage::EtcdTestCluster> etcd_;
  Auth auth_[2];
  std::unique_ptr<Subprocess> proxy_;
  std::string proxy_address_;
};

TEST_F(HaE2eTest, TwoAuthServersBehindAProxySurviveFailures) {
  // Both servers start at once: exactly one CA.
  StartAuth(auth_[0], 0);
  StartAuth(auth_[1], 1);
  AwaitAuth(auth_[0]);
  AwaitAuth(auth_[1]);
  ASSERT_THAT(auth_[0].pin, ::testing::StartsWith("sha256:"));
  EXPECT_EQ(auth_[0].pin, auth_[1].pin);
  const std::string both = auth_[0].process->Output() + auth_[1].process->Output();
  EXPECT_EQ(absl::StrContains(both, "ca=created"), true) << both;

  // A token created through one server is usable through the other.
  ASSERT_TRUE(WriteFileAtomic(root_ + "/tokens.yaml",
                              absl::StrCat("kind: token\nversion: v2\nmetadata: {name: boot}\n"
                                           "spec: {roles: [Node], join_method: token, token: "
                                           "{secret: ",
                                           kSecret, "}}\n"))
                  .ok());
  std::string out;
  auto rc = RunCommand({Runfile("tools/enlistctl/enlistctl"), "--data-dir", auth_[0].dir, "create",
                        "-f", root_ + "/tokens.yaml"},
                       &out);
  ASSERT_TRUE(rc.ok() && *rc == 0) << out;

  auto p =
      Subprocess::Start({Runfile("tools/proxy/enlist-proxy"), "--listen-addr", "127.0.0.1:0",
                         "--auth-servers", absl::StrCat(auth_[0].address, ",", auth_[1].address),
                         "--identity-dir", auth_[0].dir + "/proxy"},
                        root_ + "/proxy.log");
  ASSERT_TRUE(p.ok()) << p.status();
  proxy_ = std::make_unique<Subprocess>(*std::move(p));
  ASSERT_TRUE(WaitFor([&] { return absl::StrContains(proxy_->Output(), "Proxy started"); },
                      absl::Seconds(20)))
      << proxy_->Output();
  proxy_address_ = Field(proxy_->Output(), "Proxy started", "listen_addr");

  constexpr int kAgents = 8;
  std::vector<std::string> ids(kAgents), errors;
  // Wave 1: four agents join at once; auth server #1 is killed as soon as
  // the first of them is under way (its keys exist), so some streams die
  // in flight and must fail retryably, then succeed on the next attempt.
  {
    std::vector<std::vector<std::string>> errs(4);
    std::vector<std::thread> agents;
    for (int n = 0; n < 4; ++n) {
      agents.emplace_back([&, n] { ids[n] = JoinAgent(n, 3, &errs[n]); });
    }
    EXPECT_TRUE(WaitFor(
        [&] {
          for (int n = 0; n < 4; ++n) {
            if (ReadFileCapped(absl::StrCat(root_, "/vm", n, "/tls_key.pem"), 1 << 16).ok()) {
              return true;
            }
          }
          return false;
        },
        absl::Seconds(20)));
    auth_[0].process->Signal(SIGKILL);
    for (std::thread& t : agents) t.join();
    for (const auto& e : errs) errors.insert(errors.end(), e.begin(), e.end());
  }
  // Wave 2: one at a time while an etcd member dies.
  for (int n = 4; n < kAgents; ++n) {
    if (n == 6) etcd_->Kill(0);
    ids[n] = JoinAgent(n, 3, &errors);
  }
  for (int n = 0; n < kAgents; ++n) {
    ASSERT_FALSE(ids[n].empty()) << "agent " << n << ": " << absl::StrJoin(errors, "\n---\n")
                                 << "\nproxy:\n"
                                 << proxy_->Output() << "\nauth1:\n"
                                 << auth_[1].process->Output();
  }
  // Every failed attempt ended as retryable ("no attempts left" with
  // --max-attempts 1), never as final.
  for (const std::string& e : errors) {
    EXPECT_THAT(e, HasSubstr("msg=\"Join failed, no attempts left.\"")) << e;
    EXPECT_THAT(e, ::testing::Not(HasSubstr("retrying cannot fix"))) << e;
  }
  // Failed attempts were retryable (the agent says so), never denials.
  for (const std::string& e : errors)
    EXPECT_THAT(e, ::testing::Not(HasSubstr("PERMISSION_DENIED")));
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());

  // The surviving server sees every host, once.
  rc = RunCommand({Runfile("tools/enlistctl/enlistctl"), "--data-dir", auth_[1].dir, "get", "hosts",
                   "--format", "json"},
                  &out);
  ASSERT_TRUE(rc.ok() && *rc == 0) << out;
  for (const std::string& id : ids) {
    size_t first = out.find(id);
    EXPECT_NE(first, std::string::npos) << id;
    EXPECT_EQ(out.find(absl::StrCat("\"", id, "\""), first + id.size() + 1), std::string::npos)
        << "host " << id << " listed twice";
  }
  EXPECT_THAT(auth_[1].process->Output(), ::testing::Not(HasSubstr("level=ERROR")));

  // Direct connections claiming an address: one without a client
  // certificate, one with the cluster's admin certificate (from the CA, but
  // not a proxy). Both are refused for lack of a solution, and recorded.
  EXPECT_THAT(ForgedDirectJoin(auth_[1], "forged-anonymous", false),
              ::testing::Not(HasSubstr("0: ")));
  EXPECT_THAT(ForgedDirectJoin(auth_[1], "forged-admin", true), ::testing::Not(HasSubstr("0: ")));

  // The audit log (shared through etcd, read from the survivor).
  rc = RunCommand({Runfile("tools/enlistctl/enlistctl"), "--data-dir", auth_[1].dir, "get",
                   "events", "--format", "json", "--limit", "1000"},
                  &out);
  ASSERT_TRUE(rc.ok() && *rc == 0) << out;
  std::vector<Event> events = ParseEvents(out);
  const std::set<std::string> stamped = StampedByProxy(proxy_->Output());
  // (a) Every join through the proxy carries the agent's address as the
  // proxy saw and stamped it (not the proxy's own connection).
  int joined = 0;
  for (const Event& e : events) {
    if (e.result != "joined") continue;
    ++joined;
    EXPECT_TRUE(absl::StartsWith(e.host_name, "vm")) << e.host_name;
    EXPECT_TRUE(stamped.count(e.remote_addr)) << e.host_name << " recorded from " << e.remote_addr
                                              << "; proxy stamped: " << absl::StrJoin(stamped, ",");
  }
  EXPECT_EQ(joined, kAgents);
  EXPECT_EQ(stamped.size(), static_cast<size_t>(kAgents)) << proxy_->Output();
  // (b) The forged address is never believed from a direct peer.
  int forged = 0;
  for (const Event& e : events) {
    if (!absl::StartsWith(e.host_name, "forged-")) continue;
    ++forged;
    EXPECT_EQ(e.result, "denied");
    EXPECT_TRUE(absl::StartsWith(e.remote_addr, "127.0.0.1:")) << e.remote_addr;
    EXPECT_EQ(stamped.count(e.remote_addr), 0u) << e.remote_addr;
  }
  EXPECT_EQ(forged, 2) << out;
  EXPECT_THAT(out, ::testing::Not(HasSubstr(kForgedAddr)));
  EXPECT_THAT(auth_[1].process->Output(), ::testing::Not(HasSubstr(kForgedAddr)));

  proxy_->Signal(SIGTERM);
  EXPECT_TRUE(proxy_->Wait(absl::Seconds(15)).ok());
  auth_[1].process->Signal(SIGTERM);
  EXPECT_TRUE(auth_[1].process->Wait(absl::Seconds(15)).ok());
}

}  // namespace
}  // namespace enlist::proxy
