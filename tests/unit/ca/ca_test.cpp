// The CA engine (issue 4) on SQLite and PostgreSQL: hierarchy creation, every lifecycle
// operation for RSA and SM2, personal data protection, search, recovery of interrupted
// issuances and the audit trail. CSRs and key packages are checked with the openssl CLI.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ca/runtime.h"
#include "core/pem.h"
#include "der/oids.h"
#include "store/detail/raw.h"
#include "tests/support/test_ca.h"
#include "tests/support/test_db.h"
#include "tests/support/test_util.h"
#include "x509/certificate.h"
#include "x509/csr.h"

namespace hpki::ca {
namespace {

using store::CaFamily;
using store::CertStatus;

class CaTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<test::TestDb>(GetParam());
    ASSERT_EQ(db_->error(), "");
    auto rt = test::init_test_ca(home(), db_->url());
    ASSERT_TRUE(rt) << rt.error().to_string();
    rt_ = std::move(*rt);
  }

  std::filesystem::path home() const { return dir_.path() / "home"; }

  // An openssl-made CSR: "rsa" | "ec" | "sm2" (SM2 with the standard distinguishing ID).
  Bytes csr(const std::string& alg,
            const std::string& subj = "/C=CN/O=示例医院/OU=心内科/CN=张三") {
    std::string key = dir_.file("k-" + std::to_string(n_++) + ".pem");
    std::string out = key + ".csr";
    std::string cmd =
        "openssl req -new -utf8 -nodes -keyout " + key + " -out " + out + " -subj '" + subj + "'";
    if (alg == "rsa") cmd += " -newkey rsa:2048";
    if (alg == "ec") cmd += " -newkey ec -pkeyopt ec_paramgen_curve:P-256";
    if (alg == "sm2") cmd += " -newkey sm2 -sm3 -sigopt distid:1234567812345678";
    auto r = test::run(cmd);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return test::read_file(out);
  }

  x509::SubjectData staff(std::string id = "310101199001011234") {
    x509::SubjectData s;
    s.organization = "示例医院";
    s.department = "心内科";
    s.common_name = "张三";
    s.identifiers["id_number"] = std::move(id);
    return s;
  }

  Result<IssueResult> issue_csr(const std::string& alg, const std::string& profile = "staff-sign",
                                x509::SubjectData s = {}) {
    IssueRequest r;
    r.requester = hpki::test::admin();
    r.profile = profile;
    r.csr = csr(alg);
    r.subject.data = s.common_name.empty() ? staff() : std::move(s);
    return rt_->ca().issue(r);
  }

  test::TempDir dir_;
  std::unique_ptr<test::TestDb> db_;
  std::unique_ptr<Runtime> rt_;
  int n_ = 0;
};

TEST_P(CaTest, InitCreatesBothHierarchiesAndRefusesToOverwrite) {
  auto cas = rt_->ca().list_cas().value();
  std::set<std::string> ids;
  for (const auto& c : cas) ids.insert(c.id);
  EXPECT_EQ(ids, (std::set<std::string>{"rsa-root", "rsa-issuing", "rsa-ocsp", "rsa-tsa",
                                        "sm2-root", "sm2-issuing", "sm2-ocsp", "sm2-tsa"}));
  // Each CA certificate verifies under its parent, SM2 with the standard ID.
  std::map<std::string, store::CaRecord> by_id;
  for (const auto& c : cas) by_id[c.id] = c;
  for (const auto& c : cas) {
    auto cert = x509::Certificate::parse(c.certificate).value();
    const auto& parent = c.parent_id ? by_id.at(*c.parent_id) : c;
    auto pcert = x509::Certificate::parse(parent.certificate).value();
    EXPECT_TRUE(x509::verify_certificate_signature(*cert, pcert->spki_der())) << c.id;
  }
  auto tsa = x509::Certificate::parse(by_id.at("sm2-tsa").certificate).value();
  EXPECT_TRUE(tsa->find_extension(der::oids::kExtKeyUsage)->critical);
  auto ocsp = x509::Certificate::parse(by_id.at("rsa-ocsp").certificate).value();
  EXPECT_NE(ocsp->find_extension(der::oids::kOcspNoCheck), nullptr);
  // Re-running init on the same home is refused, and nothing is overwritten.
  auto before = test::read_file((home() / "hpki.toml").string());
  auto again = Runtime::init(home(), {}, {}, SecretBytes(std::string_view("another passphrase")),
                             std::filesystem::path(HPKI_SOURCE_DIR) / "profiles");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ(test::read_file((home() / "hpki.toml").string()), before);
  // Reopening with a wrong passphrase fails clearly.
  auto wrong = Runtime::open(
      home(), {.passphrase = SecretBytes(std::string_view("wrong passphrase")), .recover = true});
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kBadPassphrase);
}

