// A tiny DER writer for tests: builds TLVs from parts so tests can assemble
// valid and deliberately malformed structures (SignedData, certificates'
// fragments) without a second parser or opaque blobs. Test-only: it trusts
// its inputs and does no validation beyond what is documented.
#ifndef ENLIST_CORE_DER_TESTING_DER_WRITER_H_
#define ENLIST_CORE_DER_TESTING_DER_WRITER_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::der::testing {

// Returns the minimal DER length octets for `length` (X.690 8.1.3, 10.1).
std::string Length(size_t length);

// Returns tag || Length(value.size()) || value.
std::string Tlv(uint8_t tag, absl::string_view value);

// Returns the concatenation of `parts`.
std::string Cat(const std::vector<std::string>& parts);

// SEQUENCE / SET of the concatenated parts (the SET is not sorted).
std::string Seq(const std::vector<std::string>& parts);
std::string Set(const std::vector<std::string>& parts);

// [n] EXPLICIT / IMPLICIT-constructed wrapper around the concatenated parts.
std::string Context(int n, const std::vector<std::string>& parts);

// OBJECT IDENTIFIER from dotted text; aborts the test binary on bad input.
std::string Oid(absl::string_view dotted);

// INTEGER with the minimal encoding of a non-negative value.
std::string Integer(uint64_t value);

// INTEGER with exactly these contents octets (may be non-minimal).
std::string IntegerBytes(absl::string_view contents);

std::string OctetString(absl::string_view contents);
std::string Null();
std::string Boolean(bool value);

// UTCTime YYMMDDHHMMSSZ for `t` (years 1950..2049).
std::string UtcTime(absl::Time t);

}  // namespace enlist::der::testing

#endif  // ENLIST_CORE_DER_TESTING_DER_WRITER_H_
