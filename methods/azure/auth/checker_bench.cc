// Throughput of AzureChecker::Check (steps 2-8) with warm caches (chain
// cache, JWKS) on one thread: `bazel run -c opt //methods/azure/auth:checker_bench`.
// The product target is >= 15,000 verifications/s on one core.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/config/yaml.h"
#include "core/http/fake_http_client.h"
#include "core/util/clock.h"
#include "methods/azure/auth/azure_checker.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/azure/testing/fake_azure.h"

namespace t = ::enlist::azure::testing;

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 20000;
  t::FakeAzure azure;
  auto http = std::make_shared<enlist::http::FakeHttpClient>();
  azure.ServeOidc(http.get());
  const std::string roots = "/tmp/enlist-azure-bench-roots.pem";
  std::ofstream(roots) << azure.RootPem();
  auto config = enlist::azure::ParseCheckerConfig(
      *enlist::config::YamlNode::ParseOne(absl::StrCat("roots_file: ", roots), "bench.yaml"));
  if (!config.ok()) return 1;
  enlist::ManualClock clock(absl::FromUnixSeconds(t::kNowUnix));
  enlist::azure::AzureCheckerDeps deps;
  deps.http = http;
  deps.clock = &clock;
  auto checker = enlist::azure::AzureChecker::Create(*config, deps);
  if (!checker.ok()) return 1;
  enlist::azure::AzureTokenSpec spec({{t::kSubscription, "", {"prod-rg"}}});
  const std::string nonce = "bench-nonce-0123456789abcdefghij";
  t::PayloadSpec p;
  p.nonce = nonce;
  enlist::azure::v1::AzureSolution solution;
  solution.set_attested_data(azure.AttestedDocument(p));
  solution.set_access_token(azure.AccessToken(t::TokenSpec()));
  solution.set_intermediates(azure.IntermediateDer());
  if (!(*checker)->Check(solution, nonce, spec, "bench").ok()) return 2;  // warm
  absl::Time start = absl::Now();
  for (int i = 0; i < n; ++i) {
    if (!(*checker)->Check(solution, nonce, spec, "bench").ok()) return 3;
  }
  double secs = absl::ToDoubleSeconds(absl::Now() - start);
  std::printf("%d checks in %.3f s: %.0f verifications/s on one thread\n", n, secs, n / secs);
  return 0;
}
