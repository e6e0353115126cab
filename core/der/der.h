// A bounded reader for DER (ITU-T X.690, Distinguished Encoding Rules).
//
// `Reader` is a cursor over a byte span that it does not own. Every read
// checks the remaining length first, so no sequence of calls can read outside
// the span. Only strict DER is accepted: definite lengths in their minimal
// form, low tag numbers (< 31), minimal INTEGER and OID encodings, DER
// BOOLEAN values. Nesting is capped: a reader entering a constructed element
// returns a child reader one level deeper, and entering past the caller's
// maximum depth is an error.
//
// Failures are kInvalidArgument with a message starting "der: " that names
// the X.690 rule broken; callers prefix their own context
// ("pkcs7: signer info: der: ...").
//
// Thread safety: a Reader is a small value type; distinct Readers over the
// same bytes may be used from different threads, one Reader may not.
#ifndef ENLIST_CORE_DER_DER_H_
#define ENLIST_CORE_DER_DER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace enlist::der {

// Identifier octets (X.690 8.1.2) of the universal types used here, and the
// class/form bits for building context-specific tags.
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kObjectIdentifier = 0x06;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kPrintableString = 0x13;
inline constexpr uint8_t kIa5String = 0x16;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kSequence = 0x30;  // constructed
inline constexpr uint8_t kSet = 0x31;       // constructed
inline constexpr uint8_t kConstructed = 0x20;
inline constexpr uint8_t kContextSpecific = 0x80;

// Returns the tag of a context-specific element [n] (n < 31), constructed or
// primitive.
constexpr uint8_t ContextTag(int n, bool constructed) {
  return static_cast<uint8_t>(kContextSpecific | (constructed ? kConstructed : 0) | n);
}

// Limits applied by a Reader and every child reader made from it.
struct Limits {
  // Bytes the top-level span may hold; larger input is rejected by Create.
  size_t max_input_size = 64 * 1024;
  // Depth of constructed elements that may be entered (top level is 0).
  int max_depth = 16;
};

// One element: its tag, its contents octets, and the whole TLV encoding
// (identifier + length + contents), all views into the reader's span.
struct Element {
  uint8_t tag = 0;
  absl::string_view value;
  absl::string_view tlv;
};

class Reader {
 public:
  // Returns a reader over `data` (not copied; it must outlive the reader and
  // every element read from it), or kInvalidArgument when `data` is larger
  // than `limits.max_input_size`.
  static absl::StatusOr<Reader> Create(absl::string_view data, const Limits& limits = Limits());

  // Bytes not yet consumed.
  size_t remaining() const { return data_.size(); }
  bool empty() const { return data_.empty(); }
  // Nesting depth of this reader (0 for the one made by Create).
  int depth() const { return depth_; }

  // Returns the identifier octet of the next element without consuming it;
  // kInvalidArgument at the end of the data or on a high tag number.
  absl::StatusOr<uint8_t> PeekTag() const;

  // Returns true when the next element exists and has tag `tag`.
  bool NextIs(uint8_t tag) const;

  // Reads the next element, whatever its tag.
  absl::StatusOr<Element> ReadAny();

  // Reads the next element and requires its tag to be `tag`.
  absl::StatusOr<Element> ReadElement(uint8_t tag);

  // Reads the next element, which must have the constructed tag `tag`, and
  // returns a reader over its contents one level deeper (kInvalidArgument
  // past Limits::max_depth). When `tlv` is non-null it receives the whole
  // encoding of the element.
  absl::StatusOr<Reader> ReadConstructed(uint8_t tag, absl::string_view* tlv = nullptr);

  // If the next element has tag `tag`, reads it; else returns nullopt and
  // consumes nothing (OPTIONAL and DEFAULT components, X.680 25).
  absl::StatusOr<std::optional<Element>> ReadOptional(uint8_t tag);

  // As ReadOptional for a constructed element, returning a child reader.
  absl::StatusOr<std::optional<Reader>> ReadOptionalConstructed(uint8_t tag,
                                                                absl::string_view* tlv = nullptr);

  // Reads an OBJECT IDENTIFIER and returns its contents octets, validated
  // (X.690 8.19); compare them byte-wise, print them with OidToString.
  absl::StatusOr<absl::string_view> ReadOid();

  // Reads an INTEGER and returns its two's-complement contents octets, which
  // must be minimal (X.690 8.3.2).
  absl::StatusOr<absl::string_view> ReadInteger();

  // Reads an INTEGER that must be in [0, 2^63): for version numbers.
  absl::StatusOr<int64_t> ReadSmallNonNegativeInteger();

  // Reads an OCTET STRING (primitive, X.690 10.2) and returns its contents.
  absl::StatusOr<absl::string_view> ReadOctetString();

  // Reads a BOOLEAN; DER allows only 0x00 and 0xff (X.690 11.1).
  absl::StatusOr<bool> ReadBoolean();

  // Reads a NULL (X.690 8.8: no contents octets).
  absl::Status ReadNull();

  // Reads a UTCTime or GeneralizedTime in the DER/RFC 5280 profile
  // (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ; X.690 11.7, 11.8) and returns it as UTC.
  absl::StatusOr<absl::Time> ReadTime();

  // Returns OK when all bytes were consumed, else kInvalidArgument naming
  // `what` ("der: <what>: trailing data").
  absl::Status ExpectEnd(absl::string_view what) const;

 private:
  Reader(absl::string_view data, const Limits& limits, int depth)
      : data_(data), limits_(limits), depth_(depth) {}

  absl::StatusOr<Reader> Child(const Element& e, uint8_t tag);

  absl::string_view data_;
  Limits limits_;
  int depth_ = 0;
};

// Returns the dotted-decimal form of OID contents octets ("1.2.840.113549"),
// or "<invalid oid>" when they are not a valid encoding. For messages.
std::string OidToString(absl::string_view oid_contents);

// Returns the contents octets of the OID in dotted-decimal form `dotted`, or
// kInvalidArgument when it is not a valid OID (at least two arcs, first arc
// 0..2, second < 40 unless the first is 2).
absl::StatusOr<std::string> OidFromString(absl::string_view dotted);

// Returns OK when `value` is a valid OID contents encoding (X.690 8.19).
absl::Status ValidateOid(absl::string_view value);

}  // namespace enlist::der

#endif  // ENLIST_CORE_DER_DER_H_
