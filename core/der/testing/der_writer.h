// A tiny DER writer for tests: builds TLVs from parts so tests can assemble
// valid and deliberately malformed structures (SignedData, certificates'
// fragments) without a second parser or opaque blobs. The functions are
// core/der/der_writer.h's, except Oid, which aborts the test binary on bad
// input instead of returning a status. Test-only.
#ifndef ENLIST_CORE_DER_TESTING_DER_WRITER_H_
#define ENLIST_CORE_DER_TESTING_DER_WRITER_H_

#include <string>

#include "absl/strings/string_view.h"
#include "core/der/der_writer.h"

namespace enlist::der::testing {

using ::enlist::der::write::Boolean;
using ::enlist::der::write::Cat;
using ::enlist::der::write::Context;
using ::enlist::der::write::Integer;
using ::enlist::der::write::IntegerBytes;
using ::enlist::der::write::Length;
using ::enlist::der::write::Null;
using ::enlist::der::write::OctetString;
using ::enlist::der::write::Seq;
using ::enlist::der::write::Set;
using ::enlist::der::write::Tlv;
using ::enlist::der::write::UtcTime;

// OBJECT IDENTIFIER from dotted text; aborts the test binary on bad input.
std::string Oid(absl::string_view dotted);

}  // namespace enlist::der::testing

#endif  // ENLIST_CORE_DER_TESTING_DER_WRITER_H_
