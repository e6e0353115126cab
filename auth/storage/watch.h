// Following changes to a range of Backend keys: the event type, a running
// watch, and how consumers (caches of tokens and of the shared CA) are
// given one. etcd implements it (EtcdWatcher); the contract is here so that
// consumers do not depend on etcd or gRPC.
#ifndef ENLIST_AUTH_STORAGE_WATCH_H_
#define ENLIST_AUTH_STORAGE_WATCH_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "auth/storage/backend.h"

namespace enlist::storage {

// One change seen by a watch.
struct WatchEvent {
  enum class Type {
    kPut,     // `item` was written (created, replaced)
    kDelete,  // `item.key` was deleted or expired (`item.value` empty)
    // Forget everything known under the prefix: changes may have been
    // missed (etcd compacted past the watch's revision) or a snapshot
    // follows. `item` is empty.
    kReset,
  };
  Type type = Type::kPut;
  // Backend key (without the etcd prefix), value and revisions. `expires`
  // is not set.
  Item item;
};

using WatchCallback = std::function<void(const WatchEvent&)>;

// A running watch; destroying it stops the callbacks (waiting for one in
// progress to return). Thread-safe.
class Watch {
 public:
  virtual ~Watch() = default;
  // True while the watch is established and everything it reported so far
  // is current up to the watch's lag; false while it is (re)connecting.
  // A consumer must not answer from what it learnt through the watch while
  // this is false.
  virtual bool watching() const = 0;
  // Blocks until watching() is true or `timeout` passes; returns watching().
  virtual bool WaitUntilWatching(absl::Duration timeout) = 0;
};

// Starts a snapshot watch on keys starting with `key_prefix` (e.g.
// "/tokens/"): on every (re)connection the callback first gets kReset, then
// kPut for every key present (one consistent revision), then the changes
// after that revision, in order. watching() turns true only once the
// snapshot is delivered and the change stream is established.
using WatchFactory = std::function<absl::StatusOr<std::unique_ptr<Watch>>(
    absl::string_view key_prefix, WatchCallback on_event)>;

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_WATCH_H_
