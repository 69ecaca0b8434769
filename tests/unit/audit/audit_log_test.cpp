// The audit log against both backends (SQLite in a temp file, the PostgreSQL server of the CTest
// fixture "pg") and both hashes (SHA-256 logs checkpointed with a P-256 key, SM3 logs with an
// SM2 key; RSA in one case). Tamper tests edit, delete, insert and reorder rows directly with
// SQL and check that verify() names the first bad entry and the reason. Inclusion proofs
// (RFC 9162 2.1.3) against checkpoints, with and without the subtree cache, and a corrupted cache.
#include <gtest/gtest.h>

#include <libpq-fe.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "store/detail/raw.h"
#include "store/store.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace hpki::crypto {
// Readable test parameters ("sm3" rather than "4-byte object").
void PrintTo(HashAlg alg, std::ostream* os) { *os << hash_name(alg); }
}  // namespace hpki::crypto

namespace hpki::audit {
namespace {

using namespace std::chrono_literals;
using crypto::HashAlg;
using store::raw::Value;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));

// ---------------------------------------------------------------- databases

using test::TestDb;  // tests/support/test_db.h: fresh SQLite file or PostgreSQL database

// ---------------------------------------------------------------- keys (generated once)

const crypto::PrivateKey& key_of(crypto::KeyType type) {
  static const auto make = [](crypto::KeySpec spec) {
    auto k = crypto::PrivateKey::generate(spec);
    HPKI_CHECK(k.has_value());
    return *k;
  };
  static const crypto::PrivateKey p256 = make({.type = crypto::KeyType::kEcP256});
  static const crypto::PrivateKey sm2 = make({.type = crypto::KeyType::kSm2});
  static const crypto::PrivateKey rsa = make({.type = crypto::KeyType::kRsa, .rsa_bits = 2048});
  switch (type) {
    case crypto::KeyType::kSm2:
      return sm2;
    case crypto::KeyType::kRsa:
      return rsa;
    default:
      return p256;
  }
}

// ---------------------------------------------------------------- independent computations

// The documented entry_message (docs/operations.md "Audit log"), written out again here so
// that a change of the library's encoding is caught.
Bytes textbook_entry_message(const store::AuditRecord& e) {
  Bytes out;
  auto str = [&](std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    out.push_back(static_cast<std::uint8_t>(n >> 24));
    out.push_back(static_cast<std::uint8_t>(n >> 16));
    out.push_back(static_cast<std::uint8_t>(n >> 8));
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), s.begin(), s.end());
  };
  auto i64 = [&](std::int64_t v) {
    for (int i = 7; i >= 0; --i) {
      out.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
    }
  };
  // Format version 2 (issue 16) for an entry that names an organization: the org appended.
  str(e.org.empty() ? "hpki-audit-entry/1" : "hpki-audit-entry/2");
  i64(e.seq);
  i64(std::chrono::duration_cast<std::chrono::seconds>(e.at.time_since_epoch()).count());
  str(e.actor);
  str(e.action);
  str(e.object);
  str(e.outcome);
  str(e.details);
  str(e.hash_alg);
  str(as_string(e.prev_hash));
  if (!e.org.empty()) str(e.org);
  return out;
}

Bytes h(HashAlg alg, BytesView data) {
  auto d = crypto::digest(alg, data);
  HPKI_CHECK(d.has_value());
  return *d;
}

// RFC 9162 2.1.1, by the textbook recursion.
Bytes textbook_mth(HashAlg alg, std::span<const Bytes> d) {
  if (d.empty()) return h(alg, {});
  if (d.size() == 1) {
    Bytes in{0x00};
    in.insert(in.end(), d[0].begin(), d[0].end());
    return h(alg, in);
  }
  std::size_t k = 1;
  while (k * 2 < d.size()) k *= 2;
  Bytes in{0x01};
  const Bytes l = textbook_mth(alg, d.subspan(0, k));
  const Bytes r = textbook_mth(alg, d.subspan(k));
  in.insert(in.end(), l.begin(), l.end());
  in.insert(in.end(), r.begin(), r.end());
  return h(alg, in);
}

Bytes accumulated_root(HashAlg alg, std::span<const Bytes> d) {
  MerkleAccumulator acc(alg);
  for (const auto& x : d) HPKI_CHECK(acc.add(x).has_value());
  auto r = acc.root();
  HPKI_CHECK(r.has_value());
  return *r;
}

// RFC 9162 2.1.1: the Certificate Transparency reference tree heads.
TEST(MerkleAccumulator, MatchesCertificateTransparencyVectors) {
  std::ifstream in(std::string(HPKI_SOURCE_DIR) + "/tests/vectors/audit/rfc6962_roots.txt");
  ASSERT_TRUE(in.good());
  std::vector<Bytes> leaves;
  int roots = 0;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "leaf") {
      std::string hex;
      ls >> hex;
      leaves.push_back(hex == "-" ? Bytes{} : *hex_decode(hex));
    } else if (kind == "root") {
      std::size_t n = 0;
      std::string hex;
      ls >> n >> hex;
      ASSERT_LE(n, leaves.size());
      const auto d = std::span<const Bytes>(leaves).first(n);
      EXPECT_EQ(hex_encode(accumulated_root(HashAlg::kSha256, d)), hex) << "n=" << n;
      EXPECT_EQ(hex_encode(textbook_mth(HashAlg::kSha256, d)), hex) << "n=" << n;
      ++roots;
    }
  }
  EXPECT_EQ(roots, 9);
}

TEST(MerkleAccumulator, AgreesWithTheRecursionForManySizesAndBothHashes) {
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    std::vector<Bytes> d;
    for (int n = 0; n <= 70; ++n) {
      EXPECT_EQ(accumulated_root(alg, d), textbook_mth(alg, d)) << "n=" << n;
      d.push_back(h(alg, to_bytes("entry " + std::to_string(n))));
    }
  }
}

TEST(AuditLogCreate, OnlySha256AndSm3) {
  FixedClock clock{kT0};
  EXPECT_TRUE(AuditLog::create(HashAlg::kSha256, clock).has_value());
  EXPECT_TRUE(AuditLog::create(HashAlg::kSm3, clock).has_value());
  auto bad = AuditLog::create(HashAlg::kSha1, clock);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kUnsupportedAlgorithm);
}

