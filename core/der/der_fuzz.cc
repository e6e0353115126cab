// Fuzz target: walks arbitrary bytes as a DER tree with every typed read the
// Reader offers. Must never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>

#include "core/der/der.h"

namespace {

void Walk(enlist::der::Reader r) {
  while (!r.empty()) {
    absl::StatusOr<uint8_t> tag = r.PeekTag();
    if (!tag.ok()) return;
    enlist::der::Reader copy = r;
    switch (*tag) {
      case enlist::der::kInteger:
        (void)copy.ReadInteger();
        (void)copy.ReadSmallNonNegativeInteger();
        break;
      case enlist::der::kObjectIdentifier: {
        absl::StatusOr<absl::string_view> oid = copy.ReadOid();
        if (oid.ok()) (void)enlist::der::OidToString(*oid);
        break;
      }
      case enlist::der::kBoolean:
        (void)copy.ReadBoolean();
        break;
      case enlist::der::kUtcTime:
      case enlist::der::kGeneralizedTime:
        (void)copy.ReadTime();
        break;
      default:
        break;
    }
    if ((*tag & enlist::der::kConstructed) != 0) {
      absl::StatusOr<enlist::der::Reader> child = r.ReadConstructed(*tag);
      if (!child.ok()) return;
      Walk(*child);
    } else if (!r.ReadAny().ok()) {
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  enlist::der::Limits limits;
  limits.max_depth = 32;
  absl::StatusOr<enlist::der::Reader> r = enlist::der::Reader::Create(
      absl::string_view(reinterpret_cast<const char*>(data), size), limits);
  if (r.ok()) Walk(*r);
  return 0;
}
