#include "core/http/http_client.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace enlist::http {

const std::string* HttpResponse::FindHeader(absl::string_view name) const {
  for (const Header& h : headers) {
    if (absl::EqualsIgnoreCase(h.first, name)) return &h.second;
  }
  return nullptr;
}

std::string HttpResponse::ContentType() const {
  const std::string* v = FindHeader("content-type");
  return v == nullptr ? std::string() : *v;
}

std::optional<absl::Duration> HttpResponse::RetryAfter() const {
  const std::string* v = FindHeader("retry-after");
  if (v == nullptr) return std::nullopt;
  absl::string_view s = absl::StripAsciiWhitespace(*v);
  if (s.empty() || s.size() > 9) return std::nullopt;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  int64_t seconds;
  if (!absl::SimpleAtoi(s, &seconds)) return std::nullopt;
  return absl::Seconds(seconds);
}

namespace {

bool IsSecretParam(absl::string_view name) {
  static constexpr absl::string_view kSecret[] = {
      "nonce", "code", "token", "access_token", "id_token", "client_secret", "sig", "signature"};
  for (absl::string_view s : kSecret) {
    if (absl::EqualsIgnoreCase(name, s)) return true;
  }
  return false;
}

}  // namespace

std::string RedactUrl(absl::string_view url) {
  // userinfo: scheme://user:password@host
  std::string base(url);
  const size_t scheme_end = base.find("://");
  if (scheme_end != std::string::npos) {
    const size_t authority = scheme_end + 3;
    const size_t authority_end = std::min(base.find_first_of("/?#", authority), base.size());
    const size_t at = base.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
    if (at != std::string::npos && at >= authority) {
      const size_t colon = base.find(':', authority);
      if (colon != std::string::npos && colon < at) {
        base = absl::StrCat(base.substr(0, colon), ":xxxxx", base.substr(at));
      }
    }
  }
  const size_t q = base.find('?');
  if (q == std::string::npos) return base;
  const size_t frag = base.find('#', q);
  absl::string_view query = absl::string_view(base).substr(
      q + 1, frag == std::string::npos ? absl::string_view::npos : frag - q - 1);
  std::string out = base.substr(0, q + 1);
  bool first = true;
  for (absl::string_view param : absl::StrSplit(query, '&')) {
    if (!first) out.push_back('&');
    first = false;
    const size_t eq = param.find('=');
    if (eq != absl::string_view::npos && IsSecretParam(param.substr(0, eq))) {
      absl::StrAppend(&out, param.substr(0, eq), "=REDACTED");
    } else {
      absl::StrAppend(&out, param);
    }
  }
  if (frag != std::string::npos) absl::StrAppend(&out, base.substr(frag));
  return out;
}

std::string ErrorPrefix(absl::string_view verb, absl::string_view url) {
  return absl::StrCat(verb, " \"", RedactUrl(url), "\": ");
}

}  // namespace enlist::http
