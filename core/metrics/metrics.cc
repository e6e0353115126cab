#include "core/metrics/metrics.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace enlist::metrics {
namespace {

std::string EscapeLabel(absl::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      absl::string_view extra = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    absl::StrAppend(&out, out.empty() ? "" : ",", names[i], "=\"", EscapeLabel(values[i]), "\"");
  }
  if (!extra.empty()) absl::StrAppend(&out, out.empty() ? "" : ",", extra);
  return out.empty() ? "" : absl::StrCat("{", out, "}");
}

std::string Number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return absl::StrFormat("%.17g", v);
}

std::vector<std::string> Fit(std::vector<std::string> v, size_t n) {
  v.resize(n);
  return v;
}

}  // namespace

Counter::Counter(std::string name, std::string help, std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), labels_(std::move(labels)) {}

void Counter::Add(const std::vector<std::string>& values, uint64_t n) {
  std::vector<std::string> key = Fit(values, labels_.size());
  std::atomic<uint64_t>* cell;
  {
    absl::MutexLock l(&mu_);
    auto& slot = series_[key];
    if (slot == nullptr) slot = std::make_unique<std::atomic<uint64_t>>(0);
    cell = slot.get();
  }
  cell->fetch_add(n, std::memory_order_relaxed);
}

uint64_t Counter::Value(const std::vector<std::string>& values) const {
  absl::MutexLock l(&mu_);
  auto it = series_.find(Fit(values, labels_.size()));
  return it == series_.end() ? 0 : it->second->load();
}

void Counter::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", help_, "\n# TYPE ", name_, " counter\n");
  absl::MutexLock l(&mu_);
  if (series_.empty() && labels_.empty()) absl::StrAppend(out, name_, " 0\n");
  for (const auto& [k, v] : series_) {
    absl::StrAppend(out, name_, LabelText(labels_, k), " ", v->load(), "\n");
  }
}

void GaugeFunc::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", help_, "\n# TYPE ", name_, " gauge\n", name_, " ",
                  Number(read_()), "\n");
}

Histogram::Histogram(std::string name, std::string help, std::vector<double> bounds,
                     std::vector<std::string> labels)
    : name_(std::move(name)), help_(std::move(help)), bounds_(std::move(bounds)), labels_(std::move(labels)) {}

void Histogram::Observe(const std::vector<std::string>& values, double v) {
  std::vector<std::string> key = Fit(values, labels_.size());
  Series* s;
  {
    absl::MutexLock l(&mu_);
    auto& slot = series_[key];
    if (slot == nullptr) slot = std::make_unique<Series>(bounds_.size());
    s = slot.get();
  }
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      s->buckets[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  s->count.fetch_add(1, std::memory_order_relaxed);
  s->sum_micro.fetch_add(static_cast<uint64_t>(std::llround(std::max(0.0, v) * 1e6)),
                         std::memory_order_relaxed);
}

void Histogram::Render(std::string* out) const {
  absl::StrAppend(out, "# HELP ", name_, " ", help_, "\n# TYPE ", name_, " histogram\n");
  absl::MutexLock l(&mu_);
  for (const auto& [k, s] : series_) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += s->buckets[i].load();
      absl::StrAppend(out, name_, "_bucket", LabelText(labels_, k, absl::StrCat("le=\"", Number(bounds_[i]), "\"")),
                      " ", cumulative, "\n");
    }
    absl::StrAppend(out, name_, "_bucket", LabelText(labels_, k, "le=\"+Inf\""), " ", s->count.load(), "\n");
    absl::StrAppend(out, name_, "_sum", LabelText(labels_, k), " ", Number(s->sum_micro.load() / 1e6), "\n");
    absl::StrAppend(out, name_, "_count", LabelText(labels_, k), " ", s->count.load(), "\n");
  }
}

void Registry::Add(const Counter* c) {
  absl::MutexLock l(&mu_);
  renderers_.push_back([c](std::string* out) { c->Render(out); });
}
void Registry::Add(const GaugeFunc* g) {
  absl::MutexLock l(&mu_);
  renderers_.push_back([g](std::string* out) { g->Render(out); });
}
void Registry::Add(const Histogram* h) {
  absl::MutexLock l(&mu_);
  renderers_.push_back([h](std::string* out) { h->Render(out); });
}

std::string Registry::Render() const {
  std::string out;
  absl::MutexLock l(&mu_);
  for (const auto& r : renderers_) r(&out);
  return out;
}

}  // namespace enlist::metrics
