// The Backend conformance suite: one set of tests every Backend
// implementation must pass (MemoryBackend, SqliteBackend, and later etcd).
//
// A backend's test instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, BackendConformanceTest,
//                            ::testing::Values(SqliteFactory()),
//                            BackendConformanceTest::FactoryName);
//
// The tests themselves live in backend_conformance.cc (linked with
// alwayslink so their registrations reach the test binary).
#ifndef ENLIST_AUTH_STORAGE_BACKEND_CONFORMANCE_H_
#define ENLIST_AUTH_STORAGE_BACKEND_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "auth/storage/backend.h"
#include "core/util/clock.h"
#include "gtest/gtest.h"

namespace enlist::storage {

// How the suite makes backends of one implementation.
struct BackendFactory {
  // Test-name suffix, [A-Za-z0-9_] only ("Memory", "Sqlite").
  std::string name;
  // Opens a backend at `location` (a directory unique to the test, created
  // empty by the suite) whose expiry follows `clock` (not owned; outlives the
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

// The suite. Each test gets a fresh location, a ManualClock at a fixed time,
// and a backend opened there.
class BackendConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 public:
  // Names instantiations after BackendFactory::name.
  static std::string FactoryName(const ::testing::TestParamInfo<BackendFactory>& info) {
    return info.param.name;
  }

 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens another backend at the test's location (closing none).
  absl::StatusOr<std::unique_ptr<Backend>> Reopen();

  std::string location_;
  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<Backend> backend_;
};

// A directory under TEST_TMPDIR, unique within the process, created empty.
std::string MakeTestDir(absl::string_view label);

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_BACKEND_CONFORMANCE_H_
