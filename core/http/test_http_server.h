// A tiny loopback HTTP/1.1 server for tests of real HTTP clients. testonly.
//
// Plain sockets, bound to 127.0.0.1 on a port chosen by the OS, one thread
// serving connections one at a time (one request per connection, then
// "Connection: close"). Not for production: no TLS, no keep-alive, no
// chunked requests.
#ifndef ENLIST_CORE_HTTP_TEST_HTTP_SERVER_H_
#define ENLIST_CORE_HTTP_TEST_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/http/http_client.h"

namespace enlist::http {

// TestHttpServer answers each request with the result of a handler. Start()
// returns it listening; Stop() (or the destructor) wakes the thread, cuts
// any pending response delay short, and joins. Thread-safe.
class TestHttpServer {
 public:
  // A received request.
  struct Request {
    std::string method;  // "GET", "POST"
    std::string target;  // path and query, e.g. "/a?b=c"
    std::vector<Header> headers;  // names lowercased
    std::string body;

    // Returns the first value of header `name` (lowercase), or "".
    std::string HeaderValue(const std::string& name) const;
  };

  // What to send back.
  struct Response {
    int status = 200;
    std::vector<Header> headers;  // e.g. {"Content-Type", "application/json"}
    std::string body;
    // Wait this long before sending anything (cut short by Stop()): for
    // client timeout tests.
    absl::Duration delay = absl::ZeroDuration();
    // Send the body without Content-Length and end it by closing the
    // connection (exercises size caps that cannot be checked up front).
    bool omit_content_length = false;
  };

  using Handler = std::function<Response(const Request&)>;

  // Binds 127.0.0.1:0, listens, and starts serving with `handler` (called on
  // the server thread). Fails with kInternal if a socket call fails.
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(Handler handler);

  ~TestHttpServer();
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Stops serving and joins the thread; idempotent.
  void Stop();

  // The bound port.
  int port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string BaseUrl() const;
  // All requests received so far.
  std::vector<Request> requests() const;

 private:
  TestHttpServer(Handler handler, int listen_fd, int wake_read_fd, int wake_write_fd, int port);
  void Serve();
  void HandleConnection(int fd);

  Handler handler_;
  const int listen_fd_;
  const int wake_read_fd_;
  const int wake_write_fd_;
  const int port_;
  absl::Notification stopping_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);
  bool stopped_ = false;
};

}  // namespace enlist::http

#endif  // ENLIST_CORE_HTTP_TEST_HTTP_SERVER_H_
