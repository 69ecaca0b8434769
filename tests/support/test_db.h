// A fresh, empty database of a backend under test ("sqlite" or "postgresql"), dropped
// afterwards. PostgreSQL comes from the CTest fixture "pg" (scripts/pg-test-server.sh), whose URL
// is in the file HPKI_PG_URL_FILE (or $HPKI_TEST_PG_URL). Declare the test binary with
// hpki_add_test(... DATABASE), which requires the fixture, defines HPKI_PG_URL_FILE and links
// libpq. A whole CA home on such a database: tests/support/ca_fixture.h.
#pragma once

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#ifndef HPKI_PG_URL_FILE
#error "define HPKI_PG_URL_FILE (the pg fixture's URL file) for tests that use test_db.h"
#endif

namespace hpki::test {

inline std::string pg_admin_url() {
  if (const char* env = std::getenv("HPKI_TEST_PG_URL"); env != nullptr && *env != '\0') {
    return env;
  }
  std::ifstream in(HPKI_PG_URL_FILE);
  std::string url;
  std::getline(in, url);
  return url;
}

// Runs one statement outside a transaction on the admin database (CREATE/DROP DATABASE).
inline std::string pg_admin_exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string err;
  if (PQstatus(c) != CONNECTION_OK) {
    err = PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK) err = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return err;
}

// A fresh, empty database of the backend under test, dropped afterwards.
class TestDb {
 public:
  explicit TestDb(std::string backend) : backend_(std::move(backend)) {
    static std::atomic<int> counter{0};
    const std::string tag = std::to_string(::getpid()) + "_" + std::to_string(counter++);
    if (backend_ == "sqlite") {
      std::string tmpl = ::testing::TempDir() + "hpki-store-XXXXXX";
      if (::mkdtemp(tmpl.data()) == nullptr) {
        error_ = "mkdtemp failed";
        return;
      }
      dir_ = tmpl;
      url_ = "sqlite:" + dir_ + "/hpki.db";
    } else {
      admin_url_ = pg_admin_url();
      if (admin_url_.empty()) {
        error_ =
            "no PostgreSQL test server: the CTest fixture store.pg_start did not run or "
            "failed (see scripts/pg-test-server.sh); " HPKI_PG_URL_FILE " is missing";
        return;
      }
      db_name_ = "hpki_t_" + tag;
      error_ = pg_admin_exec(admin_url_, "CREATE DATABASE " + db_name_);
      const auto slash = admin_url_.rfind('/');
      url_ = admin_url_.substr(0, slash + 1) + db_name_;
    }
  }
  ~TestDb() {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
    if (!db_name_.empty())
      pg_admin_exec(admin_url_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
  }
  TestDb(const TestDb&) = delete;
  TestDb& operator=(const TestDb&) = delete;

  [[nodiscard]] const std::string& url() const { return url_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::string backend_;
  std::string dir_;
  std::string admin_url_;
  std::string db_name_;
  std::string url_;
  std::string error_;
};

}  // namespace hpki::test