TEST_P(CaTest, IssueFromCsrForEveryFamilyAndVerifyChain) {
  for (const std::string alg : {"rsa", "ec", "sm2"}) {
    auto r = issue_csr(alg);
    ASSERT_TRUE(r) << alg << ": " << r.error().to_string();
    auto cert = x509::Certificate::parse(r->der).value();
    EXPECT_EQ(cert->serial_number().hex(), r->serial);
    ASSERT_EQ(r->chain.size(), 2u);
    // SM2 keys are issued by the SM2 CA, RSA and EC keys by the RSA CA (no ECDSA hierarchy here).
    EXPECT_EQ(r->ca_id, alg == "sm2" ? "sm2-issuing" : "rsa-issuing");
    auto issuing = x509::Certificate::parse(r->chain[0]).value();
    auto root = x509::Certificate::parse(r->chain[1]).value();
    EXPECT_TRUE(x509::verify_certificate_signature(*cert, issuing->spki_der()));
    EXPECT_TRUE(x509::verify_certificate_signature(*issuing, root->spki_der()));
    if (alg != "sm2") {
      test::write_file(dir_.file("chain.pem"), pem_encode("CERTIFICATE", r->chain[0]));
      test::write_file(dir_.file("root.pem"), pem_encode("CERTIFICATE", r->chain[1]));
      test::write_file(dir_.file("leaf.pem"), pem_encode("CERTIFICATE", r->der));
      auto v = test::run("openssl verify -CAfile " + dir_.file("root.pem") + " -untrusted " +
                         dir_.file("chain.pem") + " " + dir_.file("leaf.pem"));
      EXPECT_EQ(v.exit_code, 0) << v.output;
    }
    auto st = rt_->ca().status(r->serial).value();
    EXPECT_EQ(st.word(), "good");
  }
}

TEST_P(CaTest, CsrProblemsAreRefused) {
  IssueRequest r;
  r.requester = hpki::test::admin();
  r.profile = "staff-sign";
  r.subject.data = staff();
  r.csr =
      to_bytes("-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n");
  auto bad = rt_->ca().issue(r);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kBadCsr) << bad.error().to_string();
  // An SM2 CSR signed with the empty ID fails proof of possession.
  auto key = dir_.file("empty-id.pem");
  auto out = dir_.file("empty-id.csr");
  ASSERT_EQ(test::run("openssl req -new -nodes -newkey sm2 -sm3 -keyout " + key + " -out " + out +
                      " -subj /CN=x")
                .exit_code,
            0);
  r.csr = test::read_file(out);
  auto pop = rt_->ca().issue(r);
  ASSERT_FALSE(pop);
  EXPECT_EQ(pop.error().code(), ErrorCode::kProofOfPossession) << pop.error().to_string();
  // Unknown profile; CA profile; key not allowed by the profile.
  r.csr = csr("ec");
  r.profile = "nurse";
  EXPECT_EQ(rt_->ca().issue(r).error().code(), ErrorCode::kUnknownProfile);
  r.profile = "root-ca";
  EXPECT_EQ(rt_->ca().issue(r).error().code(), ErrorCode::kPolicyRefused);
  // Nothing was stored for the refused requests.
  store::CertificateFilter f;
  f.profile = "staff-sign";
  EXPECT_TRUE(rt_->ca().search(f).value().empty());
}

TEST_P(CaTest, ServerSideKeyGenerationReturnsEncryptedKeys) {
  for (const std::string alg : {"rsa2048", "p256", "sm2"}) {
    IssueRequest r;
    r.requester = hpki::test::admin();
    r.profile = "staff-enc";
    r.subject.data = staff();
    r.keygen = KeygenOptions{crypto::parse_key_spec(alg).value(),
                             SecretBytes(std::string_view("pkg-pass-1"))};
    auto res = rt_->ca().issue(r);
    ASSERT_TRUE(res) << alg << ": " << res.error().to_string();
    ASSERT_TRUE(res->key_package);
    auto f = dir_.file("key-" + alg);
    test::write_file(f, *res->key_package);
    if (alg == "sm2") {
      EXPECT_EQ(res->key_package_format, "pkcs8-pem");
      auto v = test::run("openssl pkey -in " + f + " -passin pass:pkg-pass-1 -pubout");
      EXPECT_EQ(v.exit_code, 0) << v.output;
      auto wrong = test::run("openssl pkey -in " + f + " -passin pass:nope -noout");
      EXPECT_NE(wrong.exit_code, 0);
    } else {
      EXPECT_EQ(res->key_package_format, "pkcs12");
      auto v = test::run("openssl pkcs12 -in " + f + " -passin pass:pkg-pass-1 -nodes -info");
      EXPECT_EQ(v.exit_code, 0) << v.output;
      EXPECT_NE(v.output.find("BEGIN CERTIFICATE"), std::string::npos);
      EXPECT_NE(v.output.find("PRIVATE KEY"), std::string::npos);
    }
  }
}

