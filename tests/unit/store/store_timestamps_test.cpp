// Counters and timestamp records.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

// The TSA takes a round's serials with one statement and writes its records and tokens with
// few: the values are consecutive, a taken range is never handed out again, and a duplicate or
// unknown serial fails the whole call.
TEST_P(StoreTest, CounterRangesAndTimestampBatches) {
  add_root();
  run([](Tx& tx) -> Result<void> {
    EXPECT_EQ(HPKI_TRY(tx.reserve_counter("tsa.serial", 5)), 1);  // 1..5
    EXPECT_EQ(HPKI_TRY(tx.next_counter("tsa.serial")), 6);
    EXPECT_EQ(HPKI_TRY(tx.reserve_counter("tsa.serial", 40)), 7);  // 7..46
    EXPECT_EQ(HPKI_TRY(tx.next_counter("tsa.serial")), 47);
    EXPECT_EQ(tx.reserve_counter("tsa.serial", 0).error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(tx.reserve_counter("", 1).error().code(), ErrorCode::kInvalidArgument);
    return {};
  });
  auto rec = [](std::int64_t serial) {
    return TimestampRecord{.serial = serial,
                           .tsa_id = "rsa-root",
                           .gen_time = TimePoint(std::chrono::seconds(1'800'000'000 + serial)),
                           .hash_alg = "sha256",
                           .imprint = Bytes(32, static_cast<std::uint8_t>(serial)),
                           .policy = "1.2.3.4",
                           .nonce = std::nullopt,
                           .requester = "t",
                           .token = std::nullopt,
                           .created_at = {},
                           .cert_req = serial % 2 == 0};
  };
  std::vector<TimestampRecord> recs;
  for (std::int64_t s = 1; s <= 45; ++s) recs.push_back(rec(s));  // 32 + 8 + 4 + 1 rows
  run([&](Tx& tx) -> Result<void> { return tx.insert_timestamps(recs); });
  std::vector<Bytes> tokens;
  std::vector<Tx::TimestampToken> batch;
  for (std::int64_t s = 1; s <= 45; ++s) tokens.push_back(Bytes(3, static_cast<std::uint8_t>(s)));
  for (std::int64_t s = 1; s <= 45; ++s)
    batch.push_back({.serial = s, .token = tokens[static_cast<std::size_t>(s - 1)]});
  run([&](Tx& tx) -> Result<void> { return tx.set_timestamp_tokens(batch); });
  run([&](Tx& tx) -> Result<void> {
    for (std::int64_t s : {1, 2, 33, 45}) {
      auto t = HPKI_TRY(tx.get_timestamp(s));
      EXPECT_EQ(t.gen_time, TimePoint(std::chrono::seconds(1'800'000'000 + s)));
      EXPECT_EQ(t.cert_req, s % 2 == 0);
      EXPECT_EQ(t.token, tokens[static_cast<std::size_t>(s - 1)]);
    }
    return {};
  });
  // One serial already recorded: kConflict, and the new ones are not kept either.
  auto dup = store_->transact([&](Tx& tx) -> Result<void> {
    const TimestampRecord two[] = {rec(46), rec(45)};
    return tx.insert_timestamps(two);
  });
  EXPECT_EQ(dup.error().code(), ErrorCode::kConflict);
  // A token for a serial never recorded: kNotFound, and the rest of the transaction is not
  // kept.
  auto unknown = store_->transact([&](Tx& tx) -> Result<void> {
    const Bytes t{9};
    HPKI_TRY(tx.insert_timestamp(rec(60)));
    const Tx::TimestampToken two[] = {{.serial = 60, .token = t}, {.serial = 999, .token = t}};
    return tx.set_timestamp_tokens(two);
  });
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  // A stored token is never replaced.
  auto again = store_->transact([&](Tx& tx) -> Result<void> {
    const Bytes t{9};
    return tx.set_timestamp_token(2, t);
  });
  EXPECT_EQ(again.error().code(), ErrorCode::kConflict);
  run([&](Tx& tx) -> Result<void> {
    EXPECT_EQ(tx.get_timestamp(46).error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(tx.get_timestamp(60).error().code(), ErrorCode::kNotFound);
    EXPECT_EQ(HPKI_TRY(tx.get_timestamp(1)).token, tokens[0]);
    return {};
  });
}

TEST_P(StoreTest, ConcurrentNextCounterIsUniqueAndIncreasing) {
  // Two stores on the same database (two connections, as two processes would have) and
  // several threads on each.
  auto second = reopen();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  constexpr int kThreads = 6;
  constexpr int kEach = 20;
  std::vector<std::vector<std::int64_t>> got(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    Store& s = t % 2 == 0 ? *store_ : **second;
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto v = s.next_counter("crl:rsa-issuing");
        if (!v) {
          errors[static_cast<std::size_t>(t)] = v.error().to_string();
          return;
        }
        got[static_cast<std::size_t>(t)].push_back(*v);
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<std::int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    const auto& g = got[static_cast<std::size_t>(t)];
    EXPECT_EQ(errors[static_cast<std::size_t>(t)], "");
    EXPECT_TRUE(std::is_sorted(g.begin(), g.end()));
    EXPECT_EQ(std::adjacent_find(g.begin(), g.end()), g.end());  // strictly increasing
    all.insert(all.end(), g.begin(), g.end());
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), static_cast<std::size_t>(kThreads * kEach));
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], static_cast<std::int64_t>(i + 1));
  }
  EXPECT_EQ(store_->next_counter("crl:rsa-issuing").value(), kThreads * kEach + 1);
}

}  // namespace
}  // namespace hpki::store
