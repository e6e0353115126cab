// Strict base64 (RFC 4648 §4, with padding) and base64url (RFC 4648 §5,
// without padding, as JWS compact serialization and our nonces use it).
//
// Decoders accept exactly one encoding of each byte string: no whitespace,
// no characters from the other alphabet, padding only where required (and
// never for base64url), and the unused trailing bits of the last symbol must
// be zero (RFC 4648 §3.5 "canonical encoding"). All functions are pure and
// thread-safe.
#ifndef ENLIST_CORE_ENCODING_BASE64_H_
#define ENLIST_CORE_ENCODING_BASE64_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace enlist::encoding {

// Returns the standard base64 encoding of `data`, padded with '='.
std::string Base64Encode(absl::string_view data);

// Decodes padded standard base64. Fails with kInvalidArgument
// (`base64: invalid character at offset N`, `base64: invalid length N`,
// `base64: invalid padding`, `base64: non-canonical trailing bits`).
absl::StatusOr<std::string> Base64Decode(absl::string_view text);

// Returns the base64url encoding of `data` without padding.
std::string Base64UrlEncode(absl::string_view data);

// Decodes unpadded base64url. Fails with kInvalidArgument (messages as for
// Base64Decode with the prefix `base64url:`; '=' is an invalid character).
absl::StatusOr<std::string> Base64UrlDecode(absl::string_view text);

}  // namespace enlist::encoding

#endif  // ENLIST_CORE_ENCODING_BASE64_H_