TEST_P(CaTest, LifecycleRsaAndSm2) {
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    auto first = issue_csr(alg).value();
    auto first_cert = x509::Certificate::parse(first.der).value();
    // Renew: same key, new serial.
    auto renewed = rt_->ca().renew(first.serial, 30, hpki::test::admin()).value();
    auto renewed_cert = x509::Certificate::parse(renewed.der).value();
    EXPECT_NE(renewed.serial, first.serial);
    EXPECT_EQ(renewed_cert->spki_der(), first_cert->spki_der());
    EXPECT_EQ(renewed_cert->subject(), first_cert->subject());
    EXPECT_LE(renewed_cert->validity().not_after - renewed_cert->validity().not_before,
              std::chrono::days(30));
    // Re-key: new key; the same key is refused.
    auto rk = rt_->ca().rekey(renewed.serial, csr(alg), std::nullopt, hpki::test::admin()).value();
    auto rk_cert = x509::Certificate::parse(rk.der).value();
    EXPECT_NE(rk_cert->spki_der(), first_cert->spki_der());
    EXPECT_EQ(rk_cert->subject(), first_cert->subject());
    // Modify: new certificate with the new department; the old one revoked as superseded.
    SubjectInput change;
    change.data.department = "急诊科";
    auto mod = rt_->ca().modify(rk.serial, change, hpki::test::admin()).value();
    auto mod_cert = x509::Certificate::parse(mod.der).value();
    EXPECT_EQ(mod_cert->subject().get(der::oids::kOrganizationalUnitName), "急诊科");
    auto old = rt_->ca().status(rk.serial).value();
    EXPECT_EQ(old.word(), "revoked");
    EXPECT_EQ(old.reason, x509::RevocationReason::kSuperseded);
    EXPECT_EQ(rt_->ca().status(mod.serial).value().word(), "good");
    // Hold and release.
    EXPECT_EQ(rt_->ca().hold(mod.serial, hpki::test::admin()).value().word(), "hold");
    EXPECT_EQ(rt_->ca().status(mod.serial).value().reason,
              x509::RevocationReason::kCertificateHold);
    EXPECT_EQ(rt_->ca().release(mod.serial, hpki::test::admin()).value().word(), "good");
    EXPECT_EQ(rt_->ca().release(mod.serial, hpki::test::admin()).error().code(),
              ErrorCode::kBadState);
    // Revoke with reason and invalidity date; a second revoke is refused.
    auto inv = rt_->clock().now() - std::chrono::hours(2);
    auto rv =
        rt_->ca()
            .revoke(mod.serial, x509::RevocationReason::kKeyCompromise, inv, hpki::test::admin())
            .value();
    EXPECT_EQ(rv.word(), "revoked");
    EXPECT_EQ(rv.reason, x509::RevocationReason::kKeyCompromise);
    ASSERT_TRUE(rv.invalidity_date);
    EXPECT_EQ(std::chrono::floor<std::chrono::seconds>(*rv.invalidity_date),
              std::chrono::floor<std::chrono::seconds>(inv));
    EXPECT_EQ(rt_->ca()
                  .revoke(mod.serial, x509::RevocationReason::kKeyCompromise, std::nullopt,
                          hpki::test::admin())
                  .error()
                  .code(),
              ErrorCode::kBadState);
    EXPECT_EQ(rt_->ca().renew(mod.serial, std::nullopt, hpki::test::admin()).error().code(),
              ErrorCode::kBadState);
    // Serials are accepted in any case and with colons.
    std::string upper;
    for (std::size_t i = 0; i < first.serial.size(); ++i) {
      if (i && i % 2 == 0) upper += ':';
      upper += static_cast<char>(std::toupper(static_cast<unsigned char>(first.serial[i])));
    }
    EXPECT_EQ(rt_->ca().status(upper).value().serial, first.serial);
  }
}

