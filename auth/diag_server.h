// The diagnostics listener of enlist-auth (plain HTTP, meant for loopback or
// a private network): /healthz, /readyz and Prometheus /metrics.
#ifndef ENLIST_AUTH_DIAG_SERVER_H_
#define ENLIST_AUTH_DIAG_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "core/metrics/metrics.h"

namespace httplib {
class Server;
}

namespace enlist::auth {

class DiagServer {
 public:
  // Serves on `addr` ("host:port", port 0 picks one). `metrics` outlives the
  // server; `ready` says whether the service can take joins (its message is
  // returned with 503 otherwise). kUnavailable if the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<DiagServer>> Start(const std::string& addr,
                                                           const metrics::Registry* metrics,
                                                           std::function<absl::Status()> ready);
  // Stops and joins the serving thread.
  ~DiagServer();
  int port() const { return port_; }

 private:
  DiagServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace enlist::auth

#endif  // ENLIST_AUTH_DIAG_SERVER_H_
