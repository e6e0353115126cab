#include "core/der/testing/der_writer.h"

#include <cstdio>
#include <cstdlib>

#include "absl/status/statusor.h"

namespace enlist::der::testing {

std::string Oid(absl::string_view dotted) {
  absl::StatusOr<std::string> oid = write::Oid(dotted);
  if (!oid.ok()) {
    std::fprintf(stderr, "der_writer: bad oid %s\n", std::string(dotted).c_str());
    std::abort();
  }
  return *std::move(oid);
}

}  // namespace enlist::der::testing
