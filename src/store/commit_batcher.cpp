#include "store/commit_batcher.h"

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "core/thread.h"

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

void CommitBatcher::enqueue(Item* item) {
  if (!committer_.joinable()) {
    committer_ = named_thread("hpki-commit", [this] { commit_loop(); });
  }
  queue_.push_back(item);
  // A busy committer looks at the queue before it waits again: no wake-up needed.
  if (!committing_) work_cv_.notify_one();
}

Result<void> CommitBatcher::run(const Unit& unit) {
  // From the committer thread itself (a `done` callback's listener): waiting for the next batch
  // would wait for ourselves. A transaction of its own instead.
  if (std::this_thread::get_id() == committer_id_.load()) return store_.transact(unit);
  Item item;
  item.unit = &unit;
  std::unique_lock lock(mu_);
  enqueue(&item);
  // Woken only for this item, when its batch committed (or definitely failed).
  item.cv.wait(lock, [&] { return item.result.has_value(); });
  return std::move(*item.result);
}

void CommitBatcher::submit(Unit unit, Done done) {
  auto item = std::make_unique<Item>();
  item->owned_unit = std::move(unit);
  item->unit = &item->owned_unit;
  item->done = std::move(done);
  std::lock_guard lock(mu_);
  enqueue(item.release());  // deleted by the committer
}

void CommitBatcher::commit_loop() {
  committer_id_ = std::this_thread::get_id();
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
    std::vector<std::unique_ptr<Item>> submitted;
    for (Item* it : batch) {
      if (it->done) {
        submitted.emplace_back(it);
      } else {
        it->cv.notify_one();  // a waiting caller's item: not to be touched after the unlock
      }
    }
    if (!submitted.empty()) {
      lock.unlock();
      for (auto& it : submitted) it->done(std::move(*it->result));
      submitted.clear();
      lock.lock();
    }
  }
}

namespace {

// A unit that throws fails alone (an internal error) instead of taking the committer down.
Result<void> run_unit(const CommitBatcher::Unit& unit, Tx& tx) {
  try {
    return unit(tx);
  } catch (const std::exception& e) {
    return fail(ErrorCode::kInternal, std::string("unit of work failed: ") + e.what());
  }
}

}  // namespace

void CommitBatcher::execute(const std::vector<Item*>& batch) {
  TxLabel label("group_commit");
  bool committed = false;
  auto alone = [&](const Unit& unit) {
    return store_.transact([&](Tx& tx) { return run_unit(unit, tx); });
  };
  if (batch.size() == 1 && !store_.defers_writes()) {
    batch.front()->result.emplace(alone(*batch.front()->unit));
    committed = batch.front()->result->has_value();
  } else {
    // Deferred writes (PostgreSQL's pipeline mode): the round in one or two round trips. An
    // error may then surface in a later unit or at the commit, so after a failure every unit
    // (even a single one) is run again alone, in a transaction that fails where it fails.
    auto shared = store_.transact_pipelined([&](Tx& tx) -> Result<void> {
      for (Item* it : batch) HPKI_TRY(run_unit(*it->unit, tx));
      return {};
    });
    committed = shared.has_value();
    for (Item* it : batch) {
      // Run alone after a failed batch: each unit gets the outcome it would have had by itself.
      it->result.emplace(committed ? Result<void>{} : alone(*it->unit));
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