// ---------------------------------------------------------------- the log on a database

class AuditTest : public ::testing::TestWithParam<std::tuple<std::string, HashAlg>> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>(std::get<0>(GetParam()));
    ASSERT_EQ(db_->error(), "");
    auto s = store::open_store(db_->url(), clock_);
    ASSERT_TRUE(s.has_value()) << s.error().to_string();
    store_ = std::move(*s);
    auto l = AuditLog::create(alg(), clock_);
    ASSERT_TRUE(l.has_value());
    log_.emplace(std::move(*l));
    auto sg = key().signer();
    ASSERT_TRUE(sg.has_value()) << sg.error().to_string();
    signer_ = std::move(*sg);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }

  static HashAlg alg() { return std::get<1>(GetParam()); }
  // SM3 logs: an SM2 audit key (GM/T 0009 default ID); SHA-256 logs: P-256.
  static const crypto::PrivateKey& key() {
    return key_of(alg() == HashAlg::kSm3 ? crypto::KeyType::kSm2 : crypto::KeyType::kEcP256);
  }

  static Event event(int i) {
    return Event{.actor = "ra:alice",
                 .action = std::string(action::kCertIssue),
                 .object = "sm2-issuing/" + std::to_string(1000 + i),
                 .outcome = std::string(outcome::kSuccess),
                 .details = R"({"profile":"staff-sign","n":)" + std::to_string(i) + "}"};
  }

  // n entries, each in its own transaction, one second apart.
  void append_n(int n) {
    for (int i = 0; i < n; ++i) {
      clock_.advance(1s);
      auto r = store_->transact([&](store::Tx& tx) -> Result<void> {
        HPKI_TRY(log_->append(tx, event(i)));
        return {};
      });
      ASSERT_TRUE(r.has_value()) << r.error().to_string();
    }
  }

  store::AuditCheckpoint checkpoint() {
    clock_.advance(1s);
    auto c = log_->checkpoint(*store_, *signer_, test::key_id("file:audit"));
    EXPECT_TRUE(c.has_value()) << c.error().to_string();
    return c.value_or(store::AuditCheckpoint{});
  }

  VerifyReport verify(VerifyOptions o = {}) {
    if (!o.audit_key_spki && !o.resolve_key) o.audit_key_spki = key().public_key_der();
    o.batch_size = 4;  // several batches in every test
    auto r = log_->verify(*store_, o);
    EXPECT_TRUE(r.has_value()) << r.error().to_string();
    return r.value_or(VerifyReport{});
  }

  void exec(std::string_view sql, std::vector<Value> params = {}) {
    auto r = store_->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(store::raw::exec(tx, sql, params));
      return {};
    });
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
  }

  std::vector<store::AuditRecord> rows() {
    auto r = log_->list(*store_, std::numeric_limits<std::int64_t>::min(), 10000);
    EXPECT_TRUE(r.has_value());
    return r.value_or(std::vector<store::AuditRecord>{});
  }

  store::AuditRecord row(std::int64_t seq) {
    for (auto& e : rows()) {
      if (e.seq == seq) return e;
    }
    ADD_FAILURE() << "no row " << seq;
    return {};
  }

  // Writes a whole row (new or replacing the one with that seq) as an attacker would.
  void put_row(const store::AuditRecord& e) {
    exec("DELETE FROM audit_log WHERE seq = ?", {Value{e.seq}});
    exec(
        "INSERT INTO audit_log (seq, at, actor, action, object, outcome, details, hash_alg, "
        "prev_hash, hash, org) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        {Value{e.seq},
         Value{std::chrono::duration_cast<std::chrono::seconds>(e.at.time_since_epoch()).count()},
         Value{e.actor}, Value{e.action}, Value{e.object}, Value{e.outcome}, Value{e.details},
         Value{e.hash_alg}, Value{e.prev_hash}, Value{e.hash}, Value{e.org}});
  }

  // The record with its hash recomputed (a self-consistent forgery).
  static store::AuditRecord rehashed(store::AuditRecord e) {
    e.hash = h(alg(), textbook_entry_message(e));
    return e;
  }

  // Rewrites entries first.. as a careful attacker would: a changed actor at `first`, every
  // later hash and link recomputed.
  void rewrite_from(std::int64_t first) {
    Bytes prev = row(first - 1).hash;
    for (auto e : rows()) {
      if (e.seq < first) continue;
      if (e.seq == first) e.actor = "mallory";
      e.prev_hash = prev;
      e = rehashed(e);
      put_row(e);
      prev = e.hash;
    }
  }

  static void expect_failure(const VerifyReport& r, std::string_view reason, std::int64_t seq) {
    ASSERT_FALSE(r.ok()) << "tampering not detected";
    EXPECT_EQ(r.failure->reason, reason) << r.failure->message;
    EXPECT_EQ(r.failure->seq, seq) << r.failure->message;
    EXPECT_FALSE(r.failure->message.empty());
  }

  FixedClock clock_{kT0};
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<store::Store> store_;
  std::optional<AuditLog> log_;
  std::unique_ptr<crypto::Signer> signer_;
};

