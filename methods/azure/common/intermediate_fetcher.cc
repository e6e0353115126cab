#include "methods/azure/common/intermediate_fetcher.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/crypto/cert.h"
#include "methods/azure/common/ca_issuer_url.h"

namespace enlist::azure {
namespace {

constexpr absl::string_view kPrefix = "fetching intermediate certificate: ";

bool SelfSigned(const X509& cert) {
  X509* c = crypto::internal::Mut(cert);
  return X509_NAME_cmp(X509_get_subject_name(c), X509_get_issuer_name(c)) == 0 &&
         X509_check_issued(c, c) == X509_V_OK;
}

absl::StatusOr<crypto::X509Ptr> ParseOne(absl::string_view data) {
  if (absl::StrContains(data, "-----BEGIN CERTIFICATE-----")) {
    absl::StatusOr<std::vector<crypto::X509Ptr>> certs = crypto::ParseCertificatesPem(data, 1);
    if (!certs.ok()) return certs.status();
    return std::move((*certs)[0]);
  }
  return crypto::ParseCertificateDer(data);
}

}  // namespace

IntermediateFetcher::IntermediateFetcher(http::HttpClient* http, IntermediateFetchOptions options,
                                         const Clock* clock, log::Logger* logger)
    : http_(http), options_(std::move(options)), clock_(clock), logger_(logger) {}

int IntermediateFetcher::fetches() const {
  absl::MutexLock l(&mu_);
  return fetches_;
}

absl::StatusOr<crypto::X509Ptr> IntermediateFetcher::Fetch(const std::string& url,
                                                            absl::Time deadline) {
  const bool caching = options_.cache_ttl > absl::ZeroDuration();
  if (caching) {
    absl::MutexLock l(&mu_);
    auto it = cache_.find(url);
    if (it != cache_.end()) {
      if (clock_->Now() - it->second.fetched_at <= options_.cache_ttl) {
        return crypto::ParseCertificateDer(it->second.der);
      }
      cache_.erase(it);
    }
  }
  const absl::Duration left = deadline - clock_->Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(
        absl::StrCat(kPrefix, http::ErrorPrefix("Get", url), "context deadline exceeded"));
  }
  {
    absl::MutexLock l(&mu_);
    ++fetches_;
  }
  http::HttpRequest req;
  req.url = url;
  req.timeout = std::min(options_.request_timeout, left);
  req.max_response_size = options_.max_certificate_size;
  absl::StatusOr<http::HttpResponse> resp = http_->Get(req);
  if (!resp.ok()) {
    return absl::Status(resp.status().code(), absl::StrCat(kPrefix, resp.status().message()));
  }
  if (resp->status != 200) {
    return absl::UnavailableError(absl::StrCat(kPrefix, http::ErrorPrefix("Get", url),
                                               "unexpected HTTP status ", resp->status));
  }
  absl::StatusOr<crypto::X509Ptr> cert = ParseOne(resp->body);
  if (!cert.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(kPrefix, http::ErrorPrefix("Get", url), cert.status().message()));
  }
  if (caching) {
    absl::StatusOr<std::string> der = crypto::CertificateDer(**cert);
    absl::MutexLock l(&mu_);
    if (der.ok()) {
      if (cache_.size() >= options_.cache_capacity) cache_.erase(cache_.begin());
      cache_[url] = CacheEntry{*std::move(der), clock_->Now()};
    }
  }
  return cert;
}

absl::StatusOr<std::vector<crypto::X509Ptr>> IntermediateFetcher::Walk(const X509& leaf,
                                                                       absl::Time deadline) {
  std::vector<crypto::X509Ptr> out;
  std::set<std::string> seen;
  absl::StatusOr<crypto::Sha256Digest> leaf_fp = crypto::CertificateFingerprint(leaf);
  if (leaf_fp.ok()) seen.insert(std::string(leaf_fp->begin(), leaf_fp->end()));
  const X509* current = &leaf;
  for (int hop = 0; hop < options_.max_hops; ++hop) {
    if (SelfSigned(*current)) break;
    std::vector<std::string> urls;
    for (std::string& u : crypto::CaIssuerUrls(*current)) {
      if (IsAllowedCaIssuerUrl(u, options_.allowed_prefixes)) {
        urls.push_back(std::move(u));
      } else {
        logger_->Info("Not following caIssuers URL outside the allowed shapes",
                      {{"url", http::RedactUrl(u)}});
      }
    }
    if (urls.empty()) break;
    absl::Status first_error;
    crypto::X509Ptr next;
    for (const std::string& u : urls) {
      absl::StatusOr<crypto::X509Ptr> cert = Fetch(u, deadline);
      if (cert.ok()) {
        next = *std::move(cert);
        break;
      }
      if (first_error.ok()) first_error = cert.status();
    }
    if (next == nullptr) return first_error;
    if (X509_check_issued(next.get(), crypto::internal::Mut(*current)) != X509_V_OK) {
      logger_->Info("Fetched caIssuers certificate did not issue its child; stopping the walk");
      break;
    }
    absl::StatusOr<crypto::Sha256Digest> fp = crypto::CertificateFingerprint(*next);
    if (!fp.ok()) return fp.status();
    if (!seen.insert(std::string(fp->begin(), fp->end())).second) break;  // cycle
    if (SelfSigned(*next)) break;
    out.push_back(std::move(next));
    current = out.back().get();
  }
  return out;
}

}  // namespace enlist::azure
