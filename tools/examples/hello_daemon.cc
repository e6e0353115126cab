// Example (b): a daemon that embeds Enlist's agent half. It joins the
// cluster through hello_server's join service, then calls the hello service
// on the same port with mutual TLS, presenting the certificate it was
// issued. It registers its own join method ("passphrase") next to the
// built-in ones.
//
//   hello_daemon --server 127.0.0.1:PORT --ca-pin sha256:... --data-dir DIR
//                --join-method token --token boot --secret S
//   hello_daemon ... --join-method passphrase --token pass --word W
//   hello_daemon ... --skip-join      # call hello without an identity
//
// Exit codes: 0 said hello, 1 join failed, 2 usage or setup error,
// 3 the hello call was refused.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agent/public/agent.h"
#include "agent/public/builtin_methods.h"
#include "agent/public/dial.h"
#include "agent/public/join_client.h"
#include "core/util/cli_args.h"
#include "grpcpp/grpcpp.h"
#include "tools/examples/hello.grpc.pb.h"
#include "tools/examples/methods/passphrase_agent.h"

ABSL_FLAG(std::string, server, "", "host:port of hello_server");
ABSL_FLAG(std::string, ca_pin, "", "sha256:<hex> of the cluster CA");
ABSL_FLAG(std::string, data_dir, "", "where the host keys and the CA cache live");
ABSL_FLAG(std::string, join_method, "token", "token or passphrase");
ABSL_FLAG(std::string, token, "", "join token name");
ABSL_FLAG(std::string, secret, "", "the token method's secret");
ABSL_FLAG(std::string, word, "", "the passphrase method's word");
ABSL_FLAG(std::string, name, "daemon", "name to greet");
ABSL_FLAG(bool, skip_join, false, "call hello without joining (expected to be refused)");

namespace {

int Fail(int code, const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "hello-daemon: %s: %s: %s\n", what.c_str(),
               absl::StatusCodeToString(s.code()).c_str(), std::string(s.message()).c_str());
  return code;
}

// Calls SayHello over `channel`; 0 on success, 3 when refused.
int SayHello(const std::shared_ptr<grpc::Channel>& channel) {
  auto stub = enlist::examples::hello::v1::Hello::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  enlist::examples::hello::v1::HelloRequest req;
  req.set_name(absl::GetFlag(FLAGS_name));
  enlist::examples::hello::v1::HelloReply reply;
  grpc::Status s = stub->SayHello(&ctx, req, &reply);
  if (!s.ok()) {
    return Fail(3, "hello", absl::Status(static_cast<absl::StatusCode>(s.error_code()), s.error_message()));
  }
  std::printf("reply: %s\n", reply.message().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Flags are spelled with dashes, as in Enlist's programs.
  std::vector<std::string> storage;
  std::vector<char*> args = enlist::NormalizeFlags(argc, argv, &storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  using namespace enlist::agent;  // NOLINT: a short example
  const std::string server = absl::GetFlag(FLAGS_server);
  if (server.empty() || absl::GetFlag(FLAGS_data_dir).empty()) {
    std::fprintf(stderr, "hello-daemon: --server and --data-dir are required\n");
    return 2;
  }

  // The pinned channel to the join service (the pin is checked on the
  // first handshake, then the CA is cached in the data directory).
  ServerTrustOptions trust;
  trust.server = server;
  trust.ca_pins = {absl::GetFlag(FLAGS_ca_pin)};
  trust.data_dir = absl::GetFlag(FLAGS_data_dir);
  absl::StatusOr<std::shared_ptr<grpc::Channel>> channel =
      DialAuthServer(trust, absl::Now() + absl::Seconds(20));
  if (!channel.ok()) return Fail(2, "dial", channel.status());
  if (absl::GetFlag(FLAGS_skip_join)) return SayHello(*channel);

  // Enlist's methods plus the daemon's own.
  enlist::join::AgentRegistry methods;
  if (absl::Status s = RegisterBuiltinAgentMethods(methods); !s.ok()) return Fail(2, "methods", s);
  if (absl::Status s = enlist::examples::RegisterPassphraseAgent(methods); !s.ok()) {
    return Fail(2, "methods", s);
  }
  absl::StatusOr<HostKeys> keys = LoadOrCreateHostKeys(trust.data_dir, TlsKeyType::kEcdsaP256);
  if (!keys.ok()) return Fail(2, "keys", keys.status());
  auto shared_keys = std::make_shared<HostKeys>(*std::move(keys));

  JoinClientOptions options;
  options.server = server;
  options.timeout = absl::Seconds(30);
  absl::StatusOr<std::unique_ptr<JoinClient>> client =
      JoinClient::Create(*channel, &methods, shared_keys, options);
  if (!client.ok()) return Fail(2, "join client", client.status());

  JoinParams params;
  params.join_method = absl::GetFlag(FLAGS_join_method);
  params.token_name = absl::GetFlag(FLAGS_token);
  params.host_name = "hello-daemon";
  const std::string yaml = params.join_method == "passphrase"
                               ? absl::StrCat("word: \"", absl::GetFlag(FLAGS_word), "\"")
                               : absl::StrCat("secret: \"", absl::GetFlag(FLAGS_secret), "\"");
  absl::StatusOr<enlist::config::YamlNode> method_params =
      enlist::config::YamlNode::ParseOne(yaml, "--secret/--word");
  if (!method_params.ok()) return Fail(2, "join params", method_params.status());
  params.method_params = *std::move(method_params);

  // Asynchronous: the callback reports; Wait() is the future.
  absl::StatusOr<std::shared_ptr<JoinCall>> call =
      (*client)->Start(params, [](const absl::StatusOr<Identity>& id) {
        if (id.ok()) std::printf("joined host_id=%s\n", id->host_id().c_str());
      });
  if (!call.ok()) return Fail(2, "join", call.status());
  absl::StatusOr<Identity> identity = (*call)->Wait();
  if (!identity.ok()) return Fail(1, "join", identity.status());

  // Mutual TLS with the issued certificate, on the same port.
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      IdentityChannelCredentials(*identity, *shared_keys);
  if (!creds.ok()) return Fail(2, "credentials", creds.status());
  return SayHello(grpc::CreateChannel(server, *creds));
}
