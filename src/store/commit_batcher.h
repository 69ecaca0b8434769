// Group commit (issue 5, DESIGN.md "The issuance pipeline"): concurrent callers share one
// database transaction, so that N issuances cost one commit (one fsync on SQLite, one round
// trip to the WAL flush on PostgreSQL) instead of N.
//
//   store::CommitBatcher batcher(store);
//   HPKI_TRY(batcher.run([&](store::Tx& tx) { return tx.insert_certificate(rec); }));
//   // the reservation is durable here, exactly as after store.transact(...)
//
// A caller enqueues a unit of work and blocks. One committer thread (started with the first
// unit, stopped by the destructor) takes every queued unit (at most BatcherOptions::max_units),
// runs them in order in ONE Store::transact, commits once and wakes each caller with its own
// result; units queue up while a batch commits, which is what makes batches larger than one
// under load. The committer goes straight on to the next batch: no caller has to be woken and
// scheduled to lead it, so the database write path never waits behind the callers' own work
// (signing, encoding) for a core. When the batch transaction fails — a unit returned an
// error, or the commit failed — nothing of it is kept and every unit of the batch is run again
// alone in a transaction of its own, so one bad unit does not fail the others and each caller
// gets exactly the outcome it would have had with Store::transact. Where the store defers
// writes (Store::transact_pipelined: PostgreSQL's pipeline mode, issue 17) a batch, even of one
// unit, runs with deferred writes — a round is then one or two network round trips — and after
// a failure its units are run alone in ordinary transactions, where each error is returned by
// the call that caused it.
//
// Units follow the Store::transact contract: they touch only the database through the given Tx
// and their own state, may be run more than once (store retries, the run-alone fallback), and
// must not call run() or Store::transact themselves (the committer would deadlock). A unit runs
// on the committer thread. run() returns only after the transaction holding the unit committed (or
// definitely failed): durability is the same as Store::transact.
//
// Thread-safe. The store must outlive the batcher.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/store.h"

namespace hpki::store {

struct BatcherOptions {
  std::size_t max_units = 128;  // units per transaction at most (>= 1)
};

// Cumulative counters since construction (for metrics and tests).
struct BatcherStats {
  std::uint64_t batches = 0;         // transactions run for batches (fallback runs not counted)
  std::uint64_t units = 0;           // units submitted and completed
  std::uint64_t shared_batches = 0;  // batches that held more than one unit
  std::uint64_t max_batch = 0;       // largest batch so far
  std::uint64_t fallbacks = 0;       // batches whose transaction failed (units rerun alone)
  std::uint64_t queue_depth = 0;     // units waiting now (not yet taken by the committer)
};

// Called by the committer after each batch with its size and whether its shared transaction
// committed. Must be thread-safe, quick, and not throw.
using BatchObserver = std::function<void(std::size_t units, bool committed)>;

class CommitBatcher {
 public:
  using Unit = Store::TxFn;

  explicit CommitBatcher(Store& store, BatcherOptions options = {});
  CommitBatcher(const CommitBatcher&) = delete;
  CommitBatcher& operator=(const CommitBatcher&) = delete;
  // Runs what is queued, then stops the committer thread. No run() may be in progress or start.
  ~CommitBatcher();

  // Sets the batch observer (before the batcher is shared between threads).
  void set_observer(BatchObserver o) { observer_ = std::move(o); }

  // Runs `unit` in a (possibly shared) transaction; see the file comment. The unit's own result:
  // its error, a commit error, or success once committed. Called on the committer thread (from a
  // `done` callback), it runs the unit in a transaction of its own instead of waiting for itself.
  [[nodiscard]] Result<void> run(const Unit& unit);

  // run() without waiting: `unit` (owned by the batcher until it ran) joins the next batch and
  // `done` gets its outcome once that batch committed (or definitely failed). `done` runs on
  // the committer thread after the batch's waiting callers were released: it must be quick
  // (hand the rest of the work to another thread), must not throw; a run() it makes is a
  // transaction of its own (see run()).
  using Done = std::function<void(Result<void>)>;
  void submit(Unit unit, Done done);

  // run() for a unit returning Result<T>: the value of the committed run.
  template <typename T, typename F>
  [[nodiscard]] Result<T> run_value(F&& fn) {
    std::optional<T> out;
    HPKI_TRY(run([&](Tx& tx) -> Result<void> {
      out.reset();
      out.emplace(HPKI_TRY(fn(tx)));
      return {};
    }));
    return std::move(*out);
  }

  [[nodiscard]] BatcherStats stats() const;
  [[nodiscard]] Store& store() noexcept { return store_; }

 private:
  struct Item {
    const Unit* unit = nullptr;
    std::optional<Result<void>> result{};
    std::condition_variable cv;  // waits with mu_: one wake-up per item, no thundering herd
    // submit(): the item owns its unit and is deleted by the committer after `done` ran.
    Unit owned_unit{};
    Done done{};
  };
  void enqueue(Item* item);  // with mu_ held
  void commit_loop();
  void execute(const std::vector<Item*>& batch);

  Store& store_;
  BatcherOptions options_;
  BatchObserver observer_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the committer waits here for units (with mu_)
  std::deque<Item*> queue_;
  bool committing_ = false;  // the committer is running a batch (it looks at the queue after)
  bool stop_ = false;
  std::thread committer_;
  std::atomic<std::thread::id> committer_id_{};
  BatcherStats stats_;
};

}  // namespace hpki::store
