#include "core/der/der.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"

namespace enlist::der {
namespace {

// Longest length encoding accepted: 4 octets (values < 2^32). Anything longer
// cannot fit the input caps anyway.
constexpr size_t kMaxLengthOctets = 4;

absl::Status Malformed(absl::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat("der: ", msg));
}

std::string TagName(uint8_t tag) { return absl::StrCat("0x", absl::Hex(tag, absl::kZeroPad2)); }

// Parses one TLV at the start of `in`. Never reads past `in`.
absl::StatusOr<Element> ParseTlv(absl::string_view in, size_t max_size) {
  if (in.empty()) return Malformed("unexpected end of data");
  const uint8_t tag = static_cast<uint8_t>(in[0]);
  // X.690 8.1.2.4: tag number 31 in the low bits announces the high tag
  // number form, which nothing we parse uses; reject it explicitly.
  if ((tag & 0x1f) == 0x1f) {
    return Malformed(absl::StrCat("tag ", TagName(tag), ": high tag number form not supported"));
  }
  if (in.size() < 2) return Malformed("truncated length");
  const uint8_t first = static_cast<uint8_t>(in[1]);
  size_t header = 2;
  uint64_t length = 0;
  if (first < 0x80) {
    // X.690 8.1.3.4: short form, one octet.
    length = first;
  } else if (first == 0x80) {
    // X.690 8.1.3.6 indefinite form; X.690 10.1 (DER) forbids it.
    return Malformed(
        absl::StrCat("tag ", TagName(tag), ": indefinite length not allowed (x.690 10.1)"));
  } else if (first == 0xff) {
    // X.690 8.1.3.5 c): 0xff is reserved.
    return Malformed("reserved length octet 0xff");
  } else {
    // X.690 8.1.3.5: long form, (first & 0x7f) subsequent octets.
    const size_t n = first & 0x7f;
    if (n > kMaxLengthOctets) return Malformed("length too large");
    if (in.size() < 2 + n) return Malformed("truncated length");
    for (size_t i = 0; i < n; ++i) {
      length = (length << 8) | static_cast<uint8_t>(in[2 + i]);
    }
    // X.690 10.1: the length must use the minimum number of octets: no
    // leading zero octet, and the long form only for lengths >= 128.
    if (static_cast<uint8_t>(in[2]) == 0 || length < 0x80) {
      return Malformed(
          absl::StrCat("tag ", TagName(tag), ": non-minimal length encoding (x.690 10.1)"));
    }
    header += n;
  }
  if (length > max_size) return Malformed("length exceeds limit");
  if (length > in.size() - header) {
    return Malformed(absl::StrCat("tag ", TagName(tag), ": length ", length, " exceeds remaining ",
                                  in.size() - header, " bytes"));
  }
  Element e;
  e.tag = tag;
  e.value = in.substr(header, length);
  e.tlv = in.substr(0, header + length);
  return e;
}

bool AllDigits(absl::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int Digits(absl::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

}  // namespace

absl::StatusOr<Reader> Reader::Create(absl::string_view data, const Limits& limits) {
  if (data.size() > limits.max_input_size) {
    return Malformed(
        absl::StrCat("input of ", data.size(), " bytes exceeds limit of ", limits.max_input_size));
  }
  return Reader(data, limits, 0);
}

absl::StatusOr<uint8_t> Reader::PeekTag() const {
  if (data_.empty()) return Malformed("unexpected end of data");
  const uint8_t tag = static_cast<uint8_t>(data_[0]);
  if ((tag & 0x1f) == 0x1f) {  // X.690 8.1.2.4
    return Malformed(absl::StrCat("tag ", TagName(tag), ": high tag number form not supported"));
  }
  return tag;
}

bool Reader::NextIs(uint8_t tag) const {
  return !data_.empty() && static_cast<uint8_t>(data_[0]) == tag;
}

absl::StatusOr<Element> Reader::ReadAny() {
  absl::StatusOr<Element> e = ParseTlv(data_, limits_.max_input_size);
  if (!e.ok()) return e.status();
  data_.remove_prefix(e->tlv.size());
  return e;
}

absl::StatusOr<Element> Reader::ReadElement(uint8_t tag) {
  if (data_.empty()) {
    return Malformed(absl::StrCat("expected tag ", TagName(tag), ": unexpected end of data"));
  }
  if (static_cast<uint8_t>(data_[0]) != tag) {
    return Malformed(absl::StrCat("expected tag ", TagName(tag), ", got ",
                                  TagName(static_cast<uint8_t>(data_[0]))));
  }
  return ReadAny();
}

absl::StatusOr<Reader> Reader::Child(const Element& e, uint8_t tag) {
  // X.690 8.1.2.5: bit 6 set means the contents are a series of TLVs.
  if ((tag & kConstructed) == 0) {
    return Malformed(absl::StrCat("tag ", TagName(tag), " is not constructed"));
  }
  if (depth_ + 1 > limits_.max_depth) {
    return Malformed(absl::StrCat("nesting deeper than ", limits_.max_depth));
  }
  return Reader(e.value, limits_, depth_ + 1);
}

absl::StatusOr<Reader> Reader::ReadConstructed(uint8_t tag, absl::string_view* tlv) {
  absl::StatusOr<Element> e = ReadElement(tag);
  if (!e.ok()) return e.status();
  if (tlv != nullptr) *tlv = e->tlv;
  return Child(*e, tag);
}

absl::StatusOr<std::optional<Element>> Reader::ReadOptional(uint8_t tag) {
  if (!NextIs(tag)) return std::optional<Element>();
  absl::StatusOr<Element> e = ReadAny();
  if (!e.ok()) return e.status();
  return std::optional<Element>(*e);
}

absl::StatusOr<std::optional<Reader>> Reader::ReadOptionalConstructed(uint8_t tag,
                                                                      absl::string_view* tlv) {
  if (!NextIs(tag)) return std::optional<Reader>();
  absl::StatusOr<Reader> r = ReadConstructed(tag, tlv);
  if (!r.ok()) return r.status();
  return std::optional<Reader>(*std::move(r));
}

absl::StatusOr<absl::string_view> Reader::ReadOid() {
  absl::StatusOr<Element> e = ReadElement(kObjectIdentifier);
  if (!e.ok()) return e.status();
  absl::Status valid = ValidateOid(e->value);
  if (!valid.ok()) return valid;
  return e->value;
}

absl::StatusOr<absl::string_view> Reader::ReadInteger() {
  absl::StatusOr<Element> e = ReadElement(kInteger);
  if (!e.ok()) return e.status();
  const absl::string_view v = e->value;
  // X.690 8.3.1: at least one contents octet.
  if (v.empty()) return Malformed("integer: empty");
  // X.690 8.3.2: the first nine bits must not be all zeros or all ones.
  if (v.size() > 1) {
    const uint8_t b0 = static_cast<uint8_t>(v[0]);
    const uint8_t b1 = static_cast<uint8_t>(v[1]);
    if ((b0 == 0x00 && (b1 & 0x80) == 0) || (b0 == 0xff && (b1 & 0x80) != 0)) {
      return Malformed("integer: non-minimal encoding (x.690 8.3.2)");
    }
  }
  return v;
}

absl::StatusOr<int64_t> Reader::ReadSmallNonNegativeInteger() {
  absl::StatusOr<absl::string_view> v = ReadInteger();
  if (!v.ok()) return v.status();
  // Two's complement (X.690 8.3.3): the sign is the top bit of octet one.
  if ((static_cast<uint8_t>((*v)[0]) & 0x80) != 0) return Malformed("integer: negative");
  if (v->size() > 8) return Malformed("integer: too large");
  uint64_t out = 0;
  for (char c : *v) out = (out << 8) | static_cast<uint8_t>(c);
  if (out > static_cast<uint64_t>(INT64_MAX)) return Malformed("integer: too large");
  return static_cast<int64_t>(out);
}

absl::StatusOr<absl::string_view> Reader::ReadOctetString() {
  // X.690 10.2: DER uses the primitive form only, so the tag is exactly 0x04.
  absl::StatusOr<Element> e = ReadElement(kOctetString);
  if (!e.ok()) return e.status();
  return e->value;
}

absl::StatusOr<bool> Reader::ReadBoolean() {
  absl::StatusOr<Element> e = ReadElement(kBoolean);
  if (!e.ok()) return e.status();
  // X.690 8.2.1: exactly one contents octet; X.690 11.1: TRUE is 0xff.
  if (e->value.size() != 1) return Malformed("boolean: length must be 1");
  const uint8_t b = static_cast<uint8_t>(e->value[0]);
  if (b == 0x00) return false;
  if (b == 0xff) return true;
  return Malformed("boolean: value must be 0x00 or 0xff (x.690 11.1)");
}

absl::Status Reader::ReadNull() {
  absl::StatusOr<Element> e = ReadElement(kNull);
  if (!e.ok()) return e.status();
  // X.690 8.8.2: no contents octets.
  if (!e->value.empty()) return Malformed("null: must be empty");
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> Reader::ReadTime() {
  absl::StatusOr<uint8_t> tag = PeekTag();
  if (!tag.ok()) return tag.status();
  if (*tag != kUtcTime && *tag != kGeneralizedTime) {
    return Malformed(
        absl::StrCat("time: expected utctime or generalizedtime, got ", TagName(*tag)));
  }
  absl::StatusOr<Element> e = ReadAny();
  if (!e.ok()) return e.status();
  absl::string_view v = e->value;
  int year = 0;
  absl::string_view rest;
  if (*tag == kUtcTime) {
    // X.690 11.8: YYMMDDHHMMSSZ, seconds present, 'Z' required.
    if (v.size() != 13 || v[12] != 'Z' || !AllDigits(v.substr(0, 12))) {
      return Malformed("time: utctime must be yymmddhhmmssz (x.690 11.8)");
    }
    // RFC 5280 4.1.2.5.1: YY >= 50 is 19YY, else 20YY.
    const int yy = Digits(v.substr(0, 2));
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = v.substr(2, 10);
  } else {
    // X.690 11.7: GeneralizedTime ends in 'Z'; RFC 5280 4.1.2.5.2 forbids
    // fractional seconds, so the form is exactly YYYYMMDDHHMMSSZ.
    if (v.size() != 15 || v[14] != 'Z' || !AllDigits(v.substr(0, 14))) {
      return Malformed("time: generalizedtime must be yyyymmddhhmmssz (x.690 11.7)");
    }
    year = Digits(v.substr(0, 4));
    rest = v.substr(4, 10);
  }
  const int month = Digits(rest.substr(0, 2));
  const int day = Digits(rest.substr(2, 2));
  const int hour = Digits(rest.substr(4, 2));
  const int minute = Digits(rest.substr(6, 2));
  const int second = Digits(rest.substr(8, 2));
  const absl::CivilSecond cs(year, month, day, hour, minute, second);
  // CivilSecond normalises out-of-range fields; a round trip detects them.
  if (cs.year() != year || cs.month() != month || cs.day() != day || cs.hour() != hour ||
      cs.minute() != minute || cs.second() != second) {
    return Malformed("time: field out of range");
  }
  return absl::FromCivil(cs, absl::UTCTimeZone());
}

absl::Status Reader::ExpectEnd(absl::string_view what) const {
  if (!data_.empty()) {
    return Malformed(absl::StrCat(what, ": trailing data (", data_.size(), " bytes)"));
  }
  return absl::OkStatus();
}

absl::Status ValidateOid(absl::string_view value) {
  // X.690 8.19.2: at least one subidentifier; each is base-128 with bit 8
  // set on all but its last octet, and its first octet is not 0x80.
  if (value.empty()) return Malformed("oid: empty");
  if ((static_cast<uint8_t>(value.back()) & 0x80) != 0)
    return Malformed("oid: truncated subidentifier");
  bool at_start = true;
  for (char c : value) {
    const uint8_t b = static_cast<uint8_t>(c);
    if (at_start && b == 0x80) return Malformed("oid: non-minimal subidentifier (x.690 8.19.2)");
    at_start = (b & 0x80) == 0;
  }
  return absl::OkStatus();
}

std::string OidToString(absl::string_view value) {
  if (!ValidateOid(value).ok()) return "<invalid oid>";
  std::string out;
  uint64_t sub = 0;
  bool first = true;
  for (char c : value) {
    const uint8_t b = static_cast<uint8_t>(c);
    if (sub > (UINT64_MAX >> 7)) return "<invalid oid>";
    sub = (sub << 7) | (b & 0x7f);
    if ((b & 0x80) != 0) continue;
    if (first) {
      // X.690 8.19.4: the first subidentifier packs the first two arcs.
      if (sub < 40) {
        absl::StrAppend(&out, "0.", sub);
      } else if (sub < 80) {
        absl::StrAppend(&out, "1.", sub - 40);
      } else {
        absl::StrAppend(&out, "2.", sub - 80);
      }
      first = false;
    } else {
      absl::StrAppend(&out, ".", sub);
    }
    sub = 0;
  }
  return out;
}

absl::StatusOr<std::string> OidFromString(absl::string_view dotted) {
  std::vector<uint64_t> arcs;
  for (absl::string_view part : absl::StrSplit(dotted, '.')) {
    uint64_t v = 0;
    if (part.empty() || !AllDigits(part) || !absl::SimpleAtoi(part, &v)) {
      return Malformed(absl::StrCat("oid: invalid arc in \"", dotted, "\""));
    }
    arcs.push_back(v);
  }
  if (arcs.size() < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] >= 40) ||
      arcs[1] > UINT64_MAX - 80) {
    return Malformed(absl::StrCat("oid: invalid first arcs in \"", dotted, "\""));
  }
  std::vector<uint64_t> subs;
  subs.push_back(arcs[0] * 40 + arcs[1]);  // X.690 8.19.4
  for (size_t i = 2; i < arcs.size(); ++i) subs.push_back(arcs[i]);
  std::string out;
  for (uint64_t s : subs) {
    // X.690 8.19.2: base 128, most significant group first, minimal.
    char buf[10];
    int n = 0;
    do {
      buf[n++] = static_cast<char>(s & 0x7f);
      s >>= 7;
    } while (s != 0);
    for (int i = n - 1; i >= 0; --i) {
      out.push_back(static_cast<char>(buf[i] | (i > 0 ? 0x80 : 0)));
    }
  }
  return out;
}

}  // namespace enlist::der
