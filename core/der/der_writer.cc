#include "core/der/der_writer.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "core/der/der.h"

namespace enlist::der::write {

std::string Length(size_t length) {
  if (length < 0x80) return std::string(1, static_cast<char>(length));
  std::string octets;
  while (length > 0) {
    octets.insert(octets.begin(), static_cast<char>(length & 0xff));
    length >>= 8;
  }
  return std::string(1, static_cast<char>(0x80 | octets.size())) + octets;
}

std::string Tlv(uint8_t tag, absl::string_view value) {
  return std::string(1, static_cast<char>(tag)) + Length(value.size()) + std::string(value);
}

std::string Cat(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += p;
  return out;
}

std::string Seq(const std::vector<std::string>& parts) { return Tlv(kSequence, Cat(parts)); }
std::string Set(const std::vector<std::string>& parts) { return Tlv(kSet, Cat(parts)); }

std::string Context(int n, const std::vector<std::string>& parts) {
  return Tlv(ContextTag(n, /*constructed=*/true), Cat(parts));
}

absl::StatusOr<std::string> Oid(absl::string_view dotted) {
  absl::StatusOr<std::string> contents = OidFromString(dotted);
  if (!contents.ok()) return contents.status();
  return Tlv(kObjectIdentifier, *contents);
}

std::string Integer(uint64_t value) {
  std::string octets;
  do {
    octets.insert(octets.begin(), static_cast<char>(value & 0xff));
    value >>= 8;
  } while (value != 0);
  if ((static_cast<uint8_t>(octets[0]) & 0x80) != 0) octets.insert(octets.begin(), '\0');
  return Tlv(kInteger, octets);
}

std::string IntegerBytes(absl::string_view contents) { return Tlv(kInteger, contents); }
std::string OctetString(absl::string_view contents) { return Tlv(kOctetString, contents); }
std::string Null() { return Tlv(kNull, ""); }
std::string Boolean(bool value) { return Tlv(kBoolean, std::string(1, value ? '\xff' : '\0')); }

std::string UtcTime(absl::Time t) {
  return Tlv(kUtcTime, absl::FormatTime("%y%m%d%H%M%SZ", t, absl::UTCTimeZone()));
}

absl::StatusOr<std::string> CertificateTime(absl::Time t) {
  const absl::CivilSecond civil = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (civil.year() < 1 || civil.year() > 9999) {
    return absl::InvalidArgumentError(
        absl::StrCat("der: time in year ", civil.year(), " cannot be encoded (years 1-9999)"));
  }
  if (civil.year() >= 1950 && civil.year() <= 2049) return UtcTime(t);
  return Tlv(kGeneralizedTime,
             absl::StrFormat("%04d%02d%02d%02d%02d%02dZ", civil.year(), civil.month(), civil.day(),
                             civil.hour(), civil.minute(), civil.second()));
}

std::string BitString(absl::string_view octets) {
  return Tlv(kBitString, std::string(1, '\0') + std::string(octets));
}

}  // namespace enlist::der::write