TEST_P(AuditTest, AppendsChainAndVerify) {
  append_n(5);
  // Several entries in one transaction get consecutive seqs.
  std::vector<std::int64_t> seqs;
  auto r = store_->transact([&](store::Tx& tx) -> Result<void> {
    seqs.clear();
    for (int i = 5; i < 9; ++i) seqs.push_back(HPKI_TRY(log_->append(tx, event(i))));
    return {};
  });
  ASSERT_TRUE(r.has_value()) << r.error().to_string();
  EXPECT_EQ(seqs, (std::vector<std::int64_t>{6, 7, 8, 9}));

  const auto all = rows();
  ASSERT_EQ(all.size(), 9u);
  Bytes prev(crypto::hash_size(alg()), 0);  // the first entry links to the all-zero hash
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto& e = all[i];
    EXPECT_EQ(e.seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ(e.hash_alg, crypto::hash_name(alg()));
    EXPECT_EQ(e.prev_hash, prev);
    EXPECT_EQ(e.hash, h(alg(), textbook_entry_message(e))) << "seq " << e.seq;
    EXPECT_EQ(e.actor, "ra:alice");
    EXPECT_EQ(e.details, event(static_cast<int>(i)).details);
    prev = e.hash;
  }
  EXPECT_EQ(all[0].at, kT0 + 1s);

  auto v = verify();
  EXPECT_TRUE(v.ok()) << v.failure->message;
  EXPECT_EQ(v.entries_checked, 9);
  EXPECT_EQ(v.checkpoints_checked, 0);
  EXPECT_EQ(v.unprotected_entries, 9);

  const auto c = checkpoint();
  EXPECT_EQ(c.seq, 9);
  EXPECT_EQ(c.tree_size, 9);
  std::vector<Bytes> hashes;
  for (const auto& e : all) hashes.push_back(e.hash);
  EXPECT_EQ(c.root_hash, textbook_mth(alg(), hashes));
  // The signature covers the documented statement, checked here with the public key alone.
  EXPECT_TRUE(crypto::verify_signature(key().public_key_der(),
                                       crypto::default_signature_alg(key().spec().type),
                                       *checkpoint_statement(alg(), c), c.signature)
                  .has_value());

  append_n(3);
  v = verify();
  EXPECT_TRUE(v.ok()) << v.failure->message;
  EXPECT_EQ(v.entries_checked, 12);
  EXPECT_EQ(v.checkpoints_checked, 1);
  EXPECT_TRUE(v.signatures_checked);
  EXPECT_EQ(v.last_checkpoint_seq, 9);
  EXPECT_EQ(v.unprotected_entries, 3);

  // Without a key the roots are still checked, the signatures are not.
  auto plain = log_->verify(*store_, VerifyOptions{});
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->ok());
  EXPECT_FALSE(plain->signatures_checked);
  EXPECT_EQ(plain->checkpoints_checked, 1);
}

TEST_P(AuditTest, CheckpointsAtSeveralSizesMatchTheRecursion) {
  std::vector<std::int64_t> at;
  for (int n : {1, 2, 3, 5, 4, 7}) {  // sizes 1, 3, 6, 11, 15, 22
    append_n(n);
    at.push_back(checkpoint().seq);
  }
  EXPECT_EQ(at, (std::vector<std::int64_t>{1, 3, 6, 11, 15, 22}));
  // Nothing new: the newest checkpoint is returned, nothing is signed again.
  EXPECT_EQ(checkpoint().signed_at, kT0 + 22s + 6s);

  std::vector<Bytes> hashes;
  for (const auto& e : rows()) hashes.push_back(e.hash);
  auto cps = store_->transact_value<std::vector<store::AuditCheckpoint>>(
      [](store::Tx& tx) { return tx.list_checkpoints(); });
  ASSERT_TRUE(cps.has_value());
  ASSERT_EQ(cps->size(), 6u);
  for (const auto& c : *cps) {
    EXPECT_EQ(c.root_hash, textbook_mth(alg(), std::span<const Bytes>(hashes).first(
                                                   static_cast<std::size_t>(c.tree_size))));
  }
  auto v = verify();
  EXPECT_TRUE(v.ok()) << v.failure->message;
  EXPECT_EQ(v.checkpoints_checked, 6);
  EXPECT_EQ(v.unprotected_entries, 0);
}

// (a) an edited field
TEST_P(AuditTest, EditedFieldIsDetected) {
  append_n(10);
  checkpoint();
  exec("UPDATE audit_log SET actor = ? WHERE seq = ?",
       {Value{std::string("mallory")}, Value{std::int64_t{5}}});
  expect_failure(verify(), reason::kHashMismatch, 5);
}

