// Example (a): a service that runs its own gRPC server with its own "hello"
// service and Enlist's join service on the same port and TLS credentials.
// The hello service admits only joined hosts (role Node), identified by
// the certificate Enlist issued them. It registers one join method of its
// own (tools/examples/methods/, "passphrase") next to the built-in ones.
//
//   hello_server --data-dir DIR [--listen-addr 127.0.0.1:0] [--tokens FILE]
//
// Prints "hello-server listening port=<port> ca_pin=<pin>" once serving;
// stops on SIGTERM/SIGINT.
#include <signal.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "auth/public/builtin_methods.h"
#include "auth/public/join_server.h"
#include "auth/public/peer_identity.h"
#include "core/util/cli_args.h"
#include "grpcpp/grpcpp.h"
#include "tools/examples/hello.grpc.pb.h"
#include "tools/examples/methods/passphrase_auth.h"

ABSL_FLAG(std::string, data_dir, "", "where the cluster CA and the SQLite database live");
ABSL_FLAG(std::string, listen_addr, "127.0.0.1:0", "host:port to serve on; port 0 lets the OS choose");
ABSL_FLAG(std::string, tokens, "", "YAML file of join tokens to load at start");

namespace {

using enlist::examples::hello::v1::HelloReply;
using enlist::examples::hello::v1::HelloRequest;

grpc::Status ToGrpc(const absl::Status& s) {
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

// The service's own API. Authorisation comes from the issued certificate.
class HelloService final : public enlist::examples::hello::v1::Hello::Service {
 public:
  grpc::Status SayHello(grpc::ServerContext* ctx, const HelloRequest* req, HelloReply* reply) override {
    absl::StatusOr<enlist::auth::HostPeer> peer = enlist::auth::HostPeerFromContext(*ctx);
    if (!peer.ok()) return ToGrpc(peer.status());
    if (peer->role != "Node") {
      return ToGrpc(absl::PermissionDeniedError(
          absl::StrCat("hello: role \"", peer->role, "\" may not say hello (want Node)")));
    }
    reply->set_message(absl::StrCat("hello ", req->name(), ", host ", peer->host_id, " (role ",
                                    peer->role, ", joined via ", peer->join_method, ", token ",
                                    peer->token_name, ")"));
    reply->set_host_id(peer->host_id);
    reply->set_role(peer->role);
    reply->set_join_method(peer->join_method);
    return grpc::Status::OK;
  }
};

int Fail(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "hello-server: %s: %s\n", what.c_str(), std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Flags are spelled with dashes, as in Enlist's programs.
  std::vector<std::string> storage;
  std::vector<char*> args = enlist::NormalizeFlags(argc, argv, &storage);
  absl::ParseCommandLine(static_cast<int>(args.size()), args.data());
  if (absl::GetFlag(FLAGS_data_dir).empty()) {
    std::fprintf(stderr, "hello-server: --data-dir is required\n");
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  enlist::log::Logger logger;
  // Enlist's methods plus the program's own.
  enlist::join::AuthRegistry methods;
  if (absl::Status s = enlist::auth::RegisterBuiltinAuthMethods(methods); !s.ok()) {
    return Fail("methods", s);
  }
  if (absl::Status s = enlist::examples::RegisterPassphraseAuth(methods); !s.ok()) {
    return Fail("methods", s);
  }

  enlist::auth::AuthConfig config;
  config.cluster_name = "hello";
  config.data_dir = absl::GetFlag(FLAGS_data_dir);
  enlist::auth::JoinServerDeps deps;
  deps.methods = &methods;
  deps.logger = &logger;
  absl::StatusOr<std::unique_ptr<enlist::auth::JoinServer>> join =
      enlist::auth::JoinServer::Create(config, deps);
  if (!join.ok()) return Fail("join server", join.status());

  if (!absl::GetFlag(FLAGS_tokens).empty()) {
    std::FILE* f = std::fopen(absl::GetFlag(FLAGS_tokens).c_str(), "rb");
    if (f == nullptr) return Fail("tokens", absl::NotFoundError("cannot open the file"));
    std::string yaml;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), f)) > 0;) yaml.append(buf, n);
    std::fclose(f);
    if (absl::Status s = (*join)->PutTokens(yaml, absl::GetFlag(FLAGS_tokens)); !s.ok()) {
      return Fail("tokens", s);
    }
  }

  // One builder, one port, one set of TLS credentials for both services.
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = (*join)->ServerCredentials({});
  if (!creds.ok()) return Fail("credentials", creds.status());
  HelloService hello;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen_addr), *creds, &port);
  builder.RegisterService(&hello);
  (*join)->Register(builder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    return Fail("listen", absl::UnavailableError(absl::GetFlag(FLAGS_listen_addr)));
  }
  std::printf("hello-server listening port=%d ca_pin=%s\n", port, (*join)->ca_pin().c_str());
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop, &sig);
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  server->Wait();
  (*join)->Shutdown();
  std::printf("hello-server stopped\n");
  return 0;
}
