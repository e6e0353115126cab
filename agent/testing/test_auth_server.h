// A real auth side for agent tests: JoinService + ClusterCa + CaHostIssuer +
// an in-memory token store with the `token` method's checker, serving gRPC
// over TLS on 127.0.0.1. The server presents a leaf issued by the cluster CA
// (SANs 127.0.0.1 and localhost) followed by the CA certificate, as
// `enlist-auth` does. Test-only: it links a checker.
#ifndef ENLIST_AGENT_TESTING_TEST_AUTH_SERVER_H_
#define ENLIST_AGENT_TESTING_TEST_AUTH_SERVER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/ca/cluster_ca.h"
#include "auth/ca/host_issuer.h"
#include "auth/join_service.h"
#include "core/join/registry.h"
#include "core/token/token_store.h"
#include "core/util/clock.h"
#include "core/util/thread_pool.h"
#include "grpcpp/server.h"

namespace enlist::agent::testing {

// The secret of the tokens below.
inline constexpr char kTestSecret[] = "correct-horse-battery-staple";

// Tokens served by default: "boot" (role Node, method token, secret
// kTestSecret) and "proxy-only" (role Proxy: a Node join is denied).
extern const char kTestTokens[];

struct TestAuthServerOptions {
  // Lifetime of issued certificates.
  absl::Duration ttl = absl::Hours(1);
  // Whether a renewing agent keeps its host id (the issuer's policy).
  bool keep_host_id = true;
  // When not OK, every renewal (a join with previous_host_id) fails with it.
  absl::Status renewal_error;
  // Port on 127.0.0.1; 0 lets the OS choose.
  int port = 0;
  // Token YAML documents.
  std::string tokens = kTestTokens;
  // The issuer's clock (certificate validity); outlives the server.
  const Clock* clock = &RealClock::Get();
};

class TestAuthServer {
 public:
  // Starts a server whose cluster CA lives in `ca_dir` (created on first
  // use, reused afterwards: a restarted server keeps its CA and pin).
  static absl::StatusOr<std::unique_ptr<TestAuthServer>> Start(const std::string& ca_dir,
                                                               TestAuthServerOptions options = {});
  ~TestAuthServer();

  int port() const { return port_; }
  // "127.0.0.1:<port>".
  std::string address() const;
  // The CA pin agents configure.
  const std::string& pin() const { return ca_->pin(); }
  const ca::ClusterCa& ca() const { return *ca_; }
  // Identities issued so far.
  int issued() const { return issued_.load(); }
  // Stops serving (idempotent).
  void Shutdown();

 private:
  TestAuthServer() = default;

  TestAuthServerOptions options_;
  std::unique_ptr<ca::ClusterCa> ca_;
  std::unique_ptr<ca::CaHostIssuer> issuer_;
  join::AuthRegistry methods_;
  std::map<std::string, std::shared_ptr<join::Checker>> checkers_;
  std::unique_ptr<token::MemoryTokenStore> tokens_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<auth::JoinService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::atomic<int> issued_{0};
  int port_ = 0;
};

// Binds a TCP socket to 127.0.0.1 on an OS-chosen port without listening,
// so connections to it are refused until it is released. For "server not up
// yet" tests: start a TestAuthServer on port() after Release().
class ReservedPort {
 public:
  static absl::StatusOr<std::unique_ptr<ReservedPort>> Bind();
  ~ReservedPort();
  int port() const { return port_; }
  // Closes the socket (idempotent).
  void Release();

 private:
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace enlist::agent::testing

#endif  // ENLIST_AGENT_TESTING_TEST_AUTH_SERVER_H_