TEST_P(CaTest, CommittedStatusChangesReachTheListener) {
  std::vector<std::string> seen;
  rt_->ca().set_status_listener(
      [&](const StatusChange& c) { seen.push_back(c.action + " " + c.ca_id + "/" + c.serial); });
  auto a = issue_csr("sm2").value();
  ASSERT_TRUE(rt_->ca().hold(a.serial, hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().release(a.serial, hpki::test::admin("t")));
  auto m = rt_->ca().modify(a.serial, {}, hpki::test::admin("t")).value();
  // A refused change (already revoked) commits nothing and notifies nothing.
  EXPECT_FALSE(rt_->ca().revoke(a.serial, x509::RevocationReason::kKeyCompromise, {},
                                hpki::test::admin("t")));
  ASSERT_TRUE(rt_->ca().revoke(m.serial, x509::RevocationReason::kKeyCompromise, {},
                               hpki::test::admin("t")));
  const std::string o = "sm2-issuing/" + a.serial, n = "sm2-issuing/" + m.serial;
  EXPECT_EQ(seen, (std::vector<std::string>{"issue " + o, "hold " + o, "release " + o,
                                            "revoke " + o, "modify " + n, "revoke " + n}));
}

TEST_P(CaTest, PersonalDataIsEncryptedMaskedAndSearchable) {
  auto a = issue_csr("sm2").value();
  x509::SubjectData other = staff("11010519491231002X");
  other.common_name = "李四";
  other.department = "儿科";
  auto b = issue_csr("rsa", "staff-sign", other).value();
  auto view = rt_->ca().show(a.serial).value();
  EXPECT_EQ(view.identifiers_masked.at("id_number"), "310***********1234");
  // The clear identifier is nowhere in the database rows.
  auto rows =
      rt_->store()
          .transact_value<std::vector<store::raw::Row>>([](store::Tx& tx) {
            return store::raw::query(tx, "SELECT id_number_enc, id_number_hash FROM subjects");
          })
          .value();
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    for (const auto& v : row) {
      if (const auto* bytes = std::get_if<Bytes>(&v)) {
        EXPECT_EQ(as_string(*bytes).find("310101199001011234"), std::string_view::npos);
      }
    }
  }
  // Exact lookup by identifier (case-insensitive X), by name, department, status, serial.
  EXPECT_EQ(rt_->ca().search({}, "11010519491231002x").value().size(), 1u);
  EXPECT_EQ(rt_->ca().search({}, "000000000000000000").value().size(), 0u);
  store::CertificateFilter f;
  f.subject_contains = "李四";
  auto found = rt_->ca().search(f).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.front().serial, b.serial);
  f = {};
  f.dept = "心内科";
  found = rt_->ca().search(f).value();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.front().serial, a.serial);
  f = {};
  f.serial_prefix = a.serial.substr(0, 6);
  EXPECT_EQ(rt_->ca().search(f).value().size(), 1u);
  ASSERT_TRUE(rt_->ca().revoke(b.serial, x509::RevocationReason::kAffiliationChanged, std::nullopt,
                               hpki::test::admin("t")));
  f = {};
  f.statuses = {CertStatus::kRevoked};
  f.profile = "staff-sign";
  EXPECT_EQ(rt_->ca().search(f).value().size(), 1u);
  f = {};
  f.profile = "staff-sign";
  f.not_after_from = rt_->clock().now();
  f.not_after_to = rt_->clock().now() + std::chrono::days(800);
  EXPECT_EQ(rt_->ca().search(f).value().size(), 2u);
  f.not_after_to = rt_->clock().now() + std::chrono::days(100);
  EXPECT_EQ(rt_->ca().search(f).value().size(), 0u);
}

TEST_P(CaTest, InterruptedIssuanceIsRecoveredAsNeverDelivered) {
  // A record left `issuing` by a version before schema 7 (a crash between its reservation and
  // its signature); this version never writes one.
  store::CertificateRecord rec;
  rec.ca_id = "sm2-issuing";
  rec.serial = test::sn("4a0b");
  rec.profile = "staff-sign";
  rec.not_before = rt_->clock().now();
  rec.not_after = rt_->clock().now() + std::chrono::days(1);
  rec.tbs_hash = Bytes(32, 7);
  ASSERT_TRUE(rt_->store().transact([&](store::Tx& tx) { return tx.reserve_certificate(rec); }));
  EXPECT_EQ(rt_->ca().recover(60).value(), 0);  // within the grace period: maybe in flight
  EXPECT_EQ(rt_->ca().recover(0).value(), 1);
  auto st = rt_->ca().status("4a0b").value();
  EXPECT_EQ(st.status, CertStatus::kNeverDelivered);
  EXPECT_EQ(st.word(), "revoked");
  EXPECT_EQ(rt_->ca().recover(0).value(), 0);
}

TEST_P(CaTest, EveryChangeIsAuditedAndTheLogVerifies) {
  auto a = issue_csr("rsa").value();
  ASSERT_TRUE(rt_->ca().revoke(a.serial, x509::RevocationReason::kKeyCompromise, std::nullopt,
                               hpki::test::admin("alice")));
  auto entries = rt_->audit().list(rt_->store(), 1, 1000).value();
  std::vector<std::string> actions;
  for (const auto& e : entries) actions.push_back(e.action);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "ca.create"), actions.end());
  EXPECT_NE(std::find(actions.begin(), actions.end(), "cert.issue"), actions.end());
  EXPECT_EQ(entries.back().action, "cert.revoke");
  EXPECT_EQ(entries.back().actor, "alice");
  EXPECT_EQ(entries.back().object, "rsa-issuing/" + a.serial);
  audit::VerifyOptions o;
  o.resolve_key = [&](std::string_view ref) {
    return rt_->file_keys().public_key(crypto::KeyRef{std::string(ref)});
  };
  auto report = rt_->audit().verify(rt_->store(), o).value();
  EXPECT_TRUE(report.ok()) << report.failure->message;
  EXPECT_TRUE(report.signatures_checked);
  EXPECT_GE(report.checkpoints_checked, 1);
  // Tamper with one entry directly in the database: detected at that entry.
  const auto seq = entries[entries.size() / 2].seq;
  ASSERT_TRUE(rt_->store().transact([&](store::Tx& tx) -> Result<void> {
    std::vector<store::raw::Value> params{std::string("mallory"), seq};
    HPKI_TRY(store::raw::exec(tx, "UPDATE audit_log SET actor = ? WHERE seq = ?", params));
    return {};
  }));
  report = rt_->audit().verify(rt_->store(), o).value();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.failure->seq, seq);
  EXPECT_EQ(report.failure->reason, audit::reason::kHashMismatch);
}

