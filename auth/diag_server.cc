#include "auth/diag_server.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "httplib.h"

namespace enlist::auth {

absl::StatusOr<std::unique_ptr<DiagServer>> DiagServer::Start(const std::string& addr,
                                                              const metrics::Registry* metrics,
                                                              std::function<absl::Status()> ready) {
  size_t colon = addr.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(addr.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("diag_addr: \"", addr, "\" is not host:port"));
  }
  std::string host = addr.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto d = std::unique_ptr<DiagServer>(new DiagServer());
  d->server_ = std::make_unique<httplib::Server>();
  httplib::Server& s = *d->server_;
  s.set_read_timeout(5, 0);
  s.set_write_timeout(5, 0);
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [ready](const httplib::Request&, httplib::Response& res) {
    absl::Status st = ready();
    res.status = st.ok() ? 200 : 503;
    res.set_content(st.ok() ? "ready\n" : absl::StrCat("not ready: ", st.message(), "\n"), "text/plain");
  });
  s.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Render(), "text/plain; version=0.0.4");
  });
  d->port_ = port == 0 ? s.bind_to_any_port(host) : (s.bind_to_port(host, port) ? port : -1);
  if (d->port_ <= 0) return absl::UnavailableError(absl::StrCat("diag_addr ", addr, ": cannot bind"));
  d->thread_ = std::thread([srv = d->server_.get()] { srv->listen_after_bind(); });
  return d;
}

DiagServer::~DiagServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace enlist::auth
