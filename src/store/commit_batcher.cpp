#include "store/commit_batcher.h"

#include <pthread.h>

#include <algorithm>
#include <vector>

namespace hpki::store {

CommitBatcher::CommitBatcher(Store& store, BatcherOptions options)
    : store_(store), options_(options) {
  if (options_.max_units == 0) options_.max_units = 1;
}

CommitBatcher::~CommitBatcher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  work_cv_.notify_one();
  if (committer_.joinable()) committer_.join();
}

Result<void> CommitBatcher::run(const Unit& unit) {
  Item item;
  item.unit = &unit;
  std::unique_lock lock(mu_);
  if (!committer_.joinable()) {
    committer_ = std::thread([this] { commit_loop(); });
    pthread_setname_np(committer_.native_handle(), "hpki-commit");
  }
  queue_.push_back(&item);
  // A busy committer looks at the queue before it waits again: no wake-up needed.
  if (!committing_) work_cv_.notify_one();
  // Woken only for this item, when its batch committed (or definitely failed).
  item.cv.wait(lock, [&] { return item.result.has_value(); });
  return std::move(*item.result);
}

void CommitBatcher::commit_loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    work_cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything queued is done
    const std::size_t n = std::min(queue_.size(), options_.max_units);
    std::vector<Item*> batch(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    committing_ = true;
    lock.unlock();
    execute(batch);
    lock.lock();
    committing_ = false;
    // Under the lock: a woken caller returns (and destroys its item) only after we let go.
    for (Item* it : batch) it->cv.notify_one();
  }
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