TEST_P(AuditTest, EveryEditedColumnIsDetected) {
  append_n(6);
  const std::vector<std::pair<std::string, Value>> edits = {
      {"at", Value{std::int64_t{1'800'000'100}}},
      {"action", Value{std::string("cert.revoke")}},
      {"object", Value{std::string("sm2-issuing/dead")}},
      {"outcome", Value{std::string("failure")}},
      {"details", Value{std::string(R"({"n":99})")}},
  };
  for (const auto& [col, val] : edits) {
    const auto before = row(3);
    exec("UPDATE audit_log SET " + col + " = ? WHERE seq = 3", {val});
    expect_failure(verify(), reason::kHashMismatch, 3);
    put_row(before);
    EXPECT_TRUE(verify().ok()) << col;
  }
  // The stored hash or prev_hash replaced by other bytes of the right length.
  auto e = row(4);
  e.hash[0] ^= 1;
  put_row(e);
  expect_failure(verify(), reason::kHashMismatch, 4);
  e.hash[0] ^= 1;
  e.prev_hash[0] ^= 1;
  put_row(e);
  expect_failure(verify(), reason::kHashMismatch, 4);
  // Wrong lengths and another algorithm's name are malformed before anything else.
  e = row(4);
  e.prev_hash[0] ^= 1;
  e.hash.pop_back();
  put_row(e);
  expect_failure(verify(), reason::kMalformedEntry, 4);
  e = rehashed(row(2));
  e.hash_alg = alg() == HashAlg::kSm3 ? "sha256" : "sm3";
  put_row(e);
  expect_failure(verify(), reason::kHashAlgMismatch, 2);
}

// Issue 16: an entry that names its organization is hashed with it (format version 2): moving
// an entry to another organization, adding or removing its organization are all detected, and
// an organization's listing holds its entries only.
TEST_P(AuditTest, OrganizationIsPartOfTheEntry) {
  for (int i = 0; i < 6; ++i) {
    clock_.advance(1s);
    ASSERT_TRUE(store_->transact([&](store::Tx& tx) -> Result<void> {
      Event e = event(i);
      e.org = i % 3 == 0 ? "" : (i % 3 == 1 ? "示例医院" : "其他医院");
      HPKI_TRY(log_->append(tx, e));
      return {};
    }));
  }
  EXPECT_TRUE(verify().ok());
  // The textbook encoding of each format gives the stored hashes.
  for (const auto& e : rows()) EXPECT_EQ(h(alg(), textbook_entry_message(e)), e.hash) << e.seq;
  auto mine = log_->list(*store_, 1, 100, std::string("示例医院")).value();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].seq, 2);
  EXPECT_EQ(mine[1].seq, 5);
  EXPECT_EQ(log_->list(*store_, 3, 100, std::string("示例医院")).value().size(), 1u);
  EXPECT_TRUE(log_->list(*store_, 1, 100, std::string("第三医院")).value().empty());
  EXPECT_EQ(log_->list(*store_, 1, 100).value().size(), 6u);
  for (auto [seq, org] :
       {std::pair<std::int64_t, std::string>{2, "其他医院"}, {2, ""}, {1, "示例医院"}}) {
    const auto before = row(seq);
    exec("UPDATE audit_log SET org = ? WHERE seq = ?", {Value{org}, Value{seq}});
    expect_failure(verify(), reason::kHashMismatch, seq);
    put_row(before);
    EXPECT_TRUE(verify().ok());
  }
}

// Schema version 6 (issue 16) adds audit_log.org: a log written by an older hpki (no org
// column) verifies after the upgrade, and entries appended after it extend the same chain.
TEST_P(AuditTest, LogWrittenBeforeVersion6VerifiesAfterTheUpgrade) {
  TestDb fresh(std::get<0>(GetParam()));
  ASSERT_EQ(fresh.error(), "");
  {
    auto v5 = store::open_store(fresh.url(), clock_, {.target_schema_version = 5});
    ASSERT_TRUE(v5.has_value()) << v5.error().to_string();
    Bytes prev(crypto::hash_size(alg()), 0);
    for (std::int64_t seq = 1; seq <= 3; ++seq) {
      clock_.advance(1s);
      store::AuditRecord e{.seq = seq,
                           .at = std::chrono::floor<std::chrono::seconds>(clock_.now()),
                           .actor = "cli",
                           .action = "cert.issue",
                           .object = "rsa-issuing/" + std::to_string(seq),
                           .outcome = "success",
                           .details = "{}",
                           .hash_alg = std::string(crypto::hash_name(alg())),
                           .prev_hash = prev};
      e.hash = h(alg(), textbook_entry_message(e));
      prev = e.hash;
      const std::vector<Value> p = {
          Value{e.seq},
          Value{std::chrono::duration_cast<std::chrono::seconds>(e.at.time_since_epoch()).count()},
          Value{e.actor},
          Value{e.action},
          Value{e.object},
          Value{e.outcome},
          Value{e.details},
          Value{e.hash_alg},
          Value{e.prev_hash},
          Value{e.hash}};
      ASSERT_TRUE((*v5)->transact([&](store::Tx& tx) -> Result<void> {
        HPKI_TRY(store::raw::exec(
            tx,
            "INSERT INTO audit_log (seq, at, actor, action, object, outcome, details, hash_alg, "
            "prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            p));
        return {};
      }));
    }
  }
  auto upgraded = store::open_store(fresh.url(), clock_);
  ASSERT_TRUE(upgraded.has_value()) << upgraded.error().to_string();
  clock_.advance(1s);
  ASSERT_TRUE((*upgraded)->transact([&](store::Tx& tx) -> Result<void> {
    Event e = event(9);
    e.org = "示例医院";
    HPKI_TRY(log_->append(tx, e));
    return {};
  }));
  auto report = log_->verify(**upgraded, {.audit_key_spki = key().public_key_der()});
  ASSERT_TRUE(report.has_value()) << report.error().to_string();
  EXPECT_TRUE(report->ok()) << report->failure->message;
  EXPECT_EQ(report->entries_checked, 4);
  auto all = log_->list(**upgraded, 1, 10).value();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].org, "");
  EXPECT_EQ(all[3].org, "示例医院");
}

// (b) a deleted middle row
TEST_P(AuditTest, DeletedRowIsASeqGap) {
  append_n(10);
  exec("DELETE FROM audit_log WHERE seq = 4");
  auto v = verify();
  expect_failure(v, reason::kSeqGap, 4);
  EXPECT_EQ(v.entries_checked, 3);
  exec("DELETE FROM audit_log WHERE seq IN (5, 6)");
  expect_failure(verify(), reason::kSeqGap, 4);
  // The first row.
  exec("DELETE FROM audit_log WHERE seq = 1");
  expect_failure(verify(), reason::kSeqGap, 1);
}

TEST_P(AuditTest, DeletedRowHiddenByRenumberingIsDetected) {
  append_n(10);
  exec("DELETE FROM audit_log WHERE seq = 4");
  exec("UPDATE audit_log SET seq = seq + 1000 WHERE seq > 4");
  exec("UPDATE audit_log SET seq = seq - 1001 WHERE seq > 1000");
  // Row 4 is old row 5, hashed with seq 5.
  expect_failure(verify(), reason::kHashMismatch, 4);
  // Rehashed for its new seq, it still links to the deleted entry.
  put_row(rehashed(row(4)));
  expect_failure(verify(), reason::kPrevHashMismatch, 4);
}

// (c) an inserted forged row
TEST_P(AuditTest, InsertedRowIsDetected) {
  append_n(10);
  // Shift seq >= 6 up by one and insert a forgery at 6 that links correctly to entry 5 and
  // has a self-consistent hash: the old entry 6, now at 7, was hashed with seq 6.
  exec("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 6");
  exec("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1006");
  store::AuditRecord forged = row(5);
  forged.seq = 6;
  forged.actor = "eve";
  forged.action = "cert.issue";
  forged.object = "rsa-issuing/badc0ffee";
  forged.prev_hash = row(5).hash;
  put_row(rehashed(forged));
  auto v = verify();
  expect_failure(v, reason::kHashMismatch, 7);
  EXPECT_EQ(v.entries_checked, 6);
}

TEST_P(AuditTest, RowInsertedIntoAGapIsDetected) {
  append_n(10);
  // Replace entry 6 by a self-consistent forgery: entry 7 no longer links to it.
  store::AuditRecord forged = row(6);
  forged.outcome = "denied";
  put_row(rehashed(forged));
  expect_failure(verify(), reason::kPrevHashMismatch, 7);
  // A self-consistent forgery that does not link to its predecessor.
  forged.prev_hash = Bytes(crypto::hash_size(alg()), 0x42);
  put_row(rehashed(forged));
  expect_failure(verify(), reason::kPrevHashMismatch, 6);
  // Rows before 1 are not part of the log.
  store::AuditRecord zero = row(1);
  zero.seq = 0;
  put_row(rehashed(zero));
  expect_failure(verify(), reason::kSeqOutOfRange, 0);
}

// (d) reordered rows
TEST_P(AuditTest, ReorderedRowsAreDetected) {
  append_n(10);
  // Swap the contents of 3 and 7, keeping the seqs.
  exec("UPDATE audit_log SET seq = 100 WHERE seq = 3");
  exec("UPDATE audit_log SET seq = 3 WHERE seq = 7");
  exec("UPDATE audit_log SET seq = 7 WHERE seq = 100");
  expect_failure(verify(), reason::kHashMismatch, 3);
  // Rehash both for their new positions: the chain links are still wrong.
  put_row(rehashed(row(3)));
  put_row(rehashed(row(7)));
  expect_failure(verify(), reason::kPrevHashMismatch, 3);
}

// A history rewritten consistently (every hash recomputed) is only caught by a checkpoint.
TEST_P(AuditTest, ConsistentlyRewrittenHistoryIsCaughtByTheCheckpoint) {
  append_n(10);
  checkpoint();
  append_n(2);
  rewrite_from(4);
  auto v = verify();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.failure->reason, reason::kCheckpointRootMismatch) << v.failure->message;
  EXPECT_EQ(v.failure->seq, 10);
  EXPECT_EQ(v.failure->checkpoint_seq, 10);
  EXPECT_EQ(v.entries_checked, 10);  // the chain itself is consistent
}

