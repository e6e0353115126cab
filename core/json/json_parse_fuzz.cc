// Fuzz target: json::Parse on arbitrary bytes. Anything it accepts must
// serialize and re-parse to an equal value (the serializer is the inverse of
// the parser on the accepted language).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "core/json/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  enlist::json::ParseOptions options;
  options.max_size = 64 * 1024;
  options.max_depth = 32;
  absl::StatusOr<enlist::json::Value> v = enlist::json::Parse(text, options);
  if (!v.ok()) return 0;
  // Accessors must not crash on any value.
  (void)v->AsInt64();
  (void)v->AsDouble();
  (void)v->GetString("nonce");
  const std::string out = enlist::json::Serialize(*v);
  absl::StatusOr<enlist::json::Value> again = enlist::json::Parse(out, options);
  if (!again.ok() || !(*again == *v)) std::abort();
  return 0;
}
