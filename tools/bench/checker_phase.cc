#include "tools/bench/checker_phase.h"

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "core/config/yaml.h"
#include "core/http/http_client.h"
#include "core/json/json.h"
#include "core/util/clock.h"
#include "core/util/status_macros.h"
#include "methods/azure/auth/azure_checker.h"
#include "methods/azure/auth/azure_token_spec.h"
#include "methods/azure/auth/challenge.h"
#include "methods/azure/auth/checker_config.h"
#include "proto/azure/v1/azure.pb.h"
#include "tools/azure_emulator/emulator.h"
#include "tools/azure_emulator/world.h"
#include "tools/bench/bench_world.h"

namespace enlist::bench {
namespace {

namespace emu = ::enlist::azure_emulator;

constexpr char kBaseUrl[] = "http://emulator.bench.invalid";

// An HttpClient answered by an in-process emulator (no sockets), so the
// checker's JWKS and AIA fetches cost nothing measurable after warm-up.
class InProcessHttp final : public http::HttpClient {
 public:
  explicit InProcessHttp(emu::Emulator* e) : e_(e) {}
  absl::StatusOr<http::HttpResponse> Get(const http::HttpRequest& request) override {
    return Do("GET", request);
  }
  absl::StatusOr<http::HttpResponse> Post(const http::HttpRequest& request) override {
    return Do("POST", request);
  }