TEST_P(AuditTest, RewriteAfterTheNewestCheckpointIsNotDetectable) {
  append_n(10);
  checkpoint();
  append_n(3);
  rewrite_from(12);
  auto v = verify();
  EXPECT_TRUE(v.ok());  // documented limit: the unprotected tail
  EXPECT_EQ(v.unprotected_entries, 3);
}

TEST_P(AuditTest, BrokenLogIsNeverCheckpointed) {
  append_n(5);
  checkpoint();
  append_n(2);
  exec("UPDATE audit_log SET actor = 'x' WHERE seq = 2");
  auto c = log_->checkpoint(*store_, *signer_, test::key_id("file:audit"));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kAuditBroken);
  EXPECT_NE(c.error().detail().find(reason::kHashMismatch), std::string::npos);
  EXPECT_EQ(rows().size(), 7u);
}

// (e) truncation of the tail
TEST_P(AuditTest, DeletedNewestRowsAfterACheckpointAreDetected) {
  append_n(10);
  checkpoint();
  exec("DELETE FROM audit_log WHERE seq >= 9");
  auto v = verify();
  expect_failure(v, reason::kCheckpointBeyondLog, 9);
  EXPECT_EQ(v.failure->checkpoint_seq, 10);
  EXPECT_EQ(v.entries_checked, 8);
  // Regrowing the log past the checkpoint with genuine appends: the root differs.
  append_n(3);
  v = verify();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.failure->reason, reason::kCheckpointRootMismatch) << v.failure->message;
  EXPECT_EQ(v.failure->seq, 10);
}

TEST_P(AuditTest, TruncationOfTheUnprotectedTailIsNotDetectable) {
  append_n(8);
  checkpoint();
  append_n(4);
  exec("DELETE FROM audit_log WHERE seq >= 11");
  auto v = verify();
  EXPECT_TRUE(v.ok());  // documented limit: only checkpoints protect the tail
  EXPECT_EQ(v.unprotected_entries, 2);
  // Deleting the checkpoint row along with the entries it covers is only caught with the
  // checkpoint kept outside the database.
  const auto outside = checkpoint();  // covers 1..10
  exec("DELETE FROM audit_checkpoints WHERE seq = 10");
  exec("DELETE FROM audit_log WHERE seq >= 9");
  EXPECT_TRUE(verify().ok());
  auto t = verify({.trusted_checkpoints = {outside}});
  expect_failure(t, reason::kCheckpointBeyondLog, 9);
  EXPECT_EQ(t.failure->checkpoint_seq, 10);
}

TEST_P(AuditTest, TrustedCheckpointMustBeInTheDatabase) {
  append_n(5);
  const auto outside = checkpoint();
  EXPECT_TRUE(verify({.trusted_checkpoints = {outside}}).ok());
  exec("DELETE FROM audit_checkpoints WHERE seq = 5");
  auto v = verify({.trusted_checkpoints = {outside}});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.failure->reason, reason::kCheckpointMissing);
  EXPECT_EQ(v.failure->checkpoint_seq, 5);
}

