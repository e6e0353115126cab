#include "auth/storage/test_backends.h"

#include <memory>
#include <string>

#include "auth/storage/memory_backend.h"
#include "auth/storage/sqlite_backend.h"

namespace enlist::storage {

std::vector<BackendFactory> AllTestBackends() {
  BackendFactory memory;
  memory.name = "Memory";
  memory.open = [](const std::string&,
                   const Clock* clock) -> absl::StatusOr<std::unique_ptr<Backend>> {
    return std::make_unique<MemoryBackend>(clock);
  };
  BackendFactory sqlite;
  sqlite.name = "Sqlite";
  sqlite.persistent = true;
  sqlite.open = [](const std::string& dir,
                   const Clock* clock) -> absl::StatusOr<std::unique_ptr<Backend>> {
    SqliteOptions options;
    options.data_dir = dir;
    options.clock = clock;
    absl::StatusOr<std::unique_ptr<SqliteBackend>> b = SqliteBackend::Open(options);
    if (!b.ok()) return b.status();
    return std::unique_ptr<Backend>(std::move(*b));
  };
  return {memory, sqlite};
}

}  // namespace enlist::storage
