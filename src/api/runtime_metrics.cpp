#include "api/runtime_metrics.h"

#include <chrono>
#include <string>
#include <vector>

#include "store/commit_batcher.h"

namespace hpki::api {

void add_runtime_metrics(ApiContext& c) {
  if (c.metrics == nullptr) return;
  http::MetricsRegistry* m = c.metrics;
  static const std::vector<double> kDbBuckets{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  c.runtime->store().set_observer([m](std::string_view op, std::chrono::nanoseconds d, bool ok) {
    m->histogram("hpki_db_transaction_seconds",
                 "Database transaction duration (retries included) by operation: the API route, "
                 "group_commit for shared transactions, other",
                 {{"op", std::string(op)}, {"outcome", ok ? "commit" : "error"}}, kDbBuckets)
        .observe(std::chrono::duration<double>(d).count());
  });
  auto& batcher = c.runtime->ca().batcher();
  static const std::vector<double> kUnitBuckets{1, 2, 4, 8, 16, 32, 64, 128};
  batcher.set_observer([m](std::size_t units, bool committed) {
    m->histogram("hpki_commit_batch_units", "Units of work per group-commit transaction", {},
                 kUnitBuckets)
        .observe(static_cast<double>(units));
    if (!committed && units > 1) {
      m->counter("hpki_commit_batch_fallbacks_total",
                 "Shared transactions that failed (their units were rerun alone)")
          .inc();
    }
  });
  auto& depth =
      m->gauge("hpki_commit_queue_depth", "Units of work waiting for a group-commit transaction");
  m->add_collector(
      [&batcher, &depth] { depth.set(static_cast<double>(batcher.stats().queue_depth)); });
}

}  // namespace hpki::api