// (f) tampered checkpoints
TEST_P(AuditTest, TamperedCheckpointsAreDetected) {
  append_n(6);
  const auto c = checkpoint();
  append_n(2);
  ASSERT_TRUE(verify().ok());
  auto restore = [&] {
    exec("DELETE FROM audit_checkpoints WHERE seq = 6");
    exec(
        "INSERT INTO audit_checkpoints (seq, tree_size, root_hash, signature, key_ref, "
        "signed_at) VALUES (?, ?, ?, ?, ?, ?)",
        {Value{c.seq}, Value{c.tree_size}, Value{c.root_hash}, Value{c.signature},
         Value{c.key_ref.str()},
         Value{std::chrono::duration_cast<std::chrono::seconds>(c.signed_at.time_since_epoch())
                   .count()}});
    ASSERT_TRUE(verify().ok());
  };

  Bytes root = c.root_hash;
  root[5] ^= 0x80;
  exec("UPDATE audit_checkpoints SET root_hash = ? WHERE seq = 6", {Value{root}});
  auto v = verify();
  expect_failure(v, reason::kCheckpointRootMismatch, 6);
  EXPECT_EQ(v.entries_checked, 6);
  restore();

  Bytes sig = c.signature;
  sig[sig.size() / 2] ^= 0x01;
  exec("UPDATE audit_checkpoints SET signature = ? WHERE seq = 6", {Value{sig}});
  expect_failure(verify(), reason::kCheckpointSignatureInvalid, 6);
  restore();

  // The signed time and key reference are covered by the signature too.
  exec("UPDATE audit_checkpoints SET signed_at = signed_at + 1 WHERE seq = 6");
  expect_failure(verify(), reason::kCheckpointSignatureInvalid, 6);
  restore();
  exec("UPDATE audit_checkpoints SET key_ref = 'file:other' WHERE seq = 6");
  expect_failure(verify(), reason::kCheckpointSignatureInvalid, 6);
  restore();

  exec("UPDATE audit_checkpoints SET tree_size = 5 WHERE seq = 6");
  expect_failure(verify(), reason::kCheckpointInconsistent, 6);
  restore();

  // Moved to another seq: the root no longer fits.
  exec("UPDATE audit_checkpoints SET seq = 7, tree_size = 7 WHERE seq = 6");
  expect_failure(verify(), reason::kCheckpointRootMismatch, 7);
  exec("DELETE FROM audit_checkpoints");
  restore();

  // A checkpoint forged with another key, correct root and all.
  auto other = crypto::PrivateKey::generate(key().spec());
  ASSERT_TRUE(other.has_value());
  auto forger = other->signer();
  ASSERT_TRUE(forger.has_value());
  exec("DELETE FROM audit_checkpoints");
  clock_.advance(1s);
  ASSERT_TRUE(log_->checkpoint(*store_, **forger, test::key_id("file:audit")).has_value());
  expect_failure(verify(), reason::kCheckpointSignatureInvalid, 8);
  // Checked against the forger's key it verifies: the key decides.
  EXPECT_TRUE(verify({.audit_key_spki = other->public_key_der()}).ok());
}

TEST_P(AuditTest, KeysAreResolvedByReference) {
  append_n(3);
  checkpoint();
  int calls = 0;
  auto resolve = [&](const KeyId& ref) -> Result<Bytes> {
    ++calls;
    if (ref == test::key_id("file:audit")) return key().public_key_der();
    return fail(ErrorCode::kKeyNotFound, "no key " + ref.str());
  };
  auto v = verify({.resolve_key = resolve});
  EXPECT_TRUE(v.ok());
  EXPECT_TRUE(v.signatures_checked);
  EXPECT_EQ(calls, 1);
  append_n(2);
  clock_.advance(1s);
  ASSERT_TRUE(log_->checkpoint(*store_, *signer_, test::key_id("file:retired")).has_value());
  expect_failure(verify({.resolve_key = resolve}), reason::kCheckpointKeyUnknown, 5);
}

TEST_P(AuditTest, RsaAuditKey) {
  auto rsa = key_of(crypto::KeyType::kRsa).signer();
  ASSERT_TRUE(rsa.has_value());
  append_n(7);
  clock_.advance(1s);
  auto c = log_->checkpoint(*store_, **rsa, test::key_id("pkcs11:audit-rsa"));
  ASSERT_TRUE(c.has_value()) << c.error().to_string();
  EXPECT_TRUE(verify({.audit_key_spki = key_of(crypto::KeyType::kRsa).public_key_der()}).ok());
  expect_failure(verify(), reason::kCheckpointSignatureInvalid, 7);  // not the SM2/P-256 key
  // Checkpoints use the key type's default algorithm only (the store keeps no algorithm).
  auto pss = key_of(crypto::KeyType::kRsa).signer(crypto::SignatureAlg::kRsaPssSha256);
  ASSERT_TRUE(pss.has_value());
  append_n(1);
  auto refused = log_->checkpoint(*store_, **pss, test::key_id("file:x"));
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
}

// (g) an entry appended in a transaction that fails is rolled back with it
TEST_P(AuditTest, FailedTransactionRollsTheEntryBack) {
  append_n(3);
  auto r = store_->transact([&](store::Tx& tx) -> Result<void> {
    EXPECT_EQ(HPKI_TRY(log_->append(tx, event(100))), 4);
    EXPECT_EQ(HPKI_TRY(log_->append(tx, event(101))), 5);
    return fail(ErrorCode::kLintFailed, "issuance failed after the audit entries");
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kLintFailed);
  EXPECT_EQ(rows().size(), 3u);
  EXPECT_TRUE(verify().ok());
  append_n(1);
  EXPECT_EQ(rows().back().seq, 4);
  EXPECT_EQ(rows().back().object, event(0).object);
  auto v = verify();
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.entries_checked, 4);
}

// (h) concurrent appenders, each in its own transaction, on two connections / stores
TEST_P(AuditTest, ConcurrentAppendsFormOneValidChain) {
  auto second = store::open_store(db_->url(), clock_);
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    store::Store& s = t % 2 == 0 ? *store_ : **second;
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto r = s.transact([&](store::Tx& tx) -> Result<void> {
          Event e = event(i);
          e.actor = "thread-" + std::to_string(t);
          HPKI_TRY(log_->append(tx, e));
          return {};
        });
        if (!r) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto v = verify();
  EXPECT_TRUE(v.ok()) << v.failure->message;
  EXPECT_EQ(v.entries_checked, kThreads * kEach);
  checkpoint();
  EXPECT_TRUE(verify().ok());
}

