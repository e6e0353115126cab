// Test helpers shared by the backend conformance suite and the typed stores'
// tests: how to make a backend of one implementation, and scratch
// directories. testonly.
#ifndef ENLIST_AUTH_STORAGE_BACKEND_TESTING_H_
#define ENLIST_AUTH_STORAGE_BACKEND_TESTING_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/storage/backend.h"
#include "core/util/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace enlist::storage {

// How tests make backends of one implementation.
struct BackendFactory {
  // Test-name suffix, [A-Za-z0-9_] only ("Memory", "Sqlite").
  std::string name;
  // Opens a backend at `location` (a directory unique to the test, created
  // empty by the test) whose expiry follows `clock` (not owned; outlives the
  // backend). Opening the same location again must see the same data when
  // `persistent` is set; a fresh location must be empty.
  std::function<absl::StatusOr<std::unique_ptr<Backend>>(const std::string& location,
                                                         const Clock* clock)>
      open;
  // Data and revision counter survive closing and reopening `location`.
  bool persistent = false;
  // Expiry is decided by the `clock` given to `open` (false for a backend
  // whose server keeps time itself, like etcd's leases).
  bool clock_controls_expiry = true;
};

// For test-name printing.
inline std::ostream& operator<<(std::ostream& os, const BackendFactory& f) {
  return os << f.name;
}

// Names parameterised instantiations after BackendFactory::name.
inline std::string BackendFactoryName(const ::testing::TestParamInfo<BackendFactory>& info) {
  return info.param.name;
}

// A directory under TEST_TMPDIR (or /tmp), unique to this call, created empty.
std::string MakeTestDir(absl::string_view label);

// Asserts a status's code and that its message contains `substr`.
#define ENLIST_EXPECT_STATUS(expr, code_, substr)                            \
  do {                                                                       \
    const ::absl::Status enlist_s_ = (expr);                                 \
    EXPECT_EQ(enlist_s_.code(), (code_)) << enlist_s_;                       \
    EXPECT_THAT(std::string(enlist_s_.message()), ::testing::HasSubstr(substr)) \
        << enlist_s_;                                                        \
  } while (false)

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_BACKEND_TESTING_H_