// Group commit (issue 5): many threads issue at once; every certificate is stored as issued
// with its DER and audited, the audit chain verifies, and the pipeline's transactions were
// really shared (batches of more than one unit).
TEST_P(CaTest, ConcurrentIssuancesShareTransactionsAndAreAllStoredAndAudited) {
  const Bytes ec = csr("ec");
  const Bytes sm2 = csr("sm2");
  const auto units_before = rt_->ca().batcher().stats().units;
  constexpr int kThreads = 12;
  constexpr int kPerThread = 8;
  std::mutex mu;
  std::vector<IssueResult> issued;
  std::vector<std::string> errors;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        IssueRequest r;
        r.requester = hpki::test::admin();
        r.profile = "staff-sign";
        r.csr = (t + i) % 2 == 0 ? ec : sm2;
        r.subject.data = staff("");
        r.subject.data.identifiers.clear();
        r.requester.actor = "test:" + std::to_string(t);
        auto out = rt_->ca().issue(r);
        std::lock_guard lock(mu);
        if (out) {
          issued.push_back(std::move(*out));
        } else {
          errors.push_back(out.error().to_string());
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(errors.empty()) << errors.front();
  ASSERT_EQ(issued.size(), static_cast<std::size_t>(kThreads * kPerThread));

  std::set<std::string> audited;
  const auto entries = rt_->audit().list(rt_->store(), 1, 10000).value();
  for (const auto& e : entries) {
    if (e.action == "cert.issue" && e.outcome == "success") audited.insert(e.object);
  }
  std::set<std::string> serials;
  for (const auto& r : issued) {
    serials.insert(r.serial);
    auto rec = rt_->store()
                   .transact_value<store::CertificateRecord>(
                       [&](store::Tx& tx) { return tx.get_certificate(r.ca_id, r.serial); })
                   .value();
    EXPECT_EQ(rec.status, CertStatus::kIssued) << r.serial;
    ASSERT_TRUE(rec.der.has_value()) << r.serial;
    EXPECT_EQ(*rec.der, r.der);
    EXPECT_TRUE(audited.contains(r.ca_id + "/" + r.serial)) << r.serial << " not audited";
  }
  EXPECT_EQ(serials.size(), issued.size());
  auto report = rt_->audit().verify(rt_->store()).value();
  EXPECT_TRUE(report.ok()) << report.failure->message;
  const auto st = rt_->ca().batcher().stats();
  // Issue 17: one durable write per issuance (after signing), no reservation before it.
  EXPECT_EQ(st.units - units_before, issued.size());
  EXPECT_GT(st.shared_batches, 0u) << "no transaction was shared";
  EXPECT_LT(st.batches, st.units);
}

// The server's path (CaService::issue_async, issue 5): many issuances in flight on two executor
// threads, none of them waiting for a commit; each ends exactly once with what issue() would
// have returned — stored, audited, RSA-family and SM2 alike; refused requests end with their
// error and store nothing.
TEST_P(CaTest, AsyncIssuancesRunOnTheExecutorAndEndOnce) {
  const Bytes ec = csr("ec");
  const Bytes sm2 = csr("sm2");
  // A two-thread executor.
  std::mutex qmu;
  std::condition_variable qcv;
  std::deque<std::function<void()>> queue;
  bool stop = false;
  std::set<std::thread::id> executor_ids;
  std::vector<std::thread> pool;
  for (int i = 0; i < 2; ++i) {
    pool.emplace_back([&] {
      {
        std::lock_guard lock(qmu);
        executor_ids.insert(std::this_thread::get_id());
      }
      for (;;) {
        std::function<void()> task;
        {
          std::unique_lock lock(qmu);
          qcv.wait(lock, [&] { return stop || !queue.empty(); });
          if (queue.empty()) return;
          task = std::move(queue.front());
          queue.pop_front();
        }
        task();
      }
    });
  }
  rt_->ca().set_executor([&](std::function<void()> task) {
    std::lock_guard lock(qmu);
    queue.push_back(std::move(task));
    qcv.notify_one();
  });

  constexpr int kIssuances = 60;
  std::mutex mu;
  std::vector<IssueResult> issued;
  std::vector<std::string> errors;
  std::map<int, int> ends;  // request index -> times `done` ran
  bool off_executor = false;
  auto record = [&](int i, Result<IssueResult> out) {
    std::lock_guard lock(mu);
    ++ends[i];
    {
      std::lock_guard q(qmu);
      if (!executor_ids.contains(std::this_thread::get_id())) off_executor = true;
    }
    if (out) {
      issued.push_back(std::move(*out));
    } else {
      errors.push_back(out.error().to_string());
    }
  };
  for (int i = 0; i < kIssuances; ++i) {
    IssueRequest r;
    r.requester = hpki::test::admin();
    r.profile = "staff-sign";
    r.csr = i % 2 == 0 ? ec : sm2;
    r.subject.data = staff("");
    r.subject.data.identifiers.clear();
    r.requester.actor = "test:async";
    rt_->ca().issue_async(std::move(r),
                          [&, i](Result<IssueResult> out) { record(i, std::move(out)); });
  }
  // Two refused at once: unknown profile, bad CSR.
  for (int k = 1; k <= 2; ++k) {
    IssueRequest bad;
    bad.requester = hpki::test::admin();
    bad.profile = k == 1 ? "nurse" : "staff-sign";
    bad.csr = k == 1 ? ec : to_bytes("not a CSR");
    rt_->ca().issue_async(std::move(bad),
                          [&, k](Result<IssueResult> out) { record(-k, std::move(out)); });
  }
  rt_->ca().drain_async();
  EXPECT_EQ(rt_->ca().async_in_flight(), 0u);
  {
    std::lock_guard lock(qmu);
    stop = true;
  }
  qcv.notify_all();
  for (auto& t : pool) t.join();
  rt_->ca().set_executor({});

  ASSERT_EQ(issued.size(), static_cast<std::size_t>(kIssuances))
      << (errors.empty() ? "" : errors.front());
  ASSERT_EQ(errors.size(), 2u);
  const std::string both = errors[0] + " | " + errors[1];
  EXPECT_NE(both.find("unknown profile"), std::string::npos) << both;
  EXPECT_NE(both.find("csr"), std::string::npos) << both;
  EXPECT_FALSE(off_executor) << "done ran outside the executor";
  for (const auto& [i, n] : ends) EXPECT_EQ(n, 1) << "request " << i << " ended " << n << " times";
  EXPECT_EQ(ends.size(), static_cast<std::size_t>(kIssuances + 2));
  std::set<std::string> audited;
  const auto entries = rt_->audit().list(rt_->store(), 1, 10000).value();
  for (const auto& e : entries) {
    if (e.action == "cert.issue" && e.outcome == "success") audited.insert(e.object);
  }
  int sm2_issued = 0;
  for (const auto& r : issued) {
    if (r.ca_id == "sm2-issuing") ++sm2_issued;
    auto rec = rt_->store()
                   .transact_value<store::CertificateRecord>(
                       [&](store::Tx& tx) { return tx.get_certificate(r.ca_id, r.serial); })
                   .value();
    EXPECT_EQ(rec.status, CertStatus::kIssued) << r.serial;
    ASSERT_TRUE(rec.der.has_value());
    EXPECT_EQ(*rec.der, r.der);
    EXPECT_TRUE(audited.contains(r.ca_id + "/" + r.serial)) << r.serial << " not audited";
    auto cert = x509::Certificate::parse(r.der).value();
    auto issuing = x509::Certificate::parse(r.chain.at(0)).value();
    EXPECT_TRUE(x509::verify_certificate_signature(*cert, issuing->spki_der())) << r.serial;
  }
  EXPECT_EQ(sm2_issued, kIssuances / 2);
  store::CertificateFilter f;
  f.profile = "staff-sign";
  f.limit = store::kMaxSearchLimit;
  EXPECT_EQ(rt_->ca().search(f).value().size(), static_cast<std::size_t>(kIssuances));
  EXPECT_TRUE(rt_->audit().verify(rt_->store()).value().ok());
  EXPECT_GT(rt_->ca().batcher().stats().shared_batches, 0u) << "no transaction was shared";
}

// ---- Issue 16: who may request what, names, subjects per organization.

// Trust-service profiles (OCSP responder, TSA, operator) are admin-only: an ra_officer or an
// integration key is refused, for issuance and for every lifecycle operation on such a
// certificate; subscriber profiles stay open to them. RSA and SM2.
TEST_P(CaTest, TrustServiceProfilesAreIssuedAndManagedByAdminsOnly) {
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    for (const std::string profile : {"ocsp-responder", "tsa", "operator"}) {
      for (const std::string role : {"ra_officer", "integration", ""}) {
        IssueRequest r;
        r.requester = {"api-key:x", role};
        r.profile = profile;
        r.csr = csr(alg);
        r.subject.data = staff("");
        r.subject.data.identifiers.clear();
        auto out = rt_->ca().issue(r);
        ASSERT_FALSE(out) << profile << " issued to role '" << role << "'";
        EXPECT_EQ(out.error().code(), ErrorCode::kPermissionDenied) << out.error().to_string();
      }
    }
    // Subscriber profiles: open to ra_officer and integration.
    IssueRequest staff_req;
    staff_req.requester = {"api-key:ra", "ra_officer"};
    staff_req.profile = "staff-sign";
    staff_req.csr = csr(alg);
    staff_req.subject.data = staff();
    ASSERT_TRUE(rt_->ca().issue(staff_req));
    // An admin gets a TSA certificate; nobody else renews, re-keys, modifies, holds or revokes
    // it, nor the OCSP responder certificate ca init made.
    IssueRequest tsa_req;
    tsa_req.requester = hpki::test::admin();
    tsa_req.profile = "tsa";
    tsa_req.csr = csr(alg);
    tsa_req.subject.data = staff("");
    tsa_req.subject.data.identifiers.clear();
    auto tsa = rt_->ca().issue(tsa_req);
    ASSERT_TRUE(tsa) << tsa.error().to_string();
    const std::string ocsp_ca = alg + "-ocsp";
    auto ocsp_record = rt_->store().transact_value<store::CaRecord>(
        [&](store::Tx& tx) { return tx.get_ca(ocsp_ca); });
    ASSERT_TRUE(ocsp_record);
    const std::string ocsp_serial =
        x509::Certificate::parse(ocsp_record->certificate).value()->serial_number().hex();
    for (const std::string& serial : {tsa->serial, ocsp_serial}) {
      for (const std::string role : {"ra_officer", "integration"}) {
        const Requester by{"api-key:x", role};
        EXPECT_EQ(rt_->ca().renew(serial, std::nullopt, by).error().code(),
                  ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca().rekey(serial, csr(alg), std::nullopt, by).error().code(),
                  ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca().modify(serial, {}, by).error().code(), ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca().hold(serial, by).error().code(), ErrorCode::kPermissionDenied);
        EXPECT_EQ(rt_->ca()
                      .revoke(serial, x509::RevocationReason::kKeyCompromise, std::nullopt, by)
                      .error()
                      .code(),
                  ErrorCode::kPermissionDenied);
      }
      EXPECT_EQ(rt_->ca().status(serial).value().word(), "good");
    }
    EXPECT_TRUE(rt_->ca().hold(tsa->serial, hpki::test::admin()));
  }
}

