#include "core/crypto/testing/azure_fixtures.h"

#include <fstream>
#include <iterator>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace enlist::crypto::testing {

absl::StatusOr<std::string> ReadFileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

absl::StatusOr<std::string> JsonStringMember(absl::string_view json, absl::string_view key) {
  const std::string needle = absl::StrCat("\"", key, "\":\"");
  const size_t start = json.find(needle);
  if (start == absl::string_view::npos) return absl::NotFoundError(absl::StrCat("no ", key));
  const size_t begin = start + needle.size();
  const size_t end = json.find('"', begin);
  if (end == absl::string_view::npos) return absl::InvalidArgumentError("unterminated string");
  return std::string(json.substr(begin, end - begin));
}

absl::StatusOr<std::string> AttestedSignatureDer(absl::string_view json) {
  absl::StatusOr<std::string> b64 = JsonStringMember(json, "signature");
  if (!b64.ok()) return b64.status();
  std::string der;
  if (!absl::Base64Unescape(*b64, &der)) return absl::InvalidArgumentError("bad base64");
  return der;
}

absl::StatusOr<absl::Time> AttestedCreatedOn(absl::string_view content) {
  absl::StatusOr<std::string> s = JsonStringMember(content, "createdOn");
  if (!s.ok()) return s.status();
  absl::Time t;
  std::string err;
  if (!absl::ParseTime("%m/%d/%y %H:%M:%S %z", *s, &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("bad createdOn: ", err));
  }
  return t;
}

}  // namespace enlist::crypto::testing
