// The issuance pipeline (ca/pipeline.cpp; issues 4, 5 and 17) on SQLite and PostgreSQL: issuance
// from openssl-made CSRs for RSA, ECDSA and SM2 (chains checked with the openssl CLI), refused
// CSRs and profiles that store nothing, server-side key generation (key packages opened with the
// openssl CLI), concurrent issuances sharing group commits with one durable write each, the
// asynchronous path on an executor, and the policy of issue 16: GM/T 0015 key families, device
// names within their organization's names.
#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "ca/runtime.h"
#include "core/pem.h"
#include "tests/support/ca_fixture.h"
#include "x509/certificate.h"
#include "x509/csr.h"

namespace hpki::ca {
namespace {

using store::CaFamily;
using store::CertStatus;

class PipelineTest : public test::CaFixture {};

TEST_P(PipelineTest, IssueFromCsrForEveryFamilyAndVerifyChain) {
  for (const std::string alg : {"rsa", "ec", "sm2"}) {
    auto r = issue_csr(alg);
    ASSERT_TRUE(r) << alg << ": " << r.error().to_string();
    auto cert = x509::Certificate::parse(r->der).value();
    EXPECT_EQ(cert->serial_number(), r->serial);
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

TEST_P(PipelineTest, CsrProblemsAreRefused) {
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

TEST_P(PipelineTest, ServerSideKeyGenerationReturnsEncryptedKeys) {
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

// Group commit (issue 5): many threads issue at once; every certificate is stored as issued
// with its DER and audited, the audit chain verifies, and the pipeline's transactions were
// really shared (batches of more than one unit).
TEST_P(PipelineTest, ConcurrentIssuancesShareTransactionsAndAreAllStoredAndAudited) {
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
  std::set<Serial> serials;
  for (const auto& r : issued) {
    serials.insert(r.serial);
    auto rec = rt_->store()
                   .transact_value<store::CertificateRecord>(
                       [&](store::Tx& tx) { return tx.get_certificate(r.ca_id, r.serial); })
                   .value();
    EXPECT_EQ(rec.status, CertStatus::kIssued) << r.serial.hex();
    ASSERT_TRUE(rec.der.has_value()) << r.serial.hex();
    EXPECT_EQ(*rec.der, r.der);
    EXPECT_TRUE(audited.contains(r.ca_id + "/" + r.serial.hex()))
        << r.serial.hex() << " not audited";
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
TEST_P(PipelineTest, AsyncIssuancesRunOnTheExecutorAndEndOnce) {
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
    EXPECT_EQ(rec.status, CertStatus::kIssued) << r.serial.hex();
    ASSERT_TRUE(rec.der.has_value());
    EXPECT_EQ(*rec.der, r.der);
    EXPECT_TRUE(audited.contains(r.ca_id + "/" + r.serial.hex()))
        << r.serial.hex() << " not audited";
    auto cert = x509::Certificate::parse(r.der).value();
    auto issuing = x509::Certificate::parse(r.chain.at(0)).value();
    EXPECT_TRUE(x509::verify_certificate_signature(*cert, issuing->spki_der())) << r.serial.hex();
  }
  EXPECT_EQ(sm2_issued, kIssuances / 2);
  store::CertificateFilter f;
  f.profile = "staff-sign";
  f.limit = store::kMaxSearchLimit;
  EXPECT_EQ(rt_->ca().search(f).value().size(), static_cast<std::size_t>(kIssuances));
  EXPECT_TRUE(rt_->audit().verify(rt_->store()).value().ok());
  EXPECT_GT(rt_->ca().batcher().stats().shared_batches, 0u) << "no transaction was shared";
}

// GM/T 0015: the SM2 CA certifies SM2 keys only, and SM2 keys only under it.
TEST_P(PipelineTest, KeyAlgorithmMustMatchTheSm2Family) {
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
TEST_P(PipelineTest, DeviceNamesMustBeWithinTheOrganizationsNames) {
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

INSTANTIATE_TEST_SUITE_P(Backends, PipelineTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::ca