 private:
  absl::StatusOr<http::HttpResponse> Do(const char* method, const http::HttpRequest& request) {
    if (!absl::StartsWith(request.url, kBaseUrl)) {
      return absl::UnavailableError(absl::StrCat(http::ErrorPrefix("Get", request.url),
                                                 "bench: not the in-process emulator"));
    }
    emu::Request r;
    r.method = method;
    absl::string_view rest = absl::string_view(request.url).substr(sizeof(kBaseUrl) - 1);
    const size_t q = rest.find('?');
    r.path = std::string(rest.substr(0, q));
    if (q != absl::string_view::npos) {
      // The checker sends only unreserved characters in query values.
      for (absl::string_view kv : absl::StrSplit(rest.substr(q + 1), '&', absl::SkipEmpty())) {
        std::pair<std::string, std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
        r.query.insert(std::move(p));
      }
    }
    for (const auto& [k, v] : request.headers) r.headers.emplace(absl::AsciiStrToLower(k), v);
    r.body = request.body;
    emu::Response out = e_->Handle(r);
    http::HttpResponse resp;
    resp.status = out.status;
    resp.headers = out.headers;
    resp.headers.emplace_back("content-type", out.content_type);
    resp.body = std::move(out.body);
    return resp;
  }
  emu::Emulator* const e_;
};

int64_t ThreadCpuUs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// GETs `path` from the emulator and returns the JSON member `field`.
absl::StatusOr<std::string> Fetch(emu::Emulator& e, const std::string& path,
                                  std::map<std::string, std::string> query,
                                  const std::string& field) {
  emu::Request r;
  r.path = path;
  r.query = std::move(query);
  r.headers.emplace("metadata", "true");
  emu::Response out = e.Handle(r);
  if (out.status != 200) {
    return absl::InternalError(absl::StrCat("checker phase: emulator ", path, ": ", out.status, " ",
                                            out.body.substr(0, 200)));
  }
  if (field.empty()) return out.body;
  ENLIST_ASSIGN_OR_RETURN(json::Value v, json::Parse(out.body));
  const json::Value* f = v.Find(field);
  if (f == nullptr || !f->is_string()) {
    return absl::InternalError(absl::StrCat("checker phase: emulator ", path, ": no ", field));
  }
  return f->string_value();
}

}  // namespace

absl::StatusOr<CheckerResult> RunCheckerPhase(int verifications, int vms,
                                              const std::string& scratch_dir) {
  ENLIST_ASSIGN_OR_RETURN(emu::World world, emu::ParseWorld(BenchWorldYaml(vms), "bench-world"));
  emu::EmulatorOptions eo;
  eo.base_url = kBaseUrl;
  ENLIST_ASSIGN_OR_RETURN(std::unique_ptr<emu::Emulator> e,
                          emu::Emulator::Create(std::move(world), eo, &RealClock::Get()));
  const std::string roots = scratch_dir + "/checker-roots.pem";
  std::ofstream(roots) << e->root_pem();
  ENLIST_ASSIGN_OR_RETURN(config::YamlNode settings,
                          config::YamlNode::ParseOne(AzureCheckerSettingsYaml(kBaseUrl, roots, 0),
                                                     "bench-checker.yaml"));
  ENLIST_ASSIGN_OR_RETURN(azure::AzureCheckerConfig config, azure::ParseCheckerConfig(settings));
  azure::AzureCheckerDeps deps;
  deps.http = std::make_shared<InProcessHttp>(e.get());
  ENLIST_ASSIGN_OR_RETURN(std::shared_ptr<azure::AzureChecker> checker,
                          azure::AzureChecker::Create(std::move(config), deps));
  const azure::AzureTokenSpec spec(std::vector<azure::AllowRule>{{kBenchSubscription, "", {}}});

  // One token per VM (IMDS hands out a cached token per identity), one
  // document per verification.
  std::vector<std::string> tokens;
  for (int v = 0; v < vms; ++v) {
    ENLIST_ASSIGN_OR_RETURN(
        std::string t,
        Fetch(*e, absl::StrCat("/vm/", BenchVmName(v), "/metadata/identity/oauth2/token"),
              {{"api-version", "2018-02-01"}, {"resource", "https://management.azure.com/"}},
              "access_token"));
    tokens.push_back(std::move(t));
  }
  const std::string intermediates = e->pki().PkiopsFile(emu::kIssuingCaFile);
  struct Pair {
    std::string nonce;
    azure::v1::AzureSolution solution;
  };
  std::vector<Pair> pool(verifications + 1);
  for (int i = 0; i <= verifications; ++i) {
    ENLIST_ASSIGN_OR_RETURN(pool[i].nonce, azure::NewChallengeNonce());
    const int v = i % vms;
    ENLIST_ASSIGN_OR_RETURN(
        std::string doc,
        Fetch(*e, absl::StrCat("/vm/", BenchVmName(v), "/metadata/attested/document"),
              {{"api-version", "2021-02-01"}, {"nonce", pool[i].nonce}}, ""));
    pool[i].solution.set_attested_data(std::move(doc));
    pool[i].solution.set_access_token(tokens[v]);
    pool[i].solution.set_intermediates(intermediates);
  }
  // Warm: chain cache and JWKS.
  {
    absl::StatusOr<join::Accept> a = checker->Check(
        pool[verifications].solution, pool[verifications].nonce, spec, kBenchTokenName);
    if (!a.ok()) {
      return absl::Status(a.status().code(),
                          absl::StrCat("checker phase: warm-up check: ", a.status().message()));
    }
  }
  std::fprintf(stderr, "checker phase: %d documents signed, timing the checks\n", verifications);
  const int64_t cpu0 = ThreadCpuUs();
  const absl::Time start = absl::Now();
  for (int i = 0; i < verifications; ++i) {
    absl::StatusOr<join::Accept> a =
        checker->Check(pool[i].solution, pool[i].nonce, spec, kBenchTokenName);
    if (!a.ok()) {
      return absl::Status(a.status().code(),
                          absl::StrCat("checker phase: check ", i, ": ", a.status().message()));
    }
  }
  const double secs = absl::ToDoubleSeconds(absl::Now() - start);
  const int64_t cpu = ThreadCpuUs() - cpu0;
  CheckerResult r;
  r.verifications = verifications;
  r.seconds = secs;
  r.per_second = verifications / secs;
  r.us_each = secs * 1e6 / verifications;
  r.cpu_us_each = static_cast<double>(cpu) / verifications;
  return r;
}

}  // namespace enlist::bench
