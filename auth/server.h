// enlist-auth as a library: the join service (every registered method) and
// the admin service on one TLS port, the cluster CA, SQLite storage and the
// audit log. Built on the public embedding API (auth/public/join_server.h)
// and re-exported as public API by auth/public/auth_server.h. `enlist-auth`
// is a thin main over this.
#ifndef ENLIST_AUTH_SERVER_H_
#define ENLIST_AUTH_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/config.h"
#include "core/join/registry.h"
#include "core/log/logger.h"
#include "core/util/clock.h"

namespace enlist::auth {

// Files in <data_dir>/admin/ written at start for local administration.
inline constexpr char kAdminDir[] = "admin";
inline constexpr char kAdminCertFile[] = "admin.crt";
inline constexpr char kAdminKeyFile[] = "admin.key";
inline constexpr char kAdminCaFile[] = "ca.crt";
inline constexpr char kAdminServerFile[] = "server";  // "host:port" being served

class AuthServer {
 public:
  // Starts serving. `methods` and `logger` must outlive the server. Creates
  // the data directory, CA, database and admin identity on first start.
  // kUnavailable when the port cannot be bound or storage cannot be opened.
  static absl::StatusOr<std::unique_ptr<AuthServer>> Start(const AuthConfig& config,
                                                           const join::AuthRegistry* methods,
                                                           log::Logger* logger,
                                                           const Clock* clock = &RealClock::Get());
  ~AuthServer();

  // The bound port (useful with listen_addr "127.0.0.1:0").
  int port() const;
  // "sha256:<hex>" of the cluster CA's public key.
  const std::string& ca_pin() const;
  // Stops accepting, lets in-flight joins finish for up to `grace`, then
  // cancels the rest. Idempotent.
  void Shutdown(absl::Duration grace);

  class Impl;

 private:
  explicit AuthServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_SERVER_H_
