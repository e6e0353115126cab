#include "core/http/http_client.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"

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

}  // namespace enlist::http
