#include "store/commit_batcher.h"

#include <algorithm>
#include <vector>

namespace hpki::store {

CommitBatcher::CommitBatcher(Store& store, BatcherOptions options)
    : store_(store), options_(options) {
  if (options_.max_units == 0) options_.max_units = 1;
}

Result<void> CommitBatcher::run(const Unit& unit) {
  Item item;
  item.unit = &unit;
  std::unique_lock lock(mu_);
  queue_.push_back(&item);
  if (leader_active_) {
    // Woken only for this item: when its batch committed, or to lead the next batch.
    item.cv.wait(lock, [&] { return item.result.has_value() || item.lead; });
    if (item.result) return std::move(*item.result);
  } else {
    leader_active_ = true;
  }

  // Lead: run batches from the head of the queue until our own unit is done, then hand over.
  while (!item.result) {
    const std::size_t n = std::min(queue_.size(), options_.max_units);
    std::vector<Item*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    lock.unlock();
    execute(batch);
    lock.lock();
    // Under the lock: a woken caller returns (and destroys its item) only after we let go.
    for (Item* it : batch) {
      if (it != &item) it->cv.notify_one();
    }
  }
  if (queue_.empty()) {
    leader_active_ = false;
  } else {
    queue_.front()->lead = true;  // the oldest waiting caller leads the next batch
    queue_.front()->cv.notify_one();
  }
  return std::move(*item.result);
}

void CommitBatcher::execute(const std::vector<Item*>& batch) {
  TxLabel label("group_commit");
  bool committed = false;
  if (batch.size() == 1) {
    batch.front()->result.emplace(store_.transact(*batch.front()->unit));
    committed = batch.front()->result->has_value();
  } else {
    auto shared = store_.transact([&](Tx& tx) -> Result<void> {
      for (Item* it : batch) HPKI_TRY((*it->unit)(tx));
      return {};
    });
    committed = shared.has_value();
    for (Item* it : batch) {
      // Run alone after a failed batch: each unit gets the outcome it would have had by itself.
      it->result.emplace(committed ? Result<void>{} : store_.transact(*it->unit));
    }
  }
  {
    std::lock_guard lock(mu_);
    ++stats_.batches;
    stats_.units += batch.size();
    if (batch.size() > 1) ++stats_.shared_batches;
    if (!committed && batch.size() > 1) ++stats_.fallbacks;
    stats_.max_batch = std::max<std::uint64_t>(stats_.max_batch, batch.size());
  }
  if (observer_) observer_(batch.size(), committed);
}

BatcherStats CommitBatcher::stats() const {
  std::lock_guard lock(mu_);
  BatcherStats s = stats_;
  s.queue_depth = queue_.size();
  return s;
}

}  // namespace hpki::store