// GM/T 0015: the SM2 CA certifies SM2 keys only, and SM2 keys only under it.
TEST_P(CaTest, KeyAlgorithmMustMatchTheSm2Family) {
  IssueRequest r;
  r.requester = hpki::test::admin();
  r.profile = "staff-sign";
  r.subject.data = staff();
  r.family = CaFamily::kSm2;
  r.csr = csr("rsa");
  auto rsa_under_sm2 = rt_->ca().issue(r);
  ASSERT_FALSE(rsa_under_sm2);
  EXPECT_EQ(rsa_under_sm2.error().code(), ErrorCode::kPolicyRefused);
  r.csr = csr("ec");
  EXPECT_EQ(rt_->ca().issue(r).error().code(), ErrorCode::kPolicyRefused);
  r.family = CaFamily::kRsa;
  r.csr = csr("sm2");
  auto sm2_under_rsa = rt_->ca().issue(r);
  ASSERT_FALSE(sm2_under_rsa);
  EXPECT_EQ(sm2_under_rsa.error().code(), ErrorCode::kPolicyRefused);
  // Matching families are issued.
  r.csr = csr("rsa");
  EXPECT_EQ(rt_->ca().issue(r).value().ca_id, "rsa-issuing");
  r.family = CaFamily::kSm2;
  r.csr = csr("sm2");
  EXPECT_EQ(rt_->ca().issue(r).value().ca_id, "sm2-issuing");
}

