// Test-only access to the real Azure fixtures in testdata/azure-real/ (see
// SOURCES.md there): file reading, the DER inside an attested-data JSON, and
// the document's own createdOn time. The JSON handling is a minimal string
// extraction for tests only; production code uses core/json.
#ifndef ENLIST_CORE_CRYPTO_TESTING_AZURE_FIXTURES_H_
#define ENLIST_CORE_CRYPTO_TESTING_AZURE_FIXTURES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::crypto::testing {

// Directory of the fixtures, relative to the test's working directory.
inline constexpr char kAzureRealDir[] = "testdata/azure-real";

// Returns the bytes of `path`, or kNotFound.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path);

// Returns the base64-decoded value of the "signature" member of the
// attested-data JSON `json` (the CMS SignedData DER).
absl::StatusOr<std::string> AttestedSignatureDer(absl::string_view json);

// Returns timeStamp.createdOn ("MM/DD/YY HH:MM:SS -0000") of the attested
// payload JSON `content` as a UTC time.
absl::StatusOr<absl::Time> AttestedCreatedOn(absl::string_view content);

// Returns the value of string member `key` in `json` (first occurrence, no
// escapes handled: fine for the fixtures, never for production input).
absl::StatusOr<std::string> JsonStringMember(absl::string_view json, absl::string_view key);

}  // namespace enlist::crypto::testing

#endif  // ENLIST_CORE_CRYPTO_TESTING_AZURE_FIXTURES_H_
