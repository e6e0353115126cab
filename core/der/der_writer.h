// A small DER writer (X.690): builds TLVs from already-encoded parts. Used
// by programs that produce DER structures — the auth server's certificates
// (auth/ca/x509_issuer), the Azure emulator's CMS SignedData — and, through
// core/der/testing:der_writer, by tests that assemble valid and
// deliberately malformed inputs. It trusts its inputs: it does not sort SETs
// or check that parts are themselves valid DER.
// All functions are pure and thread-safe.
#ifndef ENLIST_CORE_DER_DER_WRITER_H_
#define ENLIST_CORE_DER_DER_WRITER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::der::write {

// Returns the minimal DER length octets for `length` (X.690 8.1.3, 10.1).
std::string Length(size_t length);

// Returns tag || Length(value.size()) || value.
std::string Tlv(uint8_t tag, absl::string_view value);

// Returns the concatenation of `parts`.
std::string Cat(const std::vector<std::string>& parts);

// SEQUENCE / SET of the concatenated parts (the SET is not sorted).
std::string Seq(const std::vector<std::string>& parts);
std::string Set(const std::vector<std::string>& parts);

// [n] constructed context-specific wrapper around the concatenated parts
// (EXPLICIT tagging, or IMPLICIT tagging of a constructed type).
std::string Context(int n, const std::vector<std::string>& parts);

// OBJECT IDENTIFIER from dotted text ("1.2.840.113549.1.7.2").
// kInvalidArgument for text that is not an OID.
absl::StatusOr<std::string> Oid(absl::string_view dotted);

// INTEGER with the minimal encoding of a non-negative value.
std::string Integer(uint64_t value);

// INTEGER with exactly these contents octets (may be non-minimal).
std::string IntegerBytes(absl::string_view contents);

// OCTET STRING, NULL and BOOLEAN (DER: true is 0xff).
std::string OctetString(absl::string_view contents);
std::string Null();
std::string Boolean(bool value);

// UTCTime YYMMDDHHMMSSZ for `t` (meaningful for years 1950..2049).
std::string UtcTime(absl::Time t);

// A certificate validity time as RFC 5280 section 4.1.2.5 requires: UTCTime
// for years 1950 through 2049, GeneralizedTime YYYYMMDDHHMMSSZ otherwise;
// whole seconds (a fraction is dropped). kInvalidArgument outside years
// 0001..9999.
absl::StatusOr<std::string> CertificateTime(absl::Time t);

// BIT STRING of whole octets (no unused bits), e.g. a signature.
std::string BitString(absl::string_view octets);

}  // namespace enlist::der::write

#endif  // ENLIST_CORE_DER_DER_WRITER_H_
