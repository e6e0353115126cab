// The allowed time window at its edges, one second inside and one second
// outside, for the attested document (createdOn, expiresOn) and the access
// token (exp, nbf). The emulator signs with the real clock and cannot shift
// time, and the auth server has no clock override, so these run the real
// checker (AzureAuthMethod, default clock_skew 2m) with a ManualClock and
// documents in the exact Azure format (methods/azure/testing). Dates in the
// document have one-second resolution, as Azure's do.
#include <cstdlib>
#include <fstream>
#include <functional>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/config/yaml.h"
#include "core/http/fake_http_client.h"
#include "core/util/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "methods/azure/auth/azure_auth_method.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/azure/testing/fake_azure.h"
#include "proto/azure/v1/azure.pb.h"

namespace enlist::hardening {
namespace {

using ::testing::HasSubstr;
namespace t = ::enlist::azure::testing;

constexpr absl::Duration kSkew = absl::Minutes(2);  // the checker's default clock_skew
const absl::Time kNow = absl::FromUnixSeconds(t::kNowUnix);

const t::FakeAzure& Azure() {
  static const t::FakeAzure* const kAzure = new t::FakeAzure();
  return *kAzure;
}

struct EdgeCase {
  std::string name;
  std::function<void(t::PayloadSpec&, t::TokenSpec&)> mutate;
  absl::StatusCode code;  // kOk: accepted
  std::string message;
};

class ClockSkewTest : public ::testing::TestWithParam<EdgeCase> {};

TEST_P(ClockSkewTest, Edge) {
  const EdgeCase& c = GetParam();
  auto http = std::make_shared<http::FakeHttpClient>();
  Azure().ServeOidc(http.get());
  const std::string roots = absl::StrCat(std::getenv("TEST_TMPDIR"), "/roots.pem");
  std::ofstream(roots) << Azure().RootPem();
  ManualClock clock(kNow);
  azure::AzureAuthMethod method(http);
  join::CheckerOptions o;
  o.clock = &clock;
  o.settings = *config::YamlNode::ParseOne(absl::StrCat("roots_file: ", roots, "\n"), "auth.yaml");
  auto checker = method.NewChecker(o);
  ASSERT_TRUE(checker.ok()) << checker.status();
  auto spec = azure::ParseAzureTokenSpec(*config::YamlNode::ParseOne(
      absl::StrCat("allow:\n  - subscription: ", t::kSubscription, "\n"), "token.yaml"));
  ASSERT_TRUE(spec.ok()) << spec.status();
  join::JoinContext ctx;
  ctx.token_name = "azure-token";
  ctx.spec = spec->get();
  auto session = (*checker)->Begin(ctx);
  ASSERT_TRUE(session.ok()) << session.status();
  auto start = (*session)->Start();
  ASSERT_TRUE(start.ok()) << start.status();
  azure::v1::AzureChallenge challenge;
  ASSERT_TRUE(std::get<google::protobuf::Any>(*start).UnpackTo(&challenge));

  t::PayloadSpec payload;
  payload.nonce = challenge.nonce();
  t::TokenSpec token;
  c.mutate(payload, token);
  azure::v1::AzureSolution solution;
  solution.set_attested_data(Azure().AttestedDocument(payload));
  solution.set_access_token(Azure().AccessToken(token));
  solution.set_intermediates(Azure().IntermediateDer());
  google::protobuf::Any any;
  any.PackFrom(solution);
  auto step = (*session)->OnSolution(any);
  if (c.code == absl::StatusCode::kOk) {
    EXPECT_TRUE(step.ok()) << step.status();
    return;
  }
  EXPECT_EQ(step.status().code(), c.code) << step.status();
  EXPECT_THAT(std::string(step.status().message()), HasSubstr(c.message));
}

INSTANTIATE_TEST_SUITE_P(
    Window, ClockSkewTest,
    ::testing::ValuesIn(std::vector<EdgeCase>{
        {"CreatedJustInsideFutureSkew",
         [](t::PayloadSpec& p, t::TokenSpec&) { p.created_on = kNow + kSkew; },
         absl::StatusCode::kOk, ""},
        {"CreatedJustOutsideFutureSkew",
         [](t::PayloadSpec& p, t::TokenSpec&) { p.created_on = kNow + kSkew + absl::Seconds(1); },
         absl::StatusCode::kUnauthenticated, "attested document: created in the future"},
        {"ExpiresOnJustPastWithinSkew",
         [](t::PayloadSpec& p, t::TokenSpec&) {
           p.created_on = kNow - absl::Hours(6);
           p.expires_on = kNow - absl::Seconds(1);
         },
         absl::StatusCode::kOk, ""},
        {"ExpiresOnAtTheSkewEdge",
         [](t::PayloadSpec& p, t::TokenSpec&) {
           p.created_on = kNow - absl::Hours(6);
           p.expires_on = kNow - kSkew;
         },
         absl::StatusCode::kOk, ""},
        {"ExpiresOnJustPastTheSkew",
         [](t::PayloadSpec& p, t::TokenSpec&) {
           p.created_on = kNow - absl::Hours(6);
           p.expires_on = kNow - kSkew - absl::Seconds(1);
         },
         absl::StatusCode::kUnauthenticated, "attested document: expired at"},
        {"TokenExpiredJustInsideSkew",
         [](t::PayloadSpec&, t::TokenSpec& tk) {
           tk.iat = tk.nbf = kNow - absl::Hours(24);
           tk.exp = kNow - kSkew + absl::Seconds(1);
         },
         absl::StatusCode::kOk, ""},
        {"TokenExpiredJustOutsideSkew",
         [](t::PayloadSpec&, t::TokenSpec& tk) {
           tk.iat = tk.nbf = kNow - absl::Hours(24);
           tk.exp = kNow - kSkew - absl::Seconds(1);
         },
         absl::StatusCode::kUnauthenticated, "access token: jwt: token expired"},
        {"TokenNotBeforeJustInsideSkew",
         [](t::PayloadSpec&, t::TokenSpec& tk) {
           tk.iat = tk.nbf = kNow + kSkew - absl::Seconds(1);
         },
         absl::StatusCode::kOk, ""},
        {"TokenNotBeforeJustOutsideSkew",
         [](t::PayloadSpec&, t::TokenSpec& tk) { tk.nbf = kNow + kSkew + absl::Seconds(1); },
         absl::StatusCode::kUnauthenticated, "access token: jwt: token not yet valid"},
    }),
    [](const ::testing::TestParamInfo<EdgeCase>& info) { return info.param.name; });

}  // namespace
}  // namespace enlist::hardening
