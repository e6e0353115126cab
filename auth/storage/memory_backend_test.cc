#include "auth/storage/memory_backend.h"

#include "auth/storage/backend_conformance.h"
#include "gtest/gtest.h"

namespace enlist::storage {
namespace {

BackendFactory MemoryFactory() {
  BackendFactory f;
  f.name = "Memory";
  f.open = [](const std::string&,
              const Clock* clock) -> absl::StatusOr<std::unique_ptr<Backend>> {
    return std::make_unique<MemoryBackend>(clock);
  };
  return f;
}

INSTANTIATE_TEST_SUITE_P(Memory, BackendConformanceTest, ::testing::Values(MemoryFactory()),
                         BackendFactoryName);

}  // namespace
}  // namespace enlist::storage
