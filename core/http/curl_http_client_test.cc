#include "core/http/curl_http_client.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/http/test_http_server.h"
#include "gtest/gtest.h"

namespace enlist::http {
namespace {

using Request = TestHttpServer::Request;
using Response = TestHttpServer::Response;

bool Contains(absl::string_view haystack, absl::string_view needle) {
  return haystack.find(needle) != absl::string_view::npos;
}

std::unique_ptr<TestHttpServer> StartServer(TestHttpServer::Handler handler) {
  absl::StatusOr<std::unique_ptr<TestHttpServer>> s = TestHttpServer::Start(std::move(handler));
  EXPECT_TRUE(s.ok()) << s.status();
  return std::move(s).value();
}

CurlHttpClient NoProxyClient() {
  CurlHttpClient::Options options;
  options.use_environment_proxy = false;
  return CurlHttpClient(options);
}

TEST(CurlHttpClientTest, GetReturnsStatusHeadersBodyAndSendsHeaders) {
  auto server = StartServer([](const Request&) {
    Response r;
    r.headers = {{"Content-Type", "application/json"}, {"Retry-After", "3"}};
    r.body = R"({"ok":true})";
    return r;
  });
  CurlHttpClient client = NoProxyClient();
  HttpRequest req;
  req.url = server->BaseUrl() + "/metadata/x?api-version=1";
  req.headers = {{"Metadata", "true"}};
  absl::StatusOr<HttpResponse> r = client.Get(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"ok":true})");
  EXPECT_EQ(r->ContentType(), "application/json");
  EXPECT_EQ(r->RetryAfter(), absl::Seconds(3));
  std::vector<Request> got = server->requests();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].method, "GET");
  EXPECT_EQ(got[0].target, "/metadata/x?api-version=1");
  EXPECT_EQ(got[0].HeaderValue("metadata"), "true");
}

TEST(CurlHttpClientTest, PostSendsBody) {
  auto server = StartServer([](const Request& req) {
    Response r;
    r.body = "echo:" + req.body;
    return r;
  });
  CurlHttpClient client = NoProxyClient();
  HttpRequest req;
  req.url = server->BaseUrl() + "/p";
  req.body = "a=b";
  absl::StatusOr<HttpResponse> r = client.Post(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "echo:a=b");
  EXPECT_EQ(server->requests()[0].method, "POST");
}

TEST(CurlHttpClientTest, ErrorStatusesAreResponses) {
  for (int status : {404, 429, 500}) {
    auto server = StartServer([status](const Request&) {
      Response r;
      r.status = status;
      r.body = "nope";
      return r;
    });
    CurlHttpClient client = NoProxyClient();
    HttpRequest req;
    req.url = server->BaseUrl() + "/";
    absl::StatusOr<HttpResponse> r = client.Get(req);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, status);
    EXPECT_EQ(r->body, "nope");
  }
}

TEST(CurlHttpClientTest, TimeoutIsUnavailableWithGoStyleMessage) {
  auto server = StartServer([](const Request&) {
    Response r;
    r.delay = absl::Seconds(30);  // cut short when the server stops
    return r;
  });
  CurlHttpClient client = NoProxyClient();
  HttpRequest req;
  req.url = server->BaseUrl() + "/slow";
  req.timeout = absl::Milliseconds(200);
  absl::StatusOr<HttpResponse> r = client.Get(req);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            absl::StrCat("Get \"", req.url,
                         "\": context deadline exceeded (Client.Timeout exceeded while "
                         "awaiting headers)"));
}

TEST(CurlHttpClientTest, BodyOverCapIsResourceExhausted) {
  for (bool omit_length : {false, true}) {
    auto server = StartServer([omit_length](const Request&) {
      Response r;
      r.body = std::string(100000, 'x');
      r.omit_content_length = omit_length;
      return r;
    });
    CurlHttpClient client = NoProxyClient();
    HttpRequest req;
    req.url = server->BaseUrl() + "/big";
    req.max_response_size = 1000;
    absl::StatusOr<HttpResponse> r = client.Get(req);
    ASSERT_FALSE(r.ok()) << "omit_content_length=" << omit_length;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(r.status().message(),
              absl::StrCat("Get \"", req.url, "\": response body too large (limit 1000 bytes)"));
  }
}

TEST(CurlHttpClientTest, BodyAtCapIsAccepted) {
  auto server = StartServer([](const Request&) {
    Response r;
    r.body = std::string(1000, 'x');
    r.omit_content_length = true;
    return r;
  });
  CurlHttpClient client = NoProxyClient();
  HttpRequest req;
  req.url = server->BaseUrl() + "/exact";
  req.max_response_size = 1000;
  absl::StatusOr<HttpResponse> r = client.Get(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), 1000u);
}

TEST(CurlHttpClientTest, RedirectNotFollowedByDefault) {
  auto target = StartServer([](const Request&) { return Response{200, {}, "secret"}; });
  const std::string location = target->BaseUrl() + "/elsewhere";
  auto server = StartServer([location](const Request&) {
    Response r;
    r.status = 302;
    r.headers = {{"Location", location}};
    return r;
  });
  CurlHttpClient client = NoProxyClient();
  HttpRequest req;
  req.url = server->BaseUrl() + "/start";
  absl::StatusOr<HttpResponse> r = client.Get(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(*r->FindHeader("location"), location);
  EXPECT_TRUE(target->requests().empty());

  req.follow_redirects = true;
  r = client.Get(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "secret");
  EXPECT_EQ(target->requests().size(), 1u);
}

TEST(CurlHttpClientTest, ConnectionRefused) {
  // A socket bound but not listening: connecting to it is refused, and no
  // other process can take the port meanwhile.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  CurlHttpClient client = NoProxyClient();
  HttpRequest req;
  req.url = absl::StrCat("http://127.0.0.1:", port, "/y");
  absl::StatusOr<HttpResponse> r = client.Get(req);
  ::close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(r.status().message()),
            absl::StrCat("Get \"", req.url, "\": dial tcp 127.0.0.1:", port,
                         ": connect: connection refused"));
}

TEST(CurlHttpClientTest, RejectsNonHttpSchemes) {
  CurlHttpClient client = NoProxyClient();
  for (const char* url : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x/", "nonsense"}) {
    HttpRequest req;
    req.url = url;
    absl::StatusOr<HttpResponse> r = client.Get(req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(Contains(r.status().message(), "unsupported protocol scheme")) << r.status();
  }
}

TEST(CurlHttpClientTest, RedirectToFileSchemeIsRefused) {
  auto server = StartServer([](const Request&) {
    Response r;
    r.status = 302;
    r.headers = {{"Location", "file:///etc/passwd"}};
    return r;
  });
  CurlHttpClient client = NoProxyClient();
  HttpRequest req;
  req.url = server->BaseUrl() + "/";
  req.follow_redirects = true;
  absl::StatusOr<HttpResponse> r = client.Get(req);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(Contains(r.status().message(), absl::StrCat("Get \"", req.url, "\": ")))
      << r.status();
}

}  // namespace
}  // namespace enlist::http
