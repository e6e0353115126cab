#include "core/jwt/oidc.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/json/json.h"
#include "core/util/status_macros.h"

namespace enlist::jwt {
namespace {

std::string NormaliseIssuer(absl::string_view issuer) {
  while (absl::EndsWith(issuer, "/")) issuer.remove_suffix(1);
  return std::string(issuer);
}

bool IsHttps(absl::string_view url) {
  return absl::StartsWith(absl::AsciiStrToLower(url.substr(0, 8)), "https://");
}

class IssuerResolver final : public KeyResolver {
 public:
  IssuerResolver(OidcKeyProvider* provider, std::string issuer)
      : provider_(provider), issuer_(std::move(issuer)) {}
  absl::StatusOr<std::shared_ptr<const Jwk>> FindKey(absl::string_view kid) override {
    return provider_->FindKey(issuer_, kid);
  }

 private:
  OidcKeyProvider* const provider_;
  const std::string issuer_;
};

}  // namespace

OidcKeyProvider::OidcKeyProvider(http::HttpClient* http, const Clock* clock, OidcOptions options)
    : http_(http), clock_(clock), options_(std::move(options)) {}

std::unique_ptr<KeyResolver> OidcKeyProvider::ResolverFor(std::string issuer_base) {
  return std::make_unique<IssuerResolver>(this, std::move(issuer_base));
}

OidcStats OidcKeyProvider::stats() const {
  absl::MutexLock l(&mu_);
  return stats_;
}

OidcKeyProvider::Entry* OidcKeyProvider::GetEntry(const std::string& issuer) {
  absl::MutexLock l(&mu_);
  std::unique_ptr<Entry>& e = entries_[issuer];
  if (e == nullptr) e = std::make_unique<Entry>();
  return e.get();  // entries are never erased, so the pointer stays valid
}

absl::StatusOr<std::string> OidcKeyProvider::FetchDocument(const std::string& issuer,
                                                           const std::string& what,
                                                           const std::string& url) {
  http::HttpRequest req;
  req.url = url;
  req.headers = {{"Accept", "application/json"}};
  req.timeout = options_.request_timeout;
  req.max_response_size = options_.max_document_size;
  const std::string context = absl::StrCat("oidc: \"", issuer, "\": ", what, ": ");
  absl::StatusOr<http::HttpResponse> resp = http_->Get(req);
  if (!resp.ok()) {
    return absl::UnavailableError(absl::StrCat(context, resp.status().message()));
  }
  if (resp->status != 200) {
    return absl::UnavailableError(
        absl::StrCat(context, http::ErrorPrefix("Get", url), "unexpected status ", resp->status));
  }
  return std::move(resp->body);
}

// OpenID Connect Discovery 1.0 §4: GET <issuer>/.well-known/openid-configuration,
// then the key set at its jwks_uri (RFC 7517 §5).
absl::StatusOr<std::shared_ptr<const Jwks>> OidcKeyProvider::Fetch(const std::string& issuer) {
  ENLIST_ASSIGN_OR_RETURN(
      std::string discovery,
      FetchDocument(issuer, "discovery", absl::StrCat(issuer, "/.well-known/openid-configuration")));
  json::ParseOptions json_options;
  json_options.max_size = options_.max_document_size;
  json_options.max_depth = 8;
  absl::StatusOr<json::Value> doc = json::Parse(discovery, json_options);
  absl::StatusOr<std::string> jwks_uri =
      doc.ok() ? doc->GetString("jwks_uri") : absl::StatusOr<std::string>(doc.status());
  if (!jwks_uri.ok()) {
    absl::string_view msg = jwks_uri.status().message();
    if (absl::StartsWith(msg, "json: ")) msg.remove_prefix(6);
    return absl::UnavailableError(absl::StrCat("oidc: \"", issuer, "\": discovery: ", msg));
  }
  // Never let an https issuer's keys come over plain http.
  if (IsHttps(issuer) && !IsHttps(*jwks_uri)) {
    return absl::UnavailableError(
        absl::StrCat("oidc: \"", issuer, "\": discovery: jwks_uri is not https"));
  }
  ENLIST_ASSIGN_OR_RETURN(std::string jwks_text, FetchDocument(issuer, "jwks", *jwks_uri));
  JwksParseOptions jwks_options = options_.jwks_options;
  jwks_options.max_size = options_.max_document_size;
  absl::StatusOr<Jwks> jwks = Jwks::Parse(jwks_text, jwks_options);
  if (!jwks.ok()) {
    return absl::UnavailableError(absl::StrCat("oidc: \"", issuer, "\": ", jwks.status().message()));
  }
  return std::make_shared<const Jwks>(std::move(*jwks));
}

absl::StatusOr<std::shared_ptr<const Jwk>> OidcKeyProvider::FindKey(absl::string_view issuer_base,
                                                                    absl::string_view kid) {
  const std::string issuer = NormaliseIssuer(issuer_base);
  Entry* e = GetEntry(issuer);

  const auto lookup = [&](const std::shared_ptr<const Jwks>& keys) -> std::shared_ptr<const Jwk> {
    const Jwk* k = keys == nullptr ? nullptr : keys->Find(kid);
    return k == nullptr ? nullptr : std::shared_ptr<const Jwk>(keys, k);
  };
  const auto count = [&](int64_t OidcStats::*field) {
    absl::MutexLock l(&mu_);
    ++(stats_.*field);
  };

  // Fast path: fresh keys that have the kid. Otherwise decide whether a
  // fetch is allowed now.
  absl::Time now = clock_->Now();
  int64_t seen_attempts;
  {
    absl::MutexLock l(&e->mu);
    const bool fresh = e->keys != nullptr && now < e->fetched_at + options_.cache_ttl;
    if (fresh) {
      if (std::shared_ptr<const Jwk> k = lookup(e->keys)) {
        count(&OidcStats::hits);
        return k;
      }
    }
    const bool may_fetch = now - e->last_attempt >= RetryInterval(*e);
    // While another caller's fetch is in flight, wait for its result below.
    if (!may_fetch && !e->fetching) {
      if (e->keys == nullptr) return e->last_error;
      if (std::shared_ptr<const Jwk> k = lookup(e->keys)) {
        count(&OidcStats::stale_served);
        return k;
      }
      count(&OidcStats::misses);
      return UnknownKidError(kid);
    }
    seen_attempts = e->attempts;
  }

  // Slow path: one fetch per issuer at a time; if another caller fetched
  // while we waited, use its result instead of fetching again.
  absl::Status fetch_error;
  {
    absl::MutexLock refresh(&e->refresh_mu);
    bool fetch = false;
    {
      absl::MutexLock l(&e->mu);
      now = clock_->Now();
      if (e->attempts == seen_attempts && now - e->last_attempt >= RetryInterval(*e)) {
        fetch = true;
        e->fetching = true;
        e->last_attempt = now;
        ++e->attempts;
      }
    }
    if (fetch) {
      count(&OidcStats::refreshes);
      absl::StatusOr<std::shared_ptr<const Jwks>> keys = Fetch(issuer);
      absl::MutexLock l(&e->mu);
      e->fetching = false;
      if (keys.ok()) {
        e->keys = std::move(*keys);
        e->fetched_at = now;
        e->last_error = absl::OkStatus();
      } else {
        e->last_error = keys.status();
        fetch_error = keys.status();
      }
    }
  }
  if (!fetch_error.ok()) count(&OidcStats::refresh_failures);

  absl::MutexLock l(&e->mu);
  if (e->keys == nullptr) {
    return e->last_error.ok() ? absl::UnavailableError(absl::StrCat("oidc: \"", issuer,
                                                                    "\": no keys"))
                              : e->last_error;
  }
  std::shared_ptr<const Jwk> k = lookup(e->keys);
  const bool fresh = now < e->fetched_at + options_.cache_ttl;
  if (k != nullptr) {
    count(fresh ? &OidcStats::hits : &OidcStats::stale_served);
    return k;
  }
  count(&OidcStats::misses);
  if (!fetch_error.ok()) {
    // The kid may belong to a rotated key we could not fetch.
    return absl::UnavailableError(absl::StrCat("jwt: unknown kid ", QuoteForMessage(kid),
                                               " and refreshing keys failed: ",
                                               fetch_error.message()));
  }
  return UnknownKidError(kid);
}

}  // namespace enlist::jwt
