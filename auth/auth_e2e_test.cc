// End to end: the real enlist-auth binary on 127.0.0.1 (port chosen by the
// OS), administered with the real enlistctl, joined over TLS, its output
// checked by openssl and ssh-keygen, then restarted.
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/join_client.h"
#include "auth/ca/ssh_cert.h"
#include "auth/ca/x509_issuer.h"
#include "core/crypto/cert.h"
#include "core/http/curl_http_client.h"
#include "core/join/registry.h"
#include "core/testing/subprocess.h"
#include "core/util/file.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "methods/token/agent/token_solver.h"
#include "proto/join/v1/join.grpc.pb.h"

namespace enlist {
namespace {

using ::testing::HasSubstr;
using testing::RunCommand;
using testing::Runfile;
using testing::Subprocess;

constexpr char kTokens[] = R"(kind: token
version: v2
metadata:
  name: bootstrap
spec:
  roles: [Node]
  join_method: token
  token:
    secret: e2e-secret-0123456789abcdef
)";

class AuthE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::string(std::getenv("TEST_TMPDIR")) + "/" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    ASSERT_TRUE(MakeDirs(dir_).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/auth.yaml",
                                "version: v1\ncluster_name: e2e\nlisten_addr: 127.0.0.1:0\n"
                                "diag_addr: 127.0.0.1:0\n"
                                "data_dir: " + dir_ + "/data\nlimits: {max_concurrent_joins: 4}\n")
                    .ok());
    StartAuth();
  }

  void StartAuth() {
    ::unlink((dir_ + "/data/admin/server").c_str());
    auto p = Subprocess::Start({Runfile("auth/enlist-auth"), "--config=" + dir_ + "/auth.yaml"},
                               dir_ + "/auth.log");
    ASSERT_TRUE(p.ok()) << p.status();
    auth_.emplace(*std::move(p));
    ASSERT_TRUE(testing::WaitFor(
        [&] { return ReadFileCapped(dir_ + "/data/admin/server", 100).ok(); }, absl::Seconds(20)))
        << auth_->Output();
    server_ = std::string(absl::StripAsciiWhitespace(*ReadFileCapped(dir_ + "/data/admin/server", 100)));
  }

  void StopAuth() {
    auth_->Signal(SIGTERM);
    auto rc = auth_->Wait(absl::Seconds(20));
    ASSERT_TRUE(rc.ok());
    EXPECT_EQ(*rc, 0) << auth_->Output();
  }

  // Runs enlistctl; returns its exit code.
  int Ctl(std::vector<std::string> args, std::string* out, const std::string& stdin_data = "") {
    args.insert(args.begin(), {Runfile("tools/enlistctl/enlistctl"), "--data-dir=" + dir_ + "/data"});
    auto rc = RunCommand(args, out, absl::Seconds(30), stdin_data);
    return rc.ok() ? *rc : -1;
  }

  std::shared_ptr<grpc::Channel> Channel() {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = *ReadFileCapped(dir_ + "/data/admin/ca.crt", 65536);
    return grpc::CreateChannel(server_, grpc::SslCredentials(o));
  }

  absl::StatusOr<enlist::join::v1::Result> Join(const std::string& token, const std::string& secret,
                                                size_t pad_ssh_key = 0) {
    join::AgentRegistry reg;
    EXPECT_TRUE(token_method::RegisterTokenAgent(reg).ok());
    join::SolverOptions so;
    so.join_params = *config::YamlNode::ParseOne("secret: " + secret + "\n", "agent");
    auto solver = *(*reg.Get("token"))->NewSolver(so);
    tls_key_ = *ca::GenerateP256Key();
    ssh_key_ = *ca::GenerateEd25519Key();
    enlist::join::v1::ClientInit init;
    init.set_join_method("token");
    init.set_token_name(token);
    init.set_role("Node");
    init.mutable_host()->set_host_name("vm-e2e");
    init.mutable_host()->set_tls_public_key(*ca::PublicKeyDer(*tls_key_));
    init.mutable_host()->set_ssh_public_key(*ca::SshPublicKeyLine(*ssh_key_, "vm-e2e") +
                                            std::string(pad_ssh_key, 'x'));
    return agent::RunJoin(Channel(), init, solver.get(), absl::Seconds(20));
  }

  std::string dir_, server_;
  std::optional<Subprocess> auth_;
  crypto::EvpPkeyPtr tls_key_, ssh_key_;
};