TEST_P(AuditTest, AppendValidatesAndRefusesAForeignChain) {
  auto bad = [&](Event e) {
    auto r = store_->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(log_->append(tx, e));
      return {};
    });
    EXPECT_FALSE(r.has_value());
    return r.has_value() ? ErrorCode::kInternal : r.error().code();
  };
  Event e = event(0);
  e.actor.clear();
  EXPECT_EQ(bad(e), ErrorCode::kInvalidArgument);
  e = event(0);
  e.details = "{not json";
  EXPECT_EQ(bad(e), ErrorCode::kInvalidArgument);
  e = event(0);
  e.details.clear();
  auto r = store_->transact([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(log_->append(tx, e));
    return {};
  });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(rows().at(0).details, "{}");

  // A log of the other hash cannot append to this chain, and verifies it as foreign.
  auto other = AuditLog::create(alg() == HashAlg::kSm3 ? HashAlg::kSha256 : HashAlg::kSm3, clock_);
  ASSERT_TRUE(other.has_value());
  auto foreign = store_->transact([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(other->append(tx, event(1)));
    return {};
  });
  ASSERT_FALSE(foreign.has_value());
  EXPECT_EQ(foreign.error().code(), ErrorCode::kAuditBroken);
  auto v = other->verify(*store_, {});
  ASSERT_TRUE(v.has_value());
  ASSERT_FALSE(v->ok());
  EXPECT_EQ(v->failure->reason, reason::kHashAlgMismatch);
  EXPECT_EQ(v->failure->seq, 1);
}

TEST_P(AuditTest, EmptyLogAndListing) {
  auto v = verify();
  EXPECT_TRUE(v.ok());
  EXPECT_EQ(v.entries_checked, 0);
  auto c = log_->checkpoint(*store_, *signer_, test::key_id("file:audit"));
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code(), ErrorCode::kBadState);

  append_n(7);
  auto page = log_->list(*store_, 3, 2);
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ(page->at(0).seq, 3);
  EXPECT_EQ(page->at(1).seq, 4);
  EXPECT_EQ(log_->list(*store_, 1, 0).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(log_->list(*store_, 1, 10001).error().code(), ErrorCode::kInvalidArgument);
  auto bad_batch = log_->verify(*store_, {.batch_size = 0});
  ASSERT_FALSE(bad_batch.has_value());
  EXPECT_EQ(bad_batch.error().code(), ErrorCode::kInvalidArgument);
}

// ---------------------------------------------------------------- inclusion proofs

// A log whose checkpoints cache subtrees of height >= 4 (16 entries), so that a few thousand
// entries exercise the cache on many levels; `n` entries appended in transactions of 500.
class AuditProofTest : public AuditTest {
 protected:
  static constexpr int kHeight = 4;

  void SetUp() override {
    AuditTest::SetUp();
    auto l = AuditLog::create(alg(), clock_, {.subtree_height = kHeight});
    ASSERT_TRUE(l.has_value()) << l.error().to_string();
    small_.emplace(std::move(*l));
  }

  void append_many(int n) {
    for (int done = 0; done < n; done += 500) {
      clock_.advance(1s);
      auto r = store_->transact([&](store::Tx& tx) -> Result<void> {
        for (int i = done; i < std::min(n, done + 500); ++i) HPKI_TRY(small_->append(tx, event(i)));
        return {};
      });
      ASSERT_TRUE(r.has_value()) << r.error().to_string();
    }
  }

  store::AuditCheckpoint small_checkpoint() {
    clock_.advance(1s);
    auto c = small_->checkpoint(*store_, *signer_, test::key_id("file:audit"));
    EXPECT_TRUE(c.has_value()) << c.error().to_string();
    return c.value_or(store::AuditCheckpoint{});
  }

  std::vector<Bytes> hashes() {
    std::vector<Bytes> out;
    for (std::int64_t from = 1;;) {
      auto rows = store_->read_value<std::vector<store::AuditEntryHash>>(
          [&](store::Tx& tx) { return tx.read_audit_hashes(from, 10000); });
      EXPECT_TRUE(rows.has_value());
      if (!rows || rows->empty()) return out;
      for (auto& r : *rows) out.push_back(std::move(r.hash));
      from = static_cast<std::int64_t>(out.size()) + 1;
    }
  }

  std::vector<store::AuditSubtree> cache() {
    auto r = store_->read_value<std::vector<store::AuditSubtree>>(
        [](store::Tx& tx) { return tx.list_audit_subtrees(0); });
    EXPECT_TRUE(r.has_value());
    return r.value_or(std::vector<store::AuditSubtree>{});
  }

  // The proof of `seq` against checkpoint c; checks it against the in-memory proof and returns
  // the verification's result.
  Result<void> prove(std::int64_t seq, const store::AuditCheckpoint& c,
                     const std::vector<Bytes>& all) {
    auto p = small_->inclusion_proof(*store_, seq, c.tree_size);
    if (!p) return std::unexpected(p.error());
    EXPECT_EQ(p->leaf_index, seq - 1);
    EXPECT_EQ(p->tree_size, c.tree_size);
    EXPECT_EQ(p->path.size(), inclusion_path_length(seq - 1, c.tree_size));
    return verify_inclusion(alg(), all.at(static_cast<std::size_t>(seq - 1)), *p, c.root_hash);
  }

  std::optional<AuditLog> small_;
};