// Device and site certificates name only hosts of their organization ([organizations] in
// hpki.toml): names from the request, from the CSR and a host-like CN alike. RSA and SM2.
TEST_P(CaTest, DeviceNamesMustBeWithinTheOrganizationsNames) {
  // The test home permits example.cn and 10.0.0.0/8 for 示例医院 (ca init --org-dns / --org-ip)
  // and nothing for 其他医院.
  auto device = [&](const std::string& alg, std::vector<std::string> dns,
                    std::vector<std::string> ip, const std::string& cn = "pacs-1",
                    const std::string& org = "示例医院") {
    IssueRequest r;
    r.requester = {"api-key:integration", "integration"};
    r.profile = "device";
    r.csr = csr(alg, "/CN=pacs-1");
    r.subject.data.organization = org;
    r.subject.data.common_name = cn;
    r.subject.data.dns_names = std::move(dns);
    r.subject.data.ip_addresses = std::move(ip);
    return rt_->ca().issue(r);
  };
  // No names configured: a device certificate may carry no DNS name or IP address at all.
  auto none = device("rsa", {"pacs.hospital.example.cn"}, {}, "pacs-1", "其他医院");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kPolicyRefused);
  EXPECT_NE(none.error().detail().find("organizations"), std::string::npos);
  EXPECT_TRUE(device("rsa", {}, {}, "pacs-1", "其他医院"));  // no names: fine
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    auto ok = device(alg, {"pacs.hospital.example.cn", "*.ward.hospital.example.cn"}, {"10.20.3.4"},
                     "pacs.example.cn");
    ASSERT_TRUE(ok) << ok.error().to_string();
    for (auto [dns, ip, cn] :
         {std::tuple<std::string, std::string, std::string>{"www.google.com", "", "pacs-1"},
          {"localhost", "", "pacs-1"},
          {"example.cn.evil.cn", "", "pacs-1"},
          {"*.cn", "", "pacs-1"},
          {"", "8.8.8.8", "pacs-1"},
          {"", "127.0.0.1", "pacs-1"},
          {"", "::1", "pacs-1"},
          {"", "", "www.google.com"},
          {"", "", "192.168.1.1"}}) {
      auto bad = device(alg, dns.empty() ? std::vector<std::string>{} : std::vector{dns},
                        ip.empty() ? std::vector<std::string>{} : std::vector{ip}, cn);
      ASSERT_FALSE(bad) << dns << ip << cn;
      EXPECT_EQ(bad.error().code(), ErrorCode::kPolicyRefused) << bad.error().to_string();
    }
  }
  // A SAN the CSR asks for is held to the same names.
  const std::string key = dir_.file("san.key"), out = dir_.file("san.csr");
  ASSERT_EQ(test::run("openssl req -new -nodes -newkey rsa:2048 -keyout " + key + " -out " + out +
                      " -subj /CN=x -addext subjectAltName=DNS:www.google.com,IP:8.8.8.8")
                .exit_code,
            0);
  IssueRequest r;
  r.requester = {"api-key:integration", "integration"};
  r.profile = "device";
  r.csr = test::read_file(out);
  r.subject.data.organization = "示例医院";
  r.subject.data.common_name = "pacs-2";
  auto from_csr = rt_->ca().issue(r);
  ASSERT_FALSE(from_csr);
  EXPECT_EQ(from_csr.error().code(), ErrorCode::kPolicyRefused);
  EXPECT_NE(from_csr.error().detail().find("www.google.com"), std::string::npos);
}