TEST_F(AuthE2eTest, TokenLifecycleJoinAndRestart) {
  std::string out;
  ASSERT_EQ(Ctl({"create", "-f", "-"}, &out, kTokens), 0) << out;
  EXPECT_THAT(out, HasSubstr("token \"bootstrap\" has been created"));
  ASSERT_EQ(Ctl({"get", "tokens"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("bootstrap"));
  ASSERT_EQ(Ctl({"get", "token", "bootstrap"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("secret_sha256"));
  EXPECT_THAT(out, ::testing::Not(HasSubstr("e2e-secret")));
  ASSERT_EQ(Ctl({"status", "--format=json"}, &out), 0) << out;
  std::string pin = out.substr(out.find("sha256:"), 71);

  // Join; check the identity with the real tools.
  auto r = Join("bootstrap", "e2e-secret-0123456789abcdef");
  ASSERT_TRUE(r.ok()) << r.status() << auth_->Output();
  ASSERT_EQ(r->tls_cert_chain_size(), 1);
  auto cert = crypto::ParseCertificateDer(r->tls_cert_chain(0));
  auto ca = crypto::ParseCertificateDer(r->tls_ca_certs(0));
  ASSERT_TRUE(cert.ok() && ca.ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/host.pem", *ca::CertificatePem(**cert)).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/ca.pem", *ca::CertificatePem(**ca)).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/host-cert.pub", r->ssh_host_cert() + "\n").ok());
  ASSERT_EQ(*RunCommand({"/usr/bin/openssl", "verify", "-CAfile", dir_ + "/ca.pem", dir_ + "/host.pem"}, &out), 0) << out;
  ASSERT_EQ(*RunCommand({"/usr/bin/ssh-keygen", "-L", "-f", dir_ + "/host-cert.pub"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("host certificate"));
  EXPECT_THAT(out, HasSubstr(r->host_id()));

  ASSERT_EQ(Ctl({"get", "hosts"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(r->host_id()));
  EXPECT_THAT(out, HasSubstr("vm-e2e"));

  // Denied joins are audited with their reason; the agent sees the safe one.
  auto denied = Join("nope", "e2e-secret-0123456789abcdef");
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(denied.status().message(),
            "join: token \"nope\" is unknown, expired, or not for join method \"token\"");
  ASSERT_EQ(Ctl({"get", "events"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr("joined"));
  EXPECT_THAT(out, HasSubstr("token not found"));
  EXPECT_THAT(auth_->Output(), HasSubstr("msg=\"Failure to join cluster occurred\" error=\"token not found\""));

  // Diagnostics: health, readiness and the join counters.
  std::string log = auth_->Output();
  const std::string key = "msg=\"Diagnostics listening\" diag_addr=";
  size_t at = log.find(key);
  ASSERT_NE(at, std::string::npos) << log;
  at += key.size();
  std::string diag = log.substr(at, log.find('\n', at) - at);
  http::CurlHttpClient client;
  http::HttpRequest get;
  get.url = "http://" + diag + "/healthz";
  auto health = client.Get(get);
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200);
  get.url = "http://" + diag + "/readyz";
  EXPECT_EQ(client.Get(get)->status, 200);
  get.url = "http://" + diag + "/metrics";
  auto metrics = client.Get(get);
  ASSERT_TRUE(metrics.ok());
  EXPECT_THAT(metrics->body, HasSubstr("enlist_join_attempts_total{method=\"token\",result=\"ok\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("enlist_join_attempts_total{method=\"token\",result=\"permission_denied\"} 1"));
  EXPECT_THAT(metrics->body, HasSubstr("enlist_join_streams_open 0"));

  // Restart: tokens, CA, hosts and events survive; the pin is unchanged.
  StopAuth();
  StartAuth();
  ASSERT_EQ(Ctl({"status", "--format=json"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(pin));
  EXPECT_THAT(out, HasSubstr("\"tokens\":1"));
  EXPECT_THAT(out, HasSubstr("\"hosts\":1"));
  ASSERT_EQ(Ctl({"get", "events", "--format=json"}, &out), 0) << out;
  EXPECT_THAT(out, HasSubstr(r->host_id()));
  EXPECT_TRUE(Join("bootstrap", "e2e-secret-0123456789abcdef").ok());
}

TEST_F(AuthE2eTest, BadInputChangesNothing) {
  std::string out;
  ASSERT_EQ(Ctl({"create", "-f", "-"}, &out, kTokens), 0) << out;
  // Bad YAML: precise error, nothing stored.
  ASSERT_TRUE(WriteFileAtomic(dir_ + "/bad.yaml",
                              std::string(kTokens) + "---\nkind: token\nversion: v2\nmetadata: {name: second}\n"
                              "spec: {roles: [Node], join_method: token, tokn: {}}\n").ok());
  EXPECT_EQ(Ctl({"create", "-f", dir_ + "/bad.yaml", "--force"}, &out), 1);
  EXPECT_THAT(out, HasSubstr(dir_ + "/bad.yaml:14:"));
  EXPECT_THAT(out, HasSubstr("spec.tokn: unknown field"));
  EXPECT_EQ(Ctl({"create", "-f", "-"}, &out, kTokens), 1);
  EXPECT_THAT(out, HasSubstr("token \"bootstrap\" already exists (use --force to overwrite)"));
  ASSERT_EQ(Ctl({"get", "tokens", "--format=json"}, &out), 0);
  EXPECT_THAT(out, ::testing::Not(HasSubstr("second")));

  // A host identity is not an admin identity.
  auto r = Join("bootstrap", "e2e-secret-0123456789abcdef");
  ASSERT_TRUE(r.ok()) << r.status();
  std::string id = dir_ + "/not-admin";
  ASSERT_TRUE(MakeDirs(id).ok());
  ASSERT_TRUE(WriteFileAtomic(id + "/admin.crt", *ca::CertificatePem(**crypto::ParseCertificateDer(r->tls_cert_chain(0)))).ok());
  ASSERT_TRUE(WriteFileAtomic(id + "/admin.key", *ca::PrivateKeyPem(*tls_key_)).ok());
  ASSERT_TRUE(WriteFileAtomic(id + "/ca.crt", *ReadFileCapped(dir_ + "/data/admin/ca.crt", 65536)).ok());
  ASSERT_TRUE(WriteFileAtomic(id + "/server", server_).ok());
  EXPECT_EQ(Ctl({"--identity=" + id, "rm", "token", "bootstrap"}, &out), 1);
  EXPECT_THAT(out, HasSubstr("admin: client certificate is not an admin identity"));
  ASSERT_EQ(Ctl({"get", "token", "bootstrap"}, &out), 0) << out;

  // Oversized messages are refused by the transport.
  auto big = Join("bootstrap", "e2e-secret-0123456789abcdef", 300 * 1024);
  EXPECT_EQ(big.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(big.status().message()), HasSubstr("larger than max"));

  // A flood of silent streams is bounded by max_concurrent_joins.
  auto stub = enlist::join::v1::JoinService::NewStub(Channel());
  std::vector<std::unique_ptr<grpc::ClientContext>> ctxs;
  std::vector<std::unique_ptr<grpc::ClientReaderWriter<enlist::join::v1::JoinRequest, enlist::join::v1::JoinResponse>>> streams;
  for (int i = 0; i < 4; ++i) {
    ctxs.push_back(std::make_unique<grpc::ClientContext>());
    streams.push_back(stub->Join(ctxs.back().get()));
    enlist::join::v1::JoinRequest init;
    init.mutable_init()->set_join_method("token");
    init.mutable_init()->set_token_name("bootstrap");
    init.mutable_init()->set_role("Node");
    init.mutable_init()->mutable_host()->set_ssh_public_key("x");
    ASSERT_TRUE(streams.back()->Write(init));
    enlist::join::v1::JoinResponse resp;
    ASSERT_TRUE(streams.back()->Read(&resp));
  }
  auto refused = Join("bootstrap", "e2e-secret-0123456789abcdef");
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(refused.status().message(), "join: too many concurrent joins, retry later");
  for (auto& c : ctxs) c->TryCancel();
  for (auto& s : streams) s->Finish();
  ASSERT_TRUE(testing::WaitFor([&] { return Join("bootstrap", "e2e-secret-0123456789abcdef").ok(); },
                               absl::Seconds(10)));
}

}  // namespace
}  // namespace enlist
