// The audit log and its checkpoints.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "tests/unit/store/store_fixture.h"

namespace hpki::store {
namespace {

TEST_P(StoreTest, AuditAppendReadAndCheckpoints) {
  run([&](Tx& tx) -> Result<void> {
    EXPECT_FALSE(HPKI_TRY(tx.lock_audit_tail()).has_value());
    for (int i = 0; i < 5; ++i) {
      AuditRecord e{.at = kT0 + std::chrono::seconds(i),
                    .actor = "ra:alice",
                    .action = "cert.issue",
                    .object = "serial:" + std::to_string(i),
                    .outcome = "ok",
                    .details = R"({"n":)" + std::to_string(i) + "}",
                    .hash_alg = i % 2 == 0 ? "sha256" : "sm3",
                    .prev_hash = Bytes(32, static_cast<std::uint8_t>(i)),
                    .hash = Bytes(32, static_cast<std::uint8_t>(i + 1))};
      EXPECT_EQ(HPKI_TRY(tx.append_audit(e)), i + 1);
    }
    return {};
  });
  run([&](Tx& tx) -> Result<void> {
    auto tail = HPKI_TRY(tx.lock_audit_tail());
    EXPECT_TRUE(tail.has_value());
    EXPECT_EQ(tail->seq, 5);
    EXPECT_EQ(tail->hash, Bytes(32, 5));
    auto all = HPKI_TRY(tx.read_audit(1, 100));
    EXPECT_EQ(all.size(), 5u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(all[i].object, "serial:" + std::to_string(i));
      EXPECT_EQ(all[i].at, kT0 + std::chrono::seconds(i));
      EXPECT_EQ(all[i].prev_hash, Bytes(32, static_cast<std::uint8_t>(i)));
    }
    EXPECT_EQ(all[1].hash_alg, "sm3");
    EXPECT_EQ(all[2].details, R"({"n":2})");
    auto mid = HPKI_TRY(tx.read_audit(3, 2));
    EXPECT_EQ(mid.size(), 2u);
    EXPECT_EQ(mid.at(0).seq, 3);
    EXPECT_EQ(mid.at(1).seq, 4);
    // Explicit seqs: must be after the last one.
    EXPECT_EQ(tx.append_audit({.seq = 3, .hash_alg = "sha256"}).error().code(),
              ErrorCode::kInvalidArgument);
    EXPECT_EQ(HPKI_TRY(tx.append_audit({.seq = 10, .hash_alg = "sha256"})), 10);
    EXPECT_EQ(HPKI_TRY(tx.append_audit({.hash_alg = "sha256"})), 11);
    // Empty hashes stay empty blobs, not NULL.
    EXPECT_EQ(HPKI_TRY(tx.last_audit())->prev_hash, Bytes{});
    HPKI_TRY(tx.insert_checkpoint({.seq = 5,
                                   .tree_size = 5,
                                   .root_hash = Bytes(32, 9),
                                   .signature = Bytes{1, 2, 3},
                                   .key_ref = test::key_id("file:audit"),
                                   .signed_at = kT0 + 60s}));
    HPKI_TRY(tx.insert_checkpoint({.seq = 11,
                                   .tree_size = 7,
                                   .root_hash = Bytes(32, 8),
                                   .signature = Bytes{4},
                                   .key_ref = test::key_id("file:audit"),
                                   .signed_at = kT0 + 120s}));
    EXPECT_EQ(
        tx.insert_checkpoint({.seq = 5, .key_ref = test::key_id("file:audit")}).error().code(),
        ErrorCode::kConflict);
    EXPECT_EQ(tx.insert_checkpoint({.seq = 12}).error().code(), ErrorCode::kInvalidArgument);
    auto cps = HPKI_TRY(tx.list_checkpoints());
    EXPECT_EQ(cps.size(), 2u);
    EXPECT_EQ(cps.at(0).seq, 5);
    EXPECT_EQ(cps.at(0).root_hash, Bytes(32, 9));
    EXPECT_EQ(cps.at(1).tree_size, 7);
    EXPECT_EQ(cps.at(1).signed_at, kT0 + 120s);
    return {};
  });
}

TEST_P(StoreTest, ConcurrentAuditAppendsFormOneChain) {
  // Appenders on two connections: each links to the tail it saw under the lock, so the
  // resulting chain has no fork and no gap.
  auto second = reopen();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    Store& s = t % 2 == 0 ? *store_ : **second;
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = s.transact([&](Tx& tx) -> Result<void> {
          auto tail = HPKI_TRY(tx.lock_audit_tail());
          const std::int64_t prev = tail ? tail->seq : 0;
          Bytes prev_hash = tail ? tail->hash : Bytes{};
          Bytes hash = to_bytes("h" + std::to_string(prev + 1));
          HPKI_TRY(tx.append_audit({.seq = prev + 1,
                                    .actor = "t" + std::to_string(t),
                                    .hash_alg = "sha256",
                                    .prev_hash = prev_hash,
                                    .hash = hash}));
          return {};
        });
        if (!r) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  run([](Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.read_audit(1, 1000));
    EXPECT_EQ(all.size(), 40u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(all[i].hash, to_bytes("h" + std::to_string(i + 1)));
      if (i > 0) {
        EXPECT_EQ(all[i].prev_hash, all[i - 1].hash);
      }
    }
    return {};
  });
}

TEST_P(StoreTest, AuditEntriesOfOneTransactionAreWrittenTogetherAtCommit) {
  // append_audit defers the INSERT (one multi-row statement per flush); reads in the same
  // transaction see every appended entry, a failed transaction leaves none of them.
  auto entry = [](int i) {
    return AuditRecord{.at = kT0 + std::chrono::seconds(i),
                       .actor = "ra:" + std::to_string(i),
                       .action = "cert.issue",
                       .object = "serial:" + std::to_string(i),
                       .outcome = "success",
                       .details = "{}",
                       .hash_alg = "sha256",
                       .prev_hash = Bytes(32, static_cast<std::uint8_t>(i)),
                       .hash = Bytes(32, static_cast<std::uint8_t>(i + 1))};
  };
  run([&](Tx& tx) -> Result<void> {
    for (int i = 0; i < 45; ++i) EXPECT_EQ(HPKI_TRY(tx.append_audit(entry(i))), i + 1);
    EXPECT_EQ(HPKI_TRY(tx.last_audit())->seq, 45);  // 32 + 8 + 4 + 1 rows written here
    for (int i = 45; i < 52; ++i) EXPECT_EQ(HPKI_TRY(tx.append_audit(entry(i))), i + 1);
    return {};  // the last 7 at commit
  });
  auto failed = store_->transact([&](Tx& tx) -> Result<void> {
    for (int i = 52; i < 60; ++i) HPKI_TRY(tx.append_audit(entry(i)));
    return fail(ErrorCode::kPolicyRefused, "changed my mind");
  });
  EXPECT_EQ(failed.error().code(), ErrorCode::kPolicyRefused);
  run([&](Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.read_audit(1, 1000));
    EXPECT_EQ(all.size(), 52u);
    for (std::size_t i = 0; i < all.size(); ++i) {
      const auto want = entry(static_cast<int>(i));
      EXPECT_EQ(all[i].seq, static_cast<std::int64_t>(i + 1));
      EXPECT_EQ(all[i].actor, want.actor);
      EXPECT_EQ(all[i].object, want.object);
      EXPECT_EQ(all[i].at, want.at);
      EXPECT_EQ(all[i].prev_hash, want.prev_hash);
      EXPECT_EQ(all[i].hash, want.hash);
    }
    EXPECT_EQ(HPKI_TRY(tx.append_audit(entry(52))), 53);
    return {};
  });
  run([](Tx& tx) -> Result<void> {
    EXPECT_EQ(HPKI_TRY(tx.last_audit())->seq, 53);
    return {};
  });
}

