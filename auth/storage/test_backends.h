// Backend factories for the typed stores' tests: each store test runs over
// every backend. testonly.
#ifndef ENLIST_AUTH_STORAGE_TEST_BACKENDS_H_
#define ENLIST_AUTH_STORAGE_TEST_BACKENDS_H_

#include <vector>

#include "auth/storage/backend_testing.h"

namespace enlist::storage {

// MemoryBackend and SqliteBackend (in a file under the given location).
std::vector<BackendFactory> AllTestBackends();

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_TEST_BACKENDS_H_
