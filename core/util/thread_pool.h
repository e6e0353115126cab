// A fixed set of worker threads for blocking work (checks that do I/O) that
// must stay off gRPC's callback threads. Created once; no per-task threads.
#ifndef ENLIST_CORE_UTIL_THREAD_POOL_H_
#define ENLIST_CORE_UTIL_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace enlist {

class ThreadPool {
 public:
  // Starts `threads` workers (at least one).
  explicit ThreadPool(int threads);
  // Runs every queued task, then joins the workers.
  ~ThreadPool();

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Queues `task`. Thread-safe. Tasks submitted after destruction began
  // still run before the destructor returns.
  void Submit(std::function<void()> task);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace enlist

#endif  // ENLIST_CORE_UTIL_THREAD_POOL_H_
