// Follows changes under an etcd key range with etcd's Watch stream, on its
// own thread, reconnecting (to the next member, after a jittered backoff)
// when the stream breaks. Two modes:
//   - resume (after_revision >= 0): events after `after_revision` (0: from
//     when the stream is created); a reconnection resumes after the last
//     revision delivered; when etcd compacted past it, kReset is reported
//     and the watch restarts from the current revision.
//   - snapshot (after_revision == kWatchSnapshot): every (re)connection
//     reads the range at one revision R (paged, pinned to R), reports kReset
//     and a kPut per key, then watches from R+1. A consumer that applies the
//     events in order holds an exact copy of the range, up to the watch lag,
//     whatever happened while it was disconnected (compaction included).
// Caches (tokens, the shared CA) use the snapshot mode (storage::Watch).
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
#include "auth/storage/watch.h"

namespace enlist::storage {

// `after_revision` value selecting the snapshot mode.
inline constexpr int64_t kWatchSnapshot = -1;

// Thread-safe; destroying it stops the thread (waiting for a callback in
// progress to return). Callbacks run on the watcher's thread, one at a
// time, in revision order; they must not destroy the watcher.
class EtcdWatcher final : public Watch {
 public:
  using Callback = WatchCallback;

  // Watches etcd keys [etcd_key, etcd_end) and reports them with
  // `strip_prefix` removed from keys. `after_revision`: see the modes above.
  // `client` outlives the watcher.
  EtcdWatcher(EtcdClient* client, std::string etcd_key, std::string etcd_end,
              std::string strip_prefix, int64_t after_revision, Callback on_event);
  ~EtcdWatcher() override;
  EtcdWatcher(const EtcdWatcher&) = delete;
  EtcdWatcher& operator=(const EtcdWatcher&) = delete;

  // Blocks until the watch is established on some member (or `timeout`
  // passes); true if it is. Events after this point are never missed.
  bool WaitUntilWatching(absl::Duration timeout) override;
  // Established now (after the snapshot, in the snapshot mode).
  bool watching() const override;
  // The newest revision delivered (or the start revision).
  int64_t revision() const;
  // Streams established so far (1 after the first connection; each
  // reconnection adds one).
  int64_t connections() const;

 private:
  void Run();
  // One stream's life; returns when it breaks or the watcher stops. True if
  // the stream was established.
  bool RunStream();
  // Snapshot mode: reads the range and reports kReset + kPut per key; sets
  // revision_ to the snapshot's revision. False if etcd could not be read.
  bool DeliverSnapshot();
  bool Stopping() const;

  EtcdClient* client_;
  const std::string key_, end_, strip_;
  const bool snapshot_;
  Callback on_event_;
  mutable absl::Mutex mu_;
  int64_t revision_ ABSL_GUARDED_BY(mu_);
  bool watching_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int64_t connections_ ABSL_GUARDED_BY(mu_) = 0;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::thread thread_;
};

}  // namespace enlist::storage

#endif  // ENLIST_AUTH_STORAGE_ETCD_WATCHER_H_
