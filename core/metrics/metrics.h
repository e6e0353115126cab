// Counters, gauges and histograms exported in the Prometheus text format.
// Lock-free on the hot path (atomics); label sets are created under a mutex
// once and then reused. Thread-safe.
#ifndef ENLIST_CORE_METRICS_METRICS_H_
#define ENLIST_CORE_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace enlist::metrics {

// A monotonically increasing count, optionally split by label values.
class Counter {
 public:
  Counter(std::string name, std::string help, std::vector<std::string> labels = {});
  // Adds `n` to the series with these label values (one per label name).
  void Add(const std::vector<std::string>& label_values, uint64_t n = 1);
  void Inc() { Add({}, 1); }
  uint64_t Value(const std::vector<std::string>& label_values = {}) const;
  void Render(std::string* out) const;

 private:
  std::string name_, help_;
  std::vector<std::string> labels_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<std::atomic<uint64_t>>> series_ ABSL_GUARDED_BY(mu_);
};

// A value read when rendered (e.g. open streams, cache sizes).
class GaugeFunc {
 public:
  GaugeFunc(std::string name, std::string help, std::function<double()> read)
      : name_(std::move(name)), help_(std::move(help)), read_(std::move(read)) {}
  void Render(std::string* out) const;

 private:
  std::string name_, help_;
  std::function<double()> read_;
};

// A histogram with fixed upper bounds (seconds, bytes, ...).
class Histogram {
 public:
  Histogram(std::string name, std::string help, std::vector<double> bounds,
            std::vector<std::string> labels = {});
  void Observe(const std::vector<std::string>& label_values, double v);
  void Render(std::string* out) const;

 private:
  struct Series {
    explicit Series(size_t n) : buckets(n) {}
    std::vector<std::atomic<uint64_t>> buckets;  // cumulative on render
    std::atomic<uint64_t> count{0};
    std::atomic<uint64_t> sum_micro{0};  // sum in millionths
  };
  std::string name_, help_;
  std::vector<double> bounds_;
  std::vector<std::string> labels_;
  mutable absl::Mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_ ABSL_GUARDED_BY(mu_);
};

// A set of metrics rendered together. Metrics are owned by the caller and
// must outlive the registry.
class Registry {
 public:
  void Add(const Counter* c);
  void Add(const GaugeFunc* g);
  void Add(const Histogram* h);
  // The Prometheus text exposition (version 0.0.4).
  std::string Render() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<std::function<void(std::string*)>> renderers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace enlist::metrics

#endif  // ENLIST_CORE_METRICS_METRICS_H_
