#include "core/der/der_writer.h"

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

}  // namespace enlist::der::write