// RFC 9162 2.1.3.1 / 2.1.3.2 on the database: proofs of entries at the edges of blocks and
// subtrees verify against signed checkpoints, with the subtree cache, without it (an older
// database), and with the default height (whose subtrees the small-height checkpoints did not
// cache: computed from the entries).
TEST_P(AuditProofTest, ProofsVerifyWithAndWithoutTheCache) {
  append_many(1000);
  const auto c1000 = small_checkpoint();
  append_many(2000);
  const auto c3000 = small_checkpoint();
  ASSERT_EQ(c3000.tree_size, 3000);
  const auto all = hashes();
  ASSERT_EQ(all.size(), 3000u);

  // The cache holds every perfect subtree of height >= 4 below 3000, with its MTH.
  const auto cached = cache();
  std::size_t want = 0;
  for (int height = kHeight; (std::int64_t{1} << height) <= 3000; ++height) {
    want += 3000u >> height;
  }
  EXPECT_EQ(cached.size(), want);  // 187 + 93 + 46 + 23 + 11 + 5 + 2 + 1
  for (const auto& t : cached) {
    ASSERT_GE(t.height, kHeight);
    const std::size_t size = std::size_t{1} << t.height;
    const auto first = static_cast<std::size_t>(t.index) * size;
    ASSERT_LE(first + size, all.size());
    EXPECT_EQ(t.hash, textbook_mth(alg(), std::span<const Bytes>(all).subspan(first, size)));
  }

  const std::vector<std::int64_t> seqs = {1,    2,    15,   16,   17,   32,   33,   1000,
                                          1024, 1025, 1500, 2047, 2048, 2049, 2999, 3000};
  auto check_all = [&](AuditLog& log, const std::string& what) {
    for (std::int64_t seq : seqs) {
      auto p = log.inclusion_proof(*store_, seq, c3000.tree_size);
      ASSERT_TRUE(p.has_value()) << what << " seq " << seq << ": " << p.error().to_string();
      // The same path as the in-memory construction (RFC 9162 2.1.3.1).
      auto mem = inclusion_proof_from_hashes(alg(), all, seq - 1);
      ASSERT_TRUE(mem.has_value());
      EXPECT_EQ(p->path, mem->path) << what << " seq " << seq;
      auto v = verify_inclusion(alg(), all[static_cast<std::size_t>(seq - 1)], *p, c3000.root_hash);
      EXPECT_TRUE(v.has_value()) << what << " seq " << seq << ": " << v.error().to_string();
    }
    for (std::int64_t seq : {1, 500, 999, 1000}) {
      auto v = prove(seq, c1000, all);
      EXPECT_TRUE(v.has_value()) << what << " seq " << seq << " of 1000";
    }
  };
  check_all(*small_, "cached");
  check_all(*log_, "height 10, not cached");
  exec("DELETE FROM audit_subtrees");
  check_all(*small_, "cache deleted");
  // The next checkpoint fills the cache again.
  append_many(1);
  const auto c3001 = small_checkpoint();
  EXPECT_EQ(cache().size(), want);
  EXPECT_TRUE(prove(3001, c3001, hashes()).has_value());
}

// A wrong cached hash never yields a proof that verifies: the verifier checks against the
// signed root only. The next checkpoint repairs the cache.
TEST_P(AuditProofTest, CorruptedCacheGivesAProofThatFails) {
  append_many(3000);
  const auto c = small_checkpoint();
  const auto all = hashes();
  ASSERT_TRUE(prove(1, c, all).has_value());
  ASSERT_TRUE(prove(2500, c, all).has_value());

  // (4, 1) = entries 17..32 is on leaf 0's path; (9, 4) = entries 2049..2560 is part of the
  // right edge D[2048:3000] on that path too, and (4, 157) = entries 2513..2528 is on the
  // path of entry 2500.
  for (auto [height, index] : {std::pair{4, 1}, std::pair{9, 4}}) {
    auto stored = cache();
    Bytes bad;
    for (const auto& t : stored) {
      if (t.height == height && t.index == index) bad = t.hash;
    }
    ASSERT_FALSE(bad.empty());
    bad[3] ^= 0x10;
    exec("UPDATE audit_subtrees SET hash = ? WHERE height = ? AND idx = ?",
         {Value{bad}, Value{std::int64_t{height}}, Value{std::int64_t{index}}});
    auto v = prove(1, c, all);
    ASSERT_FALSE(v.has_value()) << "corrupted (" << height << ", " << index << ") not detected";
    EXPECT_EQ(v.error().code(), ErrorCode::kAuditBroken);
  }
  exec("UPDATE audit_subtrees SET hash = ? WHERE height = 4 AND idx = 157",
       {Value{Bytes(crypto::hash_size(alg()), 0x42)}});
  auto v = prove(2500, c, all);
  ASSERT_FALSE(v.has_value());
  EXPECT_EQ(v.error().code(), ErrorCode::kAuditBroken);
  // A cached hash of the wrong length is not used (the subtree is computed instead).
  exec("UPDATE audit_subtrees SET hash = ? WHERE height = 4 AND idx = 157", {Value{Bytes{1, 2}}});
  EXPECT_TRUE(prove(2500, c, all).has_value());

  // A new checkpoint recomputes every subtree while verifying and rewrites the wrong ones.
  append_many(1);
  const auto next = small_checkpoint();
  const auto now = hashes();
  EXPECT_TRUE(prove(1, next, now).has_value());
  EXPECT_TRUE(prove(2500, next, now).has_value());
}

TEST_P(AuditProofTest, BadRequestsAndMissingEntries) {
  append_many(100);
  const auto c = small_checkpoint();
  auto code = [&](std::int64_t seq, std::int64_t size) {
    auto p = small_->inclusion_proof(*store_, seq, size);
    return p.has_value() ? std::optional<ErrorCode>{} : p.error().code();
  };
  EXPECT_EQ(code(0, 100), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(-1, 100), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(101, 100), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code(5, 101), ErrorCode::kNotFound);  // the tree is larger than the log
  EXPECT_EQ(code(100, 100), std::nullopt);
  // An entry deleted in the block of the proven one: kNotFound, not a wrong proof.
  exec("DELETE FROM audit_log WHERE seq = ?", {Value{std::int64_t{40}}});
  EXPECT_EQ(code(35, c.tree_size), ErrorCode::kNotFound);
  // The cache alone cannot stand in for the tree's last entry.
  exec("DELETE FROM audit_log WHERE seq = ?", {Value{std::int64_t{100}}});
  EXPECT_EQ(code(1, 100), ErrorCode::kNotFound);
  // Log options are checked.
  for (int height : {0, 21}) {
    auto bad = AuditLog::create(alg(), clock_, {.subtree_height = height});
    ASSERT_FALSE(bad.has_value()) << height;
    EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  }
}

std::string param_name(const ::testing::TestParamInfo<AuditTest::ParamType>& info) {
  return std::get<0>(info.param) + "_" + std::string(crypto::hash_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(BackendsAndHashes, AuditTest,
                         ::testing::Combine(::testing::Values("sqlite", "postgresql"),
                                            ::testing::Values(HashAlg::kSha256, HashAlg::kSm3)),
                         param_name);
INSTANTIATE_TEST_SUITE_P(BackendsAndHashes, AuditProofTest,
                         ::testing::Combine(::testing::Values("sqlite", "postgresql"),
                                            ::testing::Values(HashAlg::kSha256, HashAlg::kSm3)),
                         param_name);

}  // namespace
}  // namespace hpki::audit
