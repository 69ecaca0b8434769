#include "http/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace hpki::http {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Exposition format 0.0.4: label values escape \, " and newline; help escapes \ and newline.
std::string escape(std::string_view s, bool quote) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", v);
}

std::string label_text(const Labels& labels, std::string_view extra_key = {},
                       std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return {};
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ',';
    first = false;
    out += fmt::format("{}=\"{}\"", k, escape(v, true));
  }
  if (!extra_key.empty()) {
    if (!first) out += ',';
    out += fmt::format("{}=\"{}\"", extra_key, extra_value);
  }
  out += '}';
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  HPKI_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()));
  for (std::size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) noexcept {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<std::size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::uint64_t Histogram::bucket(std::size_t i) const noexcept {
  return i <= bounds_.size() ? buckets_[i].load(std::memory_order_relaxed) : 0;
}

std::uint64_t Histogram::count() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= bounds_.size(); ++i) n += bucket(i);
  return n;
}

double Histogram::sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

std::vector<double> default_latency_buckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry::Series& MetricsRegistry::series(std::string_view name, std::string_view help,
                                                 Type type, const Labels& labels,
                                                 const std::vector<double>* buckets) {
  HPKI_CHECK(valid_name(name));
  for (const auto& [k, v] : labels) HPKI_CHECK(valid_name(k) && k != "le");
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    Family f{type, std::string(help), buckets ? *buckets : std::vector<double>{}, {}};
    it = families_.emplace(std::string(name), std::move(f)).first;
  }
  Family& family = it->second;
  HPKI_CHECK(family.type == type);
  auto sit = family.series.find(labels);
  if (sit != family.series.end()) return sit->second;
  Series s;
  switch (type) {
    case Type::kCounter:
      s.counter = std::make_unique<Counter>();
      break;
    case Type::kGauge:
      s.gauge = std::make_unique<Gauge>();
      break;
    case Type::kHistogram:
      s.histogram = std::make_unique<Histogram>(family.buckets);
      break;
  }
  return family.series.emplace(labels, std::move(s)).first->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  return *series(name, help, Type::kCounter, labels, nullptr).counter;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  return *series(name, help, Type::kGauge, labels, nullptr).gauge;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const Labels& labels, const std::vector<double>& buckets) {
  return *series(name, help, Type::kHistogram, labels, &buckets).histogram;
}

void MetricsRegistry::add_collector(std::function<void()> fn) {
  std::lock_guard lock(collectors_mutex_);
  collectors_.push_back(std::move(fn));
}

std::string MetricsRegistry::render() const {
  {
    std::lock_guard lock(collectors_mutex_);
    for (const auto& fn : collectors_) fn();
  }
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& [name, family] : families_) {
    std::string_view type = family.type == Type::kCounter ? "counter"
                            : family.type == Type::kGauge ? "gauge"
                                                          : "histogram";
    out +=
        fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape(family.help, false), name, type);
    for (const auto& [labels, s] : family.series) {
      if (s.counter) {
        out += fmt::format("{}{} {}\n", name, label_text(labels), format_value(s.counter->value()));
      } else if (s.gauge) {
        out += fmt::format("{}{} {}\n", name, label_text(labels), format_value(s.gauge->value()));
      } else {
        const Histogram& h = *s.histogram;
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < h.bounds().size(); ++i) {
          cumulative += h.bucket(i);
          out += fmt::format("{}_bucket{} {}\n", name,
                             label_text(labels, "le", format_value(h.bounds()[i])), cumulative);
        }
        cumulative += h.bucket(h.bounds().size());
        out += fmt::format("{}_bucket{} {}\n", name, label_text(labels, "le", "+Inf"), cumulative);
        out += fmt::format("{}_sum{} {}\n", name, label_text(labels), format_value(h.sum()));
        out += fmt::format("{}_count{} {}\n", name, label_text(labels), cumulative);
      }
    }
  }
  return out;
}

}  // namespace hpki::http
