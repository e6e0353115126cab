#include "core/http/http_client.h"

#include <string>

#include "core/http/fake_http_client.h"
#include "gtest/gtest.h"

namespace enlist::http {
namespace {

TEST(HttpResponseTest, HeaderHelpers) {
  HttpResponse r;
  r.headers = {{"content-type", "application/json"}, {"retry-after", " 7 "}};
  EXPECT_EQ(r.ContentType(), "application/json");
  EXPECT_EQ(*r.FindHeader("Content-Type"), "application/json");
  EXPECT_EQ(r.FindHeader("x-missing"), nullptr);
  EXPECT_EQ(r.RetryAfter(), absl::Seconds(7));
  r.headers = {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}};
  EXPECT_EQ(r.RetryAfter(), std::nullopt);
  r.headers = {{"retry-after", "-1"}};
  EXPECT_EQ(r.RetryAfter(), std::nullopt);
  r.headers = {};
  EXPECT_EQ(r.RetryAfter(), std::nullopt);
  EXPECT_EQ(r.ContentType(), "");
}

TEST(FakeHttpClientTest, CannedResponsesErrorsAndRecording) {
  FakeHttpClient fake;
  fake.SetResponse("https://a/x", 200, "hello");
  fake.SetError("https://a/down", FakeHttpClient::UnavailableError("https://a/down"));

  HttpRequest req;
  req.url = "https://a/x";
  req.headers = {{"Metadata", "true"}};
  absl::StatusOr<HttpResponse> r = fake.Get(req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");

  req.url = "https://a/down";
  r = fake.Get(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "Get \"https://a/down\": connection refused");

  req.url = "https://a/unknown";
  r = fake.Post(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(std::string(r.status().message()).find("Post \"https://a/unknown\": "),
            std::string::npos);

  req.url = "https://a/x";
  req.max_response_size = 3;
  r = fake.Get(req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(std::string(r.status().message()).find("response body too large (limit 3 bytes)"),
            std::string::npos);

  EXPECT_EQ(fake.CallCount("https://a/x"), 2);
  ASSERT_EQ(fake.calls().size(), 4u);
  EXPECT_EQ(fake.calls()[0].method, "GET");
  EXPECT_EQ(fake.calls()[0].request.headers[0].first, "Metadata");
  EXPECT_EQ(fake.calls()[2].method, "POST");
}

}  // namespace
}  // namespace enlist::http

namespace enlist::http {
namespace {

TEST(RedactUrlTest, RedactsSecretsOnly) {
  const struct {
    const char* in;
    const char* out;
  } kCases[] = {
      {"http://169.254.169.254/metadata/attested/document?api-version=2021-02-01&nonce=abc123",
       "http://169.254.169.254/metadata/attested/document?api-version=2021-02-01&nonce=REDACTED"},
      {"https://h/p?Token=x&resource=https://management.azure.com/&client_id=c#frag",
       "https://h/p?Token=REDACTED&resource=https://management.azure.com/&client_id=c#frag"},
      {"https://user:pw@h:8443/p?a=b", "https://user:xxxxx@h:8443/p?a=b"},
      {"https://user@h/p", "https://user@h/p"},
      {"http://x/y", "http://x/y"},
      {"http://x/y?nonce", "http://x/y?nonce"},
      {"not a url", "not a url"},
  };
  for (const auto& c : kCases) EXPECT_EQ(RedactUrl(c.in), c.out) << c.in;
  EXPECT_EQ(ErrorPrefix("Get", "http://x/y?nonce=n"), "Get \"http://x/y?nonce=REDACTED\": ");
}

}  // namespace
}  // namespace enlist::http