// The same identity number in two organizations is two subject records: issuing for the second
// organization neither overwrites nor reveals the first one's record.
TEST_P(CaTest, SubjectsAreKeptPerOrganization) {
  for (const std::string alg : {"rsa", "sm2"}) {
    SCOPED_TRACE(alg);
    const std::string id = alg == "rsa" ? "11010519491231002X" : "310101199001011234";
    auto a = issue_csr(alg, "staff-sign", staff(id)).value();
    x509::SubjectData other = staff(id);
    other.organization = "其他医院";
    other.common_name = "冒名者";
    IssueRequest r;
    r.requester = {"api-key:b", "ra_officer"};
    r.profile = "staff-sign";
    r.csr = csr(alg, "/C=CN/O=其他医院/CN=冒名者");
    r.subject.data = other;
    auto b = rt_->ca().issue(r).value();
    const auto rec_a = rt_->ca().show(a.serial).value().record;
    const auto rec_b = rt_->ca().show(b.serial).value().record;
    ASSERT_TRUE(rec_a.subject_id && rec_b.subject_id);
    EXPECT_NE(*rec_a.subject_id, *rec_b.subject_id);
    const auto subject_a = rt_->ca().get_subject(*rec_a.subject_id).value();
    EXPECT_EQ(subject_a.record.org, "示例医院");
    EXPECT_EQ(subject_a.record.name, "张三");
    // A search by identity number within one organization finds only its certificates.
    store::CertificateFilter f;
    f.org = "其他医院";
    auto found = rt_->ca().search(f, id).value();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].serial, b.serial);
    f.org = "示例医院";
    found = rt_->ca().search(f, id).value();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].serial, a.serial);
    // Within one organization the record is still found and updated, not duplicated.
    auto a2 = issue_csr(alg, "staff-sign", staff(id)).value();
    EXPECT_EQ(rt_->ca().show(a2.serial).value().record.subject_id, rec_a.subject_id);
  }
}

// Audit entries about an organization's certificates and subjects name it (issue 16), so that
// an organization's auditor can be given its entries only.
TEST_P(CaTest, AuditEntriesNameTheirOrganization) {
  auto a = issue_csr("sm2").value();
  ASSERT_TRUE(rt_->ca().hold(a.serial, hpki::test::admin()));
  auto mine = rt_->audit().list(rt_->store(), 1, 1000, std::string("示例医院")).value();
  std::set<std::string> actions;
  for (const auto& e : mine) {
    EXPECT_EQ(e.org, "示例医院");
    actions.insert(e.action);
  }
  EXPECT_TRUE(actions.contains("cert.issue"));
  EXPECT_TRUE(actions.contains("cert.hold"));
  EXPECT_FALSE(actions.contains("ca.create"));  // system-wide
  EXPECT_TRUE(rt_->audit().list(rt_->store(), 1, 1000, std::string("其他医院")).value().empty());
  EXPECT_TRUE(rt_->audit().verify(rt_->store()).value().ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, CaTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace hpki::ca
