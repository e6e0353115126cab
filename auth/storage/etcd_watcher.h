// Follows changes under an etcd key range with etcd's Watch stream, on its
// own thread, reconnecting (to the next member) from the last revision it
// delivered. Caches (tokens, the CA) use it to drop stale entries.
#ifndef ENLIST_AUTH_STORAGE_ETCD_WATCHER_H_
#define ENLIST_AUTH_STORAGE_ETCD_WATCHER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "auth/storage/backend.h"
#include "auth/storage/etcd_client.h"

namespace enlist::storage {

// One change seen by a watcher.
struct WatchEvent {
  enum class Type {
    kPut,     // `item` was written (created, replaced)
    kDelete,  // `item.key` was deleted or expired (`item.value` empty)
    // Changes were missed (etcd compacted past the watcher's revision):
    // forget everything cached under the prefix. `item` is empty.
    kReset,
  };
  Type type = Type::kPut;
  // Backend key (without the etcd prefix), value and revisions.
  Item item;
};

// Thread-safe; destroying it stops the thread (waiting for a callback in
// progress to return).
class EtcdWatcher {
 public:
  using Callback = std::function<void(const WatchEvent&)>;

  // Watches etcd keys [etcd_key, etcd_end) and reports them with
  // `strip_prefix` removed from keys. `after_revision` 0 starts from now.
  // `client` outlives the watcher.
  EtcdWatcher(EtcdClient* client, std::string etcd_key, std::string etcd_end,
              std::string strip_prefix, int64_t after_revision, Callback on_event);
  ~EtcdWatcher();
  EtcdWatcher(const EtcdWatcher&) = delete;
  EtcdWatcher& operator=(const EtcdWatcher&) = delete;

  // Blocks until the watch is established on some member (or `timeout`
  // passes); true if it is. Events after this point are never missed.
  bool WaitUntilWatching(absl::Duration timeout);
  // The newest revision delivered (or the start revision).
  int64_t revision() const;

 private:
  void Run();
  // One stream's life; returns when it breaks or the watcher stops.
  void RunStream();

  EtcdClient* client_;
  const std::string key_, end_, strip_;
  Callback on_event_;
  mutable absl::Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_);
  bool watching_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_ETCD_WATCHER_H_