TEST_P(StoreTest, RawExecCanTamperWithAuditRows) {
  run([](Tx& tx) -> Result<void> {
    for (int i = 0; i < 4; ++i) {
      HPKI_TRY(tx.append_audit({.actor = "alice",
                                .action = "a" + std::to_string(i),
                                .hash_alg = "sha256",
                                .prev_hash = Bytes{1},
                                .hash = Bytes{static_cast<std::uint8_t>(i)}}));
    }
    return {};
  });
  run([](Tx& tx) -> Result<void> {
    // Edit.
    const Value edit[] = {Value{std::string("mallory")}, Value{std::int64_t{2}}};
    EXPECT_EQ(HPKI_TRY(store::raw::exec(tx, "UPDATE audit_log SET actor = ? WHERE seq = ?", edit)),
              1);
    // Delete.
    EXPECT_EQ(HPKI_TRY(store::raw::exec(tx, "DELETE FROM audit_log WHERE seq = 3")), 1);
    // Insert.
    const Value ins[] = {Value{std::int64_t{7}}, Value{Bytes{0xee, 0x00}}};
    EXPECT_EQ(
        HPKI_TRY(store::raw::exec(tx,
                                  "INSERT INTO audit_log (seq, at, actor, action, object, outcome, "
                                  "details, hash_alg, prev_hash, hash) VALUES (?, 0, 'eve', 'x', "
                                  "'', 'ok', '{}', 'sha256', ?, ?)",
                                  std::vector<Value>{ins[0], ins[1], ins[1]})),
        1);
    // Reorder: swap the contents of seq 1 and 4 (through a free seq).
    HPKI_TRY(store::raw::exec(
        tx,
        "UPDATE audit_log SET seq = 100 WHERE seq = 1; UPDATE audit_log SET seq = 1 WHERE seq = "
        "4; UPDATE audit_log SET seq = 4 WHERE seq = 100;"));
    return {};
  });
  run([](Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.read_audit(0, 100));
    std::vector<std::string> seen;
    for (auto& e : all) seen.push_back(std::to_string(e.seq) + e.actor + e.action);
    EXPECT_EQ(seen, (std::vector<std::string>{"1alicea3", "2mallorya1", "4alicea0", "7evex"}));
    EXPECT_EQ(all.back().hash, (Bytes{0xee, 0x00}));
    auto rows =
        HPKI_TRY(store::raw::query(tx,
                                   "SELECT seq, actor, hash FROM audit_log WHERE seq >= ? ORDER "
                                   "BY seq",
                                   std::vector<Value>{Value{std::int64_t{4}}}));
    EXPECT_EQ(rows.size(), 2u);
    EXPECT_EQ(std::get<std::int64_t>(rows.at(0).at(0)), 4);
    EXPECT_EQ(std::get<std::string>(rows.at(1).at(1)), "eve");
    EXPECT_EQ(std::get<Bytes>(rows.at(1).at(2)), (Bytes{0xee, 0x00}));
    return {};
  });
  // A row whose column no longer decodes is an error, not a crash.
  run([](Tx& tx) -> Result<void> {
    auto id = HPKI_TRY(tx.insert_subject({.name = "x", .dns = {"a.example"}}));
    const Value p[] = {Value{id}};
    EXPECT_EQ(
        HPKI_TRY(store::raw::exec(tx, "UPDATE subjects SET dns = 'not json' WHERE id = ?", p)), 1);
    auto broken = tx.get_subject(id);
    EXPECT_FALSE(broken.has_value());
    if (!broken) {
      EXPECT_EQ(broken.error().code(), ErrorCode::kStorage);
    }
    return {};
  });
  // A bad statement is an error.
  auto bad = store_->transact([](Tx& tx) -> Result<void> {
    HPKI_TRY(store::raw::exec(tx, "UPDATE no_such_table SET x = 1"));
    return {};
  });
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kStorage) << bad.error().to_string();
}

}  // namespace
}  // namespace hpki::store
