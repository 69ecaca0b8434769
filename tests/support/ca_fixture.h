// The CA fixture: a CA home as `hpki ca init` makes it — the demo organization 示例医院 (whose
// device names may be under example.cn and 10.0.0.0/8), the test passphrase, the repository's
// profiles, the RSA and SM2 hierarchies unless the test asks for fewer — on a fresh database of
// the backend under test, opened as a ca::Runtime. The backend is the test's parameter,
// "sqlite" or "postgresql":
//
//   class TsaTest : public test::CaFixture { ... };
//   TEST_P(TsaTest, ...) { rt_->ca().issue(...); }
//   INSTANTIATE_TEST_SUITE_P(Backends, TsaTest, test::backends(), test::backend_name);
//
// init_test_home() makes such a home alone, for tests parametrised otherwise. In-memory test CAs
// without a home: tests/support/test_ca.h.
//
// A test binary using it links hpki_ca and is declared with hpki_add_test(... DATABASE), which
// requires the CTest fixture "pg" (the PostgreSQL server of scripts/pg-test-server.sh, see
// tests/support/test_db.h) and defines HPKI_PG_URL_FILE. Needs HPKI_SOURCE_DIR (profiles/).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ca/runtime.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"

namespace hpki::test {

inline constexpr std::string_view kTestPassphrase = "correct horse battery";

// A requester with the admin role (what the CLI is), named `actor` in the audit log.
inline ca::Requester admin(std::string actor = "test") {
  return {std::move(actor), std::string(ca::kAdminRole)};
}

// A home as described above in `home` on `database_url` ("" = SQLite in the home) with the
// hierarchies of `families`.
inline Result<std::unique_ptr<ca::Runtime>> init_test_home(
    const std::filesystem::path& home, const std::string& database_url = {},
    std::vector<store::CaFamily> families = {store::CaFamily::kRsa, store::CaFamily::kSm2}) {
  ca::InitOptions io;
  io.organization = "示例医院";
  // The demo organization's device names live under example.cn and 10.0.0.0/8.
  io.organization_dns = {"example.cn"};
  io.organization_ip = {"10.0.0.0/8"};
  io.database_url = database_url;
  ca::InitHierarchyOptions ho;
  ho.families = std::move(families);
  return ca::Runtime::init(home, io, ho, SecretBytes(kTestPassphrase),
                           std::filesystem::path(HPKI_SOURCE_DIR) / "profiles");
}

// The parameters of a CaFixture test (every database backend hpki supports) and their names in
// the test names ("Backends/TsaTest.X/sqlite").
inline auto backends() {
  return ::testing::Values(std::string("sqlite"), std::string("postgresql"));
}
inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

// The subject of the CSRs made by CaFixture::csr() unless a test names another.
inline constexpr std::string_view kStaffDn = "/C=CN/O=示例医院/OU=心内科/CN=张三";

class CaFixture : public ::testing::TestWithParam<std::string> {
 protected:
  explicit CaFixture(std::vector<store::CaFamily> families = {store::CaFamily::kRsa,
                                                              store::CaFamily::kSm2})
      : families_(std::move(families)) {}

  // Makes the database and the home, and opens it (rt_). A fixture that needs more overrides
  // SetUp(), calls CaFixture::SetUp() first and returns if HasFatalFailure().
  void SetUp() override {
    db_ = std::make_unique<TestDb>(GetParam());
    ASSERT_EQ(db_->error(), "");
    auto rt = init_test_home(home(), db_->url(), families_);
    ASSERT_TRUE(rt) << rt.error().to_string();
    rt_ = std::move(*rt);
  }

  [[nodiscard]] std::filesystem::path home() const { return dir_.path() / "home"; }

  // A new key and a PEM CSR made by the openssl CLI with subject `subj`: `alg` "rsa" (2048
  // bits), "ec" (P-256) or "sm2" (SM3, signed with the standard distinguishing ID). The key's
  // PEM is in the file `key_file`.
  struct OpensslCsr {
    std::string key_file;
    Bytes csr;
  };
  OpensslCsr openssl_csr(const std::string& alg, std::string_view subj = kStaffDn) {
    const std::string key = dir_.file("k-" + std::to_string(csr_count_++) + ".pem");
    const std::string out = key + ".csr";
    std::string cmd = "openssl req -new -utf8 -nodes -keyout " + key + " -out " + out + " -subj '" +
                      std::string(subj) + "'";
    if (alg == "rsa") cmd += " -newkey rsa:2048";
    if (alg == "ec") cmd += " -newkey ec -pkeyopt ec_paramgen_curve:P-256";
    if (alg == "sm2") cmd += " -newkey sm2 -sm3 -sigopt distid:1234567812345678";
    auto r = run(cmd);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return {key, read_file(out)};
  }
  Bytes csr(const std::string& alg, std::string_view subj = kStaffDn) {
    return openssl_csr(alg, subj).csr;
  }

  // A member of staff of 示例医院 (心内科, 张三) with identity number `id`.
  static x509::SubjectData staff(std::string id = "310101199001011234") {
    x509::SubjectData s;
    s.organization = "示例医院";
    s.department = "心内科";
    s.common_name = "张三";
    s.identifiers["id_number"] = std::move(id);
    return s;
  }

  // A certificate of `profile` for `s` (staff() when empty) from a csr(alg), requested by an
  // admin.
  Result<ca::IssueResult> issue_csr(const std::string& alg,
                                    const std::string& profile = "staff-sign",
                                    x509::SubjectData s = {}) {
    ca::IssueRequest r;
    r.requester = admin();
    r.profile = profile;
    r.csr = csr(alg);
    r.subject.data = s.common_name.empty() ? staff() : std::move(s);
    return rt_->ca().issue(r);
  }

  TempDir dir_;
  std::unique_ptr<TestDb> db_;
  std::unique_ptr<ca::Runtime> rt_;

 private:
  std::vector<store::CaFamily> families_;
  int csr_count_ = 0;
};

}  // namespace hpki::test
