// The fixture of the store tests (tests/unit/store/store_*_test.cpp): every store operation
// against both backends, SQLite in a temp file and a real PostgreSQL server started by the CTest
// fixture "pg" (scripts/pg-test-server.sh). The PostgreSQL cases fail, never skip, when the
// server is not there. StoreTest's cases of every file are instantiated once, in
// store_open_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "core/clock.h"
#include "store/detail/raw.h"
#include "store/store.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace hpki::store {

using namespace std::chrono_literals;
using raw::Row;  // store/detail/raw.h: the test-only raw SQL path
using raw::Value;
using test::TestDb;

inline const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<TestDb>(GetParam());
    ASSERT_EQ(db_->error(), "");
    auto s = open_store(db_->url(), clock_);
    ASSERT_TRUE(s.has_value()) << s.error().to_string();
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    db_.reset();
  }

  Result<std::unique_ptr<Store>> reopen(const StoreOptions& o = {}) {
    return open_store(db_->url(), clock_, o);
  }

  void run(const Store::TxFn& fn) {
    auto r = store_->transact(fn);
    ASSERT_TRUE(r.has_value()) << r.error().to_string();
  }

  static CaRecord root_ca(std::string id = "rsa-root") {
    return CaRecord{.id = std::move(id),
                    .family = CaFamily::kRsa,
                    .role = CaRole::kRoot,
                    .key_ref = test::key_id("file:rsa-root"),
                    .certificate = Bytes{0x30, 0x82, 0x01, 0x00},
                    .parent_id = std::nullopt,
                    .subject = "CN=Root"};
  }

  static CertificateRecord cert(std::string ca, std::string serial) {
    CertificateRecord c;
    c.ca_id = std::move(ca);
    c.serial = test::sn(serial);
    c.subject = "CN=Zhang San,OU=Cardiology,O=First Hospital";
    c.org = "First Hospital";
    c.dept = "Cardiology";
    c.profile = "staff-sign";
    c.not_before = kT0;
    c.not_after = kT0 + 24h * 365;
    c.der = Bytes{0x30, 0x03, 0x02, 0x01, 0x07};
    c.request = Bytes{0x30, 0x01, 0x00};
    c.key_type = "sm2";
    c.requested_by = "ra:alice";
    return c;
  }

  void add_root() {
    run([](Tx& tx) { return tx.insert_ca(root_ca()); });
  }

  FixedClock clock_{kT0};
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<Store> store_;
};

}  // namespace hpki::store
