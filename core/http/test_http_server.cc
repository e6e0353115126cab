#include "core/http/test_http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace enlist::http {
namespace {

constexpr size_t kMaxRequestBytes = 1 << 20;

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 302:
      return "Found";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    default:
      return "Status";
  }
}

bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string TestHttpServer::Request::HeaderValue(const std::string& name) const {
  for (const Header& h : headers) {
    if (h.first == name) return h.second;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(Handler handler) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(absl::StrCat("test server: socket: ", std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // the OS picks a free port
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 16) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("test server: bind/listen: ", std::strerror(err)));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    const int err = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("test server: pipe: ", std::strerror(err)));
  }
  std::unique_ptr<TestHttpServer> server(
      new TestHttpServer(std::move(handler), fd, pipe_fds[0], pipe_fds[1], ntohs(addr.sin_port)));
  server->thread_ = std::thread([s = server.get()] { s->Serve(); });
  return server;
}

TestHttpServer::TestHttpServer(Handler handler, int listen_fd, int wake_read_fd,
                               int wake_write_fd, int port)
    : handler_(std::move(handler)),
      listen_fd_(listen_fd),
      wake_read_fd_(wake_read_fd),
      wake_write_fd_(wake_write_fd),
      port_(port) {}

TestHttpServer::~TestHttpServer() {
  Stop();
  ::close(listen_fd_);
  ::close(wake_read_fd_);
  ::close(wake_write_fd_);
}

void TestHttpServer::Stop() {
  {
    absl::MutexLock l(&mu_);
    if (stopped_) return;
    stopped_ = true;
  }
  stopping_.Notify();
  const char b = 'x';
  (void)!::write(wake_write_fd_, &b, 1);
  if (thread_.joinable()) thread_.join();
}

std::string TestHttpServer::BaseUrl() const { return absl::StrCat("http://127.0.0.1:", port_); }

std::vector<TestHttpServer::Request> TestHttpServer::requests() const {
  absl::MutexLock l(&mu_);
  return requests_;
}

void TestHttpServer::Serve() {
  while (!stopping_.HasBeenNotified()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 || (fds[1].revents & POLLIN) != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    HandleConnection(conn);
    ::close(conn);
  }
}

void TestHttpServer::HandleConnection(int fd) {
  // Read until the end of the headers, then Content-Length bytes of body.
  std::string data;
  size_t header_end = std::string::npos;
  size_t content_length = 0;
  char buf[4096];
  while (true) {
    if (header_end != std::string::npos && data.size() >= header_end + 4 + content_length) break;
    if (data.size() > kMaxRequestBytes) return;
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_read_fd_, POLLIN, 0}};
    if (::poll(fds, 2, 5000) <= 0 || (fds[1].revents & POLLIN) != 0) return;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    data.append(buf, static_cast<size_t>(n));
    if (header_end == std::string::npos) {
      header_end = data.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        for (absl::string_view line : absl::StrSplit(data.substr(0, header_end), "\r\n")) {
          const size_t colon = line.find(':');
          if (colon == absl::string_view::npos) continue;
          if (absl::AsciiStrToLower(line.substr(0, colon)) == "content-length") {
            if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(colon + 1)),
                                  &content_length) ||
                content_length > kMaxRequestBytes) {
              return;
            }
          }
        }
      }
    }
  }

  Request req;
  std::vector<std::string> lines = absl::StrSplit(data.substr(0, header_end), "\r\n");
  std::vector<std::string> first = absl::StrSplit(lines[0], ' ');
  if (first.size() < 2) return;
  req.method = first[0];
  req.target = first[1];
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string::npos) continue;
    req.headers.emplace_back(absl::AsciiStrToLower(lines[i].substr(0, colon)),
                             std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  req.body = data.substr(header_end + 4, content_length);
  {
    absl::MutexLock l(&mu_);
    requests_.push_back(req);
  }

  Response resp = handler_(req);
  if (resp.delay > absl::ZeroDuration() && stopping_.WaitForNotificationWithTimeout(resp.delay)) {
    return;
  }
  std::string out = absl::StrCat("HTTP/1.1 ", resp.status, " ", Reason(resp.status), "\r\n");
  for (const Header& h : resp.headers) absl::StrAppend(&out, h.first, ": ", h.second, "\r\n");
  if (!resp.omit_content_length) absl::StrAppend(&out, "Content-Length: ", resp.body.size(), "\r\n");
  absl::StrAppend(&out, "Connection: close\r\n\r\n", resp.body);
  WriteAll(fd, out);
  ::shutdown(fd, SHUT_WR);
}

}  // namespace enlist::http
