// The Backend conformance suite: one set of tests every Backend
// implementation must pass (MemoryBackend, SqliteBackend, and later etcd).
//
// A backend's test instantiates it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, BackendConformanceTest,
//                            ::testing::Values(SqliteFactory()),
//                            BackendFactoryName);
//
// The tests themselves live in backend_conformance.cc (linked with
// alwayslink so their registrations reach the test binary).
#ifndef ENLIST_AUTH_STORAGE_BACKEND_CONFORMANCE_H_
#define ENLIST_AUTH_STORAGE_BACKEND_CONFORMANCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "auth/storage/backend.h"
#include "auth/storage/backend_testing.h"
#include "core/util/clock.h"
#include "gtest/gtest.h"

namespace enlist::storage {

// The suite. Each test gets a fresh location, a ManualClock at a fixed time,
// and a backend opened there.
class BackendConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Opens another backend at the test's location (closing none).
  absl::StatusOr<std::unique_ptr<Backend>> Reopen();

  std::string location_;
  ManualClock clock_{absl::FromUnixSeconds(1700000000)};
  std::unique_ptr<Backend> backend_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_BACKEND_CONFORMANCE_H_
