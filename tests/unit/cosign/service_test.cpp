// Mobile co-signing's server side (cosign::Service, docs/cosign.md) on a test CA home, SQLite and
// PostgreSQL: a phone played by the C++ client half of the two-party protocol (ossl/sm2_2p.h)
// and a software passkey (authenticator.h). Every step and its refusals: enrollment (code, K2
// with proofs, the jointly signed CSR, the certificate), signing requests (approval bound to the
// request, S2, the final share verified, CMS / raw output that verifies with hpki and with the
// openssl CLI), batch, rejection, expiry, the PIN path with its lockout, QR login, two-party
// decryption, and the organization boundary. Format pdf (docs/cosign.md §3 "Format pdf"): the
// signed PDF checked by hpki's PDF verifier, qpdf --check, poppler's pdfsig (P-256) and pdftoppm
// (the handwriting drawn).
#include "cosign/service.h"

#include <png.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <thread>

#include "api/cosign_pdf.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/hmac.h"
#include "crypto/random.h"
#include "crypto/sm2_ciphertext.h"
#include "ossl/sm2_2p.h"
#include "pdf/sign.h"
#include "pdf/verify.h"
#include "sign/sign_service.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_png.h"
#include "tests/unit/cosign/authenticator.h"
#include "tests/unit/pdf/pdf_fixture.h"
#include "x509/certificate.h"
#include "x509/cms.h"

namespace hpki::cosign {
namespace {

namespace tp = ossl::sm2_2p;
using webauthn::test_support::Authenticator;
using webauthn::test_support::client_data;

constexpr std::string_view kOrigin = "https://sign.hospital.example";

// The phone: its share (SM2) or its own key (P-256), and its passkey.
struct Phone {
  std::string algorithm;
  SecretBytes d1;
  Bytes p;  // joint public point (SM2)
  crypto::PrivateKey p256 = crypto::PrivateKey::generate({crypto::KeyType::kEcP256, 0}).value();
  Authenticator passkey;
  std::string token;
  store::CosignDeviceRecord device;
  Bytes certificate;
};

class CosignServiceTest : public test::CaFixture {
 protected:
  void SetUp() override {
    CaFixture::SetUp();
    if (HasFatalFailure()) return;
    auto tsa = tsa::TsaService::create(
        {.store = &rt_->store(),
         .audit = &rt_->audit(),
         .clock = &rt_->clock(),
         .signer_for = [this](const store::CaRecord& ca) { return rt_->ca().ca_signer(ca); },
         .batcher = &rt_->ca().batcher()},
        tsa::TsaOptions{});
    ASSERT_TRUE(tsa) << tsa.error().to_string();
    tsa_ = std::move(*tsa);
    Config c;
    c.base_url = std::string(kOrigin);
    c.rp_id = "sign.hospital.example";
    c.decrypt_per_hour = 2;
    c.callback_prefixes = {"https://his.example/"};
    c.notify_url = "https://gateway.example/notify";
    Deps d;
    d.store = &rt_->store();
    d.ca = &rt_->ca();
    d.audit = &rt_->audit();
    d.sealer = &rt_->cosign_sealer();
    d.tsa = tsa_.get();
    d.clock = &rt_->clock();
    d.random = &random_;
    d.webhook = [this](const std::string& url, const std::string& body,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
      std::lock_guard lock(hooks_mu_);
      hooks_.push_back({url, body, headers});
      return WebhookResult{200, "ok"};
    };
    d.pdf = api::cosign_pdf_steps();
    svc_ = std::make_unique<Service>(c, d);
    subject_ = staff_subject("示例医院", "310101199001011234");
  }
  void TearDown() override {
    if (svc_) svc_->stop();
    if (tsa_) tsa_->stop();
  }

  std::int64_t staff_subject(const std::string& org, const std::string& id_number) {
    ca::SubjectChange s;
    s.kind = store::SubjectKind::kStaff;
    s.data.organization = org;
    s.data.department = "心内科";
    s.data.common_name = "张三";
    s.data.identifiers["id_number"] = id_number;
    auto v = rt_->ca().create_subject(s, "test");
    EXPECT_TRUE(v) << v.error().to_string();
    return v ? v->record.id : 0;
  }

  // Enrollment as the phone app runs it.
  Phone enroll(const std::string& algorithm, bool passkey = true,
               const std::string& org = "示例医院", std::int64_t subject = 0) {
    Phone ph;
    ph.algorithm = algorithm;
    auto e = svc_->create_enrollment(org, subject != 0 ? subject : subject_, algorithm,
                                     std::nullopt, "api-key:ra");
    EXPECT_TRUE(e) << e.error().to_string();
    if (!e) return ph;
    auto start = svc_->enroll_start(e->code, "10.0.0.7");
    EXPECT_TRUE(start) << start.error().to_string();
    if (!start) return ph;
    EnrollFinish f;
    f.code = e->code;
    f.device_name = "Pixel 7";
    if (algorithm == "sm2") {
      auto k1 = tp::keygen_client(start->record.id).value();
      auto s1 = tp::sign_client_start().value();
      auto k = svc_->enroll_keygen_sm2(e->code, k1.p1, {k1.proof.r, k1.proof.z}, s1.q1);
      EXPECT_TRUE(k) << k.error().to_string();
      if (!k) return ph;
      // K3: the phone checks the joint key and hpki's proof.
      EXPECT_TRUE(
          tp::check_joint_key(k1.d1, k->p, k->p2, {k->proof.r, k->proof.z}, start->record.id));
      const Bytes e_csr = tp::message_digest(k->p, k->csr_info).value();
      f.s = tp::sign_client_finish(k1.d1, std::move(s1.w1), k->r, k->s1, e_csr, k->p).value();
      ph.d1 = std::move(k1.d1);
      ph.p = k->p;
    } else {
      auto k = svc_->enroll_keygen_p256(e->code, ph.p256.public_key_der());
      EXPECT_TRUE(k) << k.error().to_string();
      if (!k) return ph;
      f.signature = ph.p256.signer().value()->sign(k->csr_info).value();
    }
    if (passkey) {
      const Bytes cd = client_data("webauthn.create", start->record.challenge, kOrigin);
      const Bytes auth =
          ph.passkey.auth_data(webauthn::Flags::kUp | webauthn::Flags::kUv | webauthn::Flags::kAt,
                               0, ph.passkey.cose_key());
      f.webauthn = WebauthnRegistration{ph.passkey.credential_id,
                                        webauthn::test_support::attestation_object(
                                            "none", webauthn::test_support::empty_map(), auth),
                                        cd};
    }
    auto done = svc_->enroll_finish(f);
    EXPECT_TRUE(done) << done.error().to_string();
    if (!done) return ph;
    ph.token = done->token;
    ph.device = done->device;
    ph.certificate = done->certificate;
    return ph;
  }

  // A passkey approval of `challenge`.
  Approval passkey(Phone& ph, BytesView challenge,
                   std::uint8_t flags = webauthn::Flags::kUp | webauthn::Flags::kUv) {
    const Bytes cd = client_data("webauthn.get", challenge, kOrigin);
    const Bytes auth = ph.passkey.auth_data(flags, ++count_);
    Approval a;
    a.method = "webauthn";
    a.credential_id = ph.passkey.credential_id;
    a.authenticator_data = auth;
    a.client_data_json = cd;
    a.signature = ph.passkey.sign(auth, cd);
    return a;
  }

  store::SigningRequestRecord request(const std::string& format = "cms",
                                      std::string doc = "处方: 阿司匹林 100mg",
                                      std::int64_t signer = 0, bool timestamp = false) {
    NewRequest n;
    n.signer = signer != 0 ? signer : subject_;
    n.document = Bytes(doc.begin(), doc.end());
    n.format = format;
    n.timestamp = timestamp;
    n.summary = R"({"document_type":"处方","patient":"李*","department":"心内科"})";
    n.callback_url = "https://his.example/cb";
    auto r = svc_->create_request("示例医院", n, "api-key:his", nullptr);
    EXPECT_TRUE(r) << r.error().to_string();
    return r.value_or(store::SigningRequestRecord{});
  }

  // The phone signs the given requests with one approval; returns the finish answers.
  Result<std::vector<SignFinishAnswer>> sign(Phone& ph, const std::vector<std::string>& ids,
                                             std::optional<Approval> approval = std::nullopt,
                                             const SecretBytes* d1 = nullptr) {
    std::vector<SignStartItem> items;
    std::vector<SecretBytes> w1s;
    Bytes batch;
    std::string batch_in = "hpki-cosign-batch-v1";
    for (const auto& id : ids) {
      SignStartItem it{.id = id, .q1 = {}};
      if (ph.algorithm == "sm2") {
        auto s = tp::sign_client_start().value();
        it.q1 = s.q1;
        w1s.push_back(std::move(s.w1));
      }
      auto r = svc_->request_for(ph.device, id);
      if (r) {
        auto ch = Service::request_challenge(*r).value();
        batch_in.append(ch.begin(), ch.end());
        if (ids.size() == 1) batch = ch;
      }
      items.push_back(std::move(it));
    }
    if (ids.size() > 1)
      batch = crypto::digest(crypto::HashAlg::kSha256, as_bytes(batch_in)).value();
    const Approval a = approval ? *approval : passkey(ph, batch);
    auto started = HPKI_TRY(svc_->sign_start(ph.device, items, a));
    std::vector<SignFinishItem> fin;
    for (std::size_t i = 0; i < started.size(); ++i) {
      SignFinishItem f{.id = started[i].id, .s = {}, .signature = {}};
      if (ph.algorithm == "sm2") {
        // The phone computes e itself from M; a wrong d1 (wrong PIN) gives a wrong s, which the
        // phone's own check would catch: here it sends it anyway, as a broken phone would.
        const Bytes e = tp::message_digest(ph.p, started[i].m).value();
        const SecretBytes& share = d1 != nullptr ? *d1 : ph.d1;
        auto s =
            tp::sign_client_finish(share, std::move(w1s[i]), started[i].r, started[i].s1, e, ph.p);
        f.s = s ? *s : Bytes(32, 0x11);
      } else {
        f.signature = ph.p256.signer().value()->sign(started[i].m).value();
      }
      fin.push_back(std::move(f));
    }
    return svc_->sign_finish(ph.device, fin);
  }

  std::string write_file(const std::string& name, BytesView data) {
    const std::string path = dir_.file(name);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(data.data()),
               static_cast<std::streamsize>(data.size()));
    return path;
  }

  crypto::SystemRandom random_;
  std::unique_ptr<tsa::TsaService> tsa_;
  std::unique_ptr<Service> svc_;
  std::int64_t subject_ = 0;
  std::uint32_t count_ = 0;
  std::mutex hooks_mu_;
  struct Hook {
    std::string url, body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  std::vector<Hook> hooks_;
};

TEST_P(CosignServiceTest, Sm2EnrollmentIssuesACertificateForTheJointKey) {
  Phone ph = enroll("sm2");
  ASSERT_FALSE(ph.token.empty());
  auto cert = x509::Certificate::parse(ph.certificate).value();
  EXPECT_EQ(cert->spki_der(), tp::spki_from_point(ph.p).value());
  EXPECT_NE(x509::to_string(cert->subject()).find("张三"), std::string::npos);
  EXPECT_EQ(ph.device.algorithm, "sm2");
  // The certificate belongs to the subject record the RA named.
  auto rec = svc_->device_certificate(ph.device).value();
  EXPECT_EQ(rec.subject_id, subject_);
  EXPECT_EQ(svc_->authenticate(ph.token).value().id, ph.device.id);
  EXPECT_FALSE(svc_->authenticate("hpkid_wrong").has_value());
}

TEST_P(CosignServiceTest, EnrollmentCodeIsSingleUseAndProofsAreChecked) {
  auto e = svc_->create_enrollment("示例医院", subject_, "sm2", std::nullopt, "ra").value();
  auto start = svc_->enroll_start(e.code, "ip").value();
  // A proof made for another enrollment (ctx) is refused and counted.
  auto k1 = tp::keygen_client("enr-other").value();
  auto q = tp::sign_client_start().value();
  auto bad = svc_->enroll_keygen_sm2(e.code, k1.p1, {k1.proof.r, k1.proof.z}, q.q1);
  ASSERT_FALSE(bad);
  EXPECT_EQ(problem_type(bad.error()), problem::kInvalidProof);
  // An off-curve P1 is refused as a point.
  Bytes off = k1.p1;
  off[64] ^= 1;
  auto off_curve = svc_->enroll_keygen_sm2(e.code, off, {k1.proof.r, k1.proof.z}, q.q1);
  ASSERT_FALSE(off_curve);
  EXPECT_EQ(problem_type(off_curve.error()), problem::kInvalidPoint);
  // Unknown codes are refused.
  EXPECT_EQ(problem_type(svc_->enroll_start("ZZZZZZZZ", "ip").error()), problem::kCodeInvalid);
  (void)start;
  // Five failures lock the enrollment.
  for (int i = 0; i < 3; ++i) {
    (void)svc_->enroll_keygen_sm2(e.code, off, {k1.proof.r, k1.proof.z}, q.q1);
  }
  EXPECT_EQ(problem_type(svc_->enroll_start(e.code, "ip").error()), problem::kEnrollmentLocked);
  // A completed enrollment's code cannot be used again.
  Phone ph = enroll("sm2");
  auto e2 = svc_->get_enrollment(ph.device.id);
  EXPECT_FALSE(e2);  // a device id is not an enrollment id
}

TEST_P(CosignServiceTest, EnrollmentForAnotherOrganizationsSubjectIsNotFound) {
  const auto other = staff_subject("其他医院", "310101199001015678");
  auto e = svc_->create_enrollment("示例医院", other, "sm2", std::nullopt, "ra");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code(), ErrorCode::kNotFound);
}

TEST_P(CosignServiceTest, Sm2CmsSignatureVerifiesWithHpkiAndOpenssl) {
  Phone ph = enroll("sm2");
  auto r = request("cms");
  auto pending = svc_->pending(ph.device).value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].id, r.id);
  auto out = sign(ph, {r.id});
  ASSERT_TRUE(out) << out.error().to_string();
  auto done = svc_->get_request(r.id).value();
  ASSERT_EQ(done.state, "signed");
  ASSERT_TRUE(done.result);
  // hpki's verifier: the signature under the doctor's certificate, chain to the SM2 root.
  sign::VerifyRequest vr;
  vr.signature = *done.result;
  sign::TrustSettings t;
  const std::string issuing = svc_->device_certificate(ph.device).value().ca_id;
  const auto chain = rt_->ca().chain_of(issuing).value();
  for (const auto& der : chain) {
    auto c = x509::Certificate::parse(der).value();
    (c->subject().der == c->issuer().der ? t.anchors : t.intermediates).push_back(c);
  }
  t.now = rt_->clock().now();
  t.require_revocation = false;
  const auto report = sign::verify(vr, t);
  EXPECT_TRUE(report.valid) << report.status << ": " << report.detail;
  // OpenSSL 3.0's `cms -verify` checks SM2 with the empty ID (docs/crypto.md), so the SignerInfo's
  // signature over the DER signed attributes is checked with `openssl pkeyutl` and the standard ID.
  auto sd = x509::cms::parse_signed_data(*done.result).value();
  ASSERT_TRUE(done.to_be_signed);
  const std::string pub =
      write_file("pub.pem", as_bytes(pem_encode("PUBLIC KEY", ph.device.public_key)));
  const std::string attrs = write_file("attrs.der", *done.to_be_signed);
  const std::string sig = write_file("sig.der", sd.signers.at(0).signature);
  auto res = test::run("openssl pkeyutl -verify -pubin -inkey " + pub + " -rawin -digest sm3 -in " +
                       attrs + " -sigfile " + sig + " -pkeyopt distid:1234567812345678 2>&1");
  EXPECT_EQ(res.exit_code, 0) << res.output;
  // The hospital system's webhook got the result with the HMAC-SM3 header.
  std::optional<Hook> hook;
  for (int i = 0; i < 50 && !hook; ++i) {
    {
      std::lock_guard lock(hooks_mu_);
      for (const auto& h : hooks_) {
        if (h.url == "https://his.example/cb") hook = h;
      }
    }
    if (!hook) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_TRUE(hook);
  EXPECT_NE(hook->body.find("\"signed\""), std::string::npos);
  const auto secret = hex_decode(svc_->webhook_secret("示例医院").value()).value();
  const auto mac = crypto::hmac(crypto::HashAlg::kSm3, secret, as_bytes(hook->body)).value();
  bool header_ok = false;
  for (const auto& [k, v] : hook->headers) {
    if (k == "X-Hpki-Signature") header_ok = v == "hmac-sm3=" + hex_encode(mac);
  }
  EXPECT_TRUE(header_ok);
}

TEST_P(CosignServiceTest, Sm2RawSignatureVerifiesWithOpensslPkeyutl) {
  Phone ph = enroll("sm2");
  auto r = request("raw", "检查报告 #42");
  ASSERT_TRUE(sign(ph, {r.id}));
  auto done = svc_->get_request(r.id).value();
  ASSERT_EQ(done.state, "signed");
  const std::string pub =
      write_file("pub.pem", as_bytes(pem_encode("PUBLIC KEY", ph.device.public_key)));
  const std::string msg = write_file("msg.bin", r.document);
  const std::string sig = write_file("sig.bin", *done.result);
  auto res = test::run("openssl pkeyutl -verify -pubin -inkey " + pub + " -rawin -digest sm3 -in " +
                       msg + " -sigfile " + sig + " -pkeyopt distid:1234567812345678 2>&1");
  EXPECT_EQ(res.exit_code, 0) << res.output;
  EXPECT_NE(res.output.find("Signature Verified Successfully"), std::string::npos) << res.output;
}

TEST_P(CosignServiceTest, P256CmsWithTimestampVerifiesWithOpenssl) {
  Phone ph = enroll("ecdsa-p256");
  ASSERT_FALSE(ph.token.empty());
  auto r = request("cms", "医嘱", 0, tsa_ != nullptr);
  auto out = sign(ph, {r.id});
  ASSERT_TRUE(out) << out.error().to_string();
  auto done = svc_->get_request(r.id).value();
  ASSERT_EQ(done.state, "signed") << done.error;
  auto cert = x509::Certificate::parse(ph.certificate).value();
  const auto chain = rt_->ca().chain_of(svc_->device_certificate(ph.device).value().ca_id).value();
  const std::string ca = write_file("root.pem", as_bytes(pem_encode("CERTIFICATE", chain.back())));
  const std::string cms = write_file("p256.der", *done.result);
  auto res = test::run("openssl cms -verify -binary -inform DER -in " + cms + " -CAfile " + ca +
                       " -purpose any -out /dev/null 2>&1");
  EXPECT_EQ(res.exit_code, 0) << res.output;
  if (tsa_) {
    auto sd = x509::cms::parse_signed_data(*done.result).value();
    EXPECT_NE(sd.signers.at(0).find_unsigned(der::oids::kAaTimeStampToken), nullptr);
  }
}

TEST_P(CosignServiceTest, ApprovalIsBoundToTheRequestAndNeedsUserVerification) {
  Phone ph = enroll("sm2");
  auto r1 = request();
  auto r2 = request();
  // A passkey assertion over r2's challenge does not approve r1.
  const Bytes ch2 = Service::request_challenge(r2).value();
  auto wrong = sign(ph, {r1.id}, passkey(ph, ch2));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(problem_type(wrong.error()), problem::kApprovalInvalid);
  // Without UV the assertion is refused.
  const Bytes ch1 = Service::request_challenge(r1).value();
  auto no_uv = sign(ph, {r1.id}, passkey(ph, ch1, webauthn::Flags::kUp));
  ASSERT_FALSE(no_uv);
  EXPECT_NE(no_uv.error().detail().find("uv_missing"), std::string::npos) << no_uv.error().detail();
  EXPECT_EQ(svc_->get_request(r1.id).value().state, "pending");
  // The right one signs; the request cannot be signed twice.
  ASSERT_TRUE(sign(ph, {r1.id}));
  auto again = sign(ph, {r1.id});
  ASSERT_FALSE(again);
  EXPECT_EQ(problem_type(again.error()), problem::kNotPending);
}

TEST_P(CosignServiceTest, BatchApprovalSignsEveryRequestWithOneAssertion) {
  Phone ph = enroll("sm2");
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(request("cms", "处方 " + std::to_string(i)).id);
  auto out = sign(ph, ids);
  ASSERT_TRUE(out) << out.error().to_string();
  for (const auto& id : ids) EXPECT_EQ(svc_->get_request(id).value().state, "signed");
  // The same Q1 twice in one batch is refused (nonces are per request).
  auto a = request(), b = request();
  auto q = tp::sign_client_start().value();
  std::vector<SignStartItem> items{{a.id, q.q1}, {b.id, q.q1}};
  auto dup = svc_->sign_start(ph.device, items, Approval{.method = "pin"});
  ASSERT_FALSE(dup);
  EXPECT_EQ(problem_type(dup.error()), problem::kInvalidPoint);
}

TEST_P(CosignServiceTest, WrongPinFiveTimesLocksTheDevice) {
  Phone ph = enroll("sm2");
  auto wrong = tp::random_scalar().value();  // the share a wrong PIN unlocks
  for (int i = 0; i < 5; ++i) {
    auto r = request();
    auto out = sign(ph, {r.id}, Approval{.method = "pin"}, &wrong);
    ASSERT_FALSE(out);
    EXPECT_EQ(problem_type(out.error()), problem::kSignatureInvalid);
    EXPECT_EQ(svc_->get_request(r.id).value().state, "pending");  // back to pending
  }
  auto r = request();
  auto locked = sign(ph, {r.id}, Approval{.method = "pin"});
  ASSERT_FALSE(locked);
  EXPECT_EQ(problem_type(locked.error()), problem::kDeviceLocked);
  // The passkey path is locked too until the RA unlocks the device.
  EXPECT_EQ(problem_type(sign(ph, {r.id}).error()), problem::kDeviceLocked);
  ASSERT_TRUE(svc_->set_device_status(ph.device.id, "active", "ra"));
  ph.device = svc_->get_device(ph.device.id).value();
  EXPECT_TRUE(sign(ph, {r.id}, Approval{.method = "pin"}));
}

TEST_P(CosignServiceTest, NeitherShareAloneSigns) {
  Phone ph = enroll("sm2");
  auto r = request("raw");
  // The phone alone: without hpki's s1 it has nothing; with an s1 from another server share the
  // signature does not verify (the phone's own check refuses it).
  auto other = tp::keygen_client("x").value();
  auto other_server = tp::keygen_server(other.p1, other.proof, "x").value();
  auto s1 = tp::sign_client_start().value();
  const Bytes e = tp::message_digest(ph.p, r.document).value();
  auto part = tp::sign_server(other_server.d2, s1.q1, e).value();
  EXPECT_FALSE(tp::sign_client_finish(ph.d1, std::move(s1.w1), part.r, part.s1, e, ph.p));
  // hpki alone: the server's half with any phone share but the real one fails.
  auto fake = tp::random_scalar().value();
  auto out = sign(ph, {r.id}, Approval{.method = "pin"}, &fake);
  EXPECT_FALSE(out);
  EXPECT_EQ(svc_->get_request(r.id).value().state, "pending");
}

// hpki seals its share with its inverse (d2 || d2^-1, 64 bytes: S2 and D2 skip the inversion);
// a share sealed as d2 alone (32 bytes, before the inverse was stored) still signs and decrypts;
// a sealed share of another size, or whose second half is not d2^-1, signs nothing and changes
// nothing.
TEST_P(CosignServiceTest, Sm2ShareIsSealedWithItsInverseAndOlderSharesStillWork) {
  Phone ph = enroll("sm2");
  const auto& sealer = rt_->cosign_sealer();
  auto device = svc_->get_device(ph.device.id).value();
  ASSERT_TRUE(device.share);
  const std::string plain = sealer.decrypt(*device.share).value();
  ASSERT_EQ(plain.size(), 64u);
  const SecretBytes d2(std::string_view(plain).substr(0, 32));
  const SecretBytes d2_inv(std::string_view(plain).substr(32));
  EXPECT_TRUE(constant_time_equal(tp::share_inverse(d2).value().view(), d2_inv.view()));

  // Replaces the sealed share of the device (as a store written by an older hpki).
  auto reseal = [&](std::string_view share) {
    const Bytes sealed = sealer.encrypt(share).value();
    ASSERT_TRUE(rt_->store().transact([&](store::Tx& tx) -> Result<void> {
      auto d = HPKI_TRY(tx.get_cosign_device(ph.device.id));
      d.share = sealed;
      return tx.update_cosign_device(d);
    }));
    ph.device = svc_->get_device(ph.device.id).value();
  };
  reseal(d2.as_string_view());
  auto r = request("raw", "检查报告 #43");
  ASSERT_TRUE(sign(ph, {r.id}, Approval{.method = "pin"}));
  auto done = svc_->get_request(r.id).value();
  ASSERT_EQ(done.state, "signed");
  EXPECT_TRUE(crypto::verify_signature(ph.device.public_key, crypto::SignatureAlg::kSm2Sm3,
                                       r.document, *done.result));
  const Bytes raw = crypto::sm2_ciphertext_der_to_raw(
                        crypto::encrypt(ph.device.public_key, as_bytes("病历摘要")).value(),
                        crypto::Sm2CiphertextFormat::kRawC1C3C2)
                        .value();
  auto dec = tp::decrypt_client_start(BytesView(raw).first(65)).value();
  std::string in = "hpki-cosign-decrypt-v1";
  in.append(reinterpret_cast<const char*>(dec.t1.data()), dec.t1.size());
  const Bytes ch = crypto::digest(crypto::HashAlg::kSha256, as_bytes(in)).value();
  auto t2 = svc_->decrypt(ph.device, dec.t1, passkey(ph, ch));
  ASSERT_TRUE(t2) << t2.error().to_string();
  EXPECT_EQ(tp::decrypt_client_finish(ph.d1, std::move(dec.w), *t2, raw).value().as_string_view(),
            "病历摘要");

  // Broken seals: 48 bytes; d2 || d2 (the second half is not the inverse).
  const std::string wrong_size = plain.substr(0, 48);
  const std::string no_inverse = plain.substr(0, 32) + plain.substr(0, 32);
  for (const std::string* bad : {&wrong_size, &no_inverse}) {
    reseal(*bad);
    auto pending = request("raw", "检查报告 #44");
    auto out = sign(ph, {pending.id}, Approval{.method = "pin"});
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().code(), ErrorCode::kBadSignature) << out.error().to_string();
    EXPECT_EQ(svc_->get_request(pending.id).value().state, "pending");
    EXPECT_EQ(svc_->get_device(ph.device.id).value().pin_failures, 0);
  }
  // The sealed d2 || d2^-1 of a new enrollment signs again.
  reseal(plain);
  auto again = request("raw", "检查报告 #45");
  EXPECT_TRUE(sign(ph, {again.id}, Approval{.method = "pin"}));
  EXPECT_EQ(svc_->get_request(again.id).value().state, "signed");
}

TEST_P(CosignServiceTest, RejectAndOtherDoctorsRequests) {
  Phone ph = enroll("sm2");
  auto r = request();
  auto rej = svc_->reject(ph.device, r.id, "剂量有误");
  ASSERT_TRUE(rej);
  EXPECT_EQ(svc_->get_request(r.id).value().state, "rejected");
  // Another doctor's phone neither sees nor signs the first doctor's requests.
  const auto other = staff_subject("示例医院", "310101199001019999");
  Phone ph2 = enroll("sm2", true, "示例医院", other);
  auto r2 = request();
  EXPECT_TRUE(svc_->pending(ph2.device).value().empty());
  EXPECT_EQ(svc_->request_for(ph2.device, r2.id).error().code(), ErrorCode::kNotFound);
  EXPECT_FALSE(sign(ph2, {r2.id}));
}

TEST_P(CosignServiceTest, QrLoginNeedsTheNumberThePasskeyAndTheSecret) {
  Phone ph = enroll("sm2");
  auto q = svc_->create_qr("login", "10.1.2.3", "Chrome on 门诊 3").value();
  auto scan = svc_->qr_scan(ph.device, q.record.id).value();
  ASSERT_EQ(scan.choices.size(), 3u);
  EXPECT_NE(std::find(scan.choices.begin(), scan.choices.end(), q.record.number),
            scan.choices.end());
  // A second scan is refused.
  EXPECT_EQ(problem_type(svc_->qr_scan(ph.device, q.record.id).error()), problem::kQrState);
  const std::string in = "hpki-cosign-qr-v1" + q.record.id + std::to_string(q.record.number);
  const Bytes ch = crypto::digest(crypto::HashAlg::kSha256, as_bytes(in)).value();
  ASSERT_TRUE(
      svc_->qr_confirm(ph.device, q.record.id, static_cast<int>(q.record.number), passkey(ph, ch)));
  // Status with the wrong secret: not found; with the right one: the ticket.
  EXPECT_FALSE(svc_->qr_status(q.record.id, "nope"));
  auto st = svc_->qr_status(q.record.id, q.secret).value();
  ASSERT_EQ(st.state, "confirmed");
  ASSERT_TRUE(st.ticket);
  const std::string ticket(st.ticket->begin(), st.ticket->end());
  EXPECT_FALSE(svc_->qr_redeem(q.record.id, "nope", ticket));
  auto session = svc_->qr_redeem(q.record.id, q.secret, ticket);
  ASSERT_TRUE(session) << session.error().to_string();
  EXPECT_EQ(session->subject, "张三");
  EXPECT_TRUE(svc_->pc_session(session->token));
  // Redeemed once only.
  EXPECT_EQ(problem_type(svc_->qr_redeem(q.record.id, q.secret, ticket).error()),
            problem::kQrState);
  // A wrong number cancels the session.
  auto q2 = svc_->create_qr("login", "10.1.2.3", "").value();
  ASSERT_TRUE(svc_->qr_scan(ph.device, q2.record.id));
  const int wrong = q2.record.number == 99 ? 98 : static_cast<int>(q2.record.number) + 1;
  auto bad = svc_->qr_confirm(ph.device, q2.record.id, wrong, passkey(ph, ch));
  ASSERT_FALSE(bad);
  EXPECT_EQ(svc_->qr_status(q2.record.id, q2.secret).value().state, "cancelled");
  // "Not me" on the phone cancels a scanned session; another device cannot.
  auto q3 = svc_->create_qr("login", "10.1.2.3", "").value();
  ASSERT_TRUE(svc_->qr_scan(ph.device, q3.record.id));
  const auto other = staff_subject("示例医院", "310101199001017777");
  Phone stranger = enroll("sm2", true, "示例医院", other);
  EXPECT_EQ(svc_->qr_cancel(stranger.device, q3.record.id).error().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(svc_->qr_cancel(ph.device, q3.record.id));
  EXPECT_EQ(svc_->qr_status(q3.record.id, q3.secret).value().state, "cancelled");
}

TEST_P(CosignServiceTest, TwoPartyDecryptionOfAnOpensslCiphertext) {
  Phone ph = enroll("sm2");
  const std::string pub =
      write_file("pub.pem", as_bytes(pem_encode("PUBLIC KEY", ph.device.public_key)));
  const std::string msg = write_file("plain.txt", as_bytes("病历摘要"));
  const std::string ct = dir_.file("ct.der");
  auto res = test::run("openssl pkeyutl -encrypt -pubin -inkey " + pub + " -in " + msg + " -out " +
                       ct + " 2>&1");
  ASSERT_EQ(res.exit_code, 0) << res.output;
  const Bytes der = test::read_file(ct);
  const Bytes raw =
      crypto::sm2_ciphertext_der_to_raw(der, crypto::Sm2CiphertextFormat::kRawC1C3C2).value();
  auto d1 = tp::decrypt_client_start(BytesView(raw).first(65)).value();
  std::string in = "hpki-cosign-decrypt-v1";
  in.append(reinterpret_cast<const char*>(d1.t1.data()), d1.t1.size());
  const Bytes ch = crypto::digest(crypto::HashAlg::kSha256, as_bytes(in)).value();
  // The PIN path is not enough for decryption.
  EXPECT_FALSE(svc_->decrypt(ph.device, d1.t1, Approval{.method = "pin"}));
  auto t2 = svc_->decrypt(ph.device, d1.t1, passkey(ph, ch));
  ASSERT_TRUE(t2) << t2.error().to_string();
  auto plain = tp::decrypt_client_finish(ph.d1, std::move(d1.w), *t2, raw).value();
  EXPECT_EQ(plain.as_string_view(), "病历摘要");
}

// mobile.md §1.7(9), docs/cosign.md §2 "Share refresh": a share refresh keeps the key (the
// certificate stays) and retires the old shares: the refreshed phone share signs, the old one no
// longer does; the approval is a passkey bound to the current share point, so a replay refreshes
// nothing; a PIN approval and a bad t are refused and change nothing.
TEST_P(CosignServiceTest, ShareRefreshKeepsTheKeyAndRetiresTheOldShare) {
  Phone ph = enroll("sm2");
  // The phone derives hpki's share point from its own share: d1·(P+G) == P2.
  const Bytes p2 = svc_->share_point(ph.device).value();
  const SecretBytes t = tp::random_scalar().value();
  const Bytes t_bytes(t.data(), t.data() + t.size());
  const Bytes ch = Service::refresh_challenge(ph.device.id, t_bytes, p2).value();

  EXPECT_FALSE(svc_->refresh_share(ph.device, t_bytes, Approval{.method = "pin"}));
  auto wrong = svc_->refresh_share(ph.device, t_bytes, passkey(ph, Bytes(32, 7)));
  ASSERT_FALSE(wrong);
  EXPECT_EQ(problem_type(wrong.error()), problem::kApprovalInvalid);
  EXPECT_FALSE(svc_->refresh_share(ph.device, Bytes(32, 0), passkey(ph, ch)));  // t = 0
  EXPECT_EQ(svc_->share_point(ph.device).value(), p2);                          // nothing changed

  const Approval ok = passkey(ph, ch);
  auto p2_new = svc_->refresh_share(ph.device, t_bytes, ok);
  ASSERT_TRUE(p2_new) << p2_new.error().to_string();
  EXPECT_NE(*p2_new, p2);
  ph.device = svc_->get_device(ph.device.id).value();
  EXPECT_EQ(svc_->share_point(ph.device).value(), *p2_new);
  // The same assertion again: bound to the old share point, refused.
  EXPECT_FALSE(svc_->refresh_share(ph.device, t_bytes, ok));
  EXPECT_EQ(svc_->share_point(ph.device).value(), *p2_new);

  const SecretBytes old_d1{ph.d1.view()};
  ph.d1 = tp::refresh_client(old_d1, t).value();
  auto r = request();
  auto signed_ = sign(ph, {r.id});
  ASSERT_TRUE(signed_) << signed_.error().to_string();
  EXPECT_EQ(svc_->get_request(r.id).value().state, "signed");
  // The old phone share with the new server share: an invalid signature.
  ph.device = svc_->get_device(ph.device.id).value();
  auto r2 = request();
  auto stale = sign(ph, {r2.id}, std::nullopt, &old_d1);
  EXPECT_FALSE(stale);
}

TEST_P(CosignServiceTest, EventsWakeAWaitingPhone) {
  Phone ph = enroll("sm2");
  std::promise<std::vector<store::SigningRequestRecord>> got;
  svc_->wait_events(ph.device, 1'000'000'000, rt_->clock().now() + std::chrono::seconds(10),
                    [&](std::vector<store::SigningRequestRecord> news) { got.set_value(news); });
  // Nothing newer than a huge id: a new request has a smaller seq, so wait from 0 instead.
  auto f = got.get_future();
  EXPECT_EQ(f.wait_for(std::chrono::seconds(15)), std::future_status::ready);
  std::promise<std::vector<store::SigningRequestRecord>> got2;
  svc_->wait_events(ph.device, 0, rt_->clock().now() + std::chrono::seconds(20),
                    [&](std::vector<store::SigningRequestRecord> news) { got2.set_value(news); });
  auto r = request();
  auto f2 = got2.get_future();
  ASSERT_EQ(f2.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  auto news = f2.get();
  ASSERT_FALSE(news.empty());
  EXPECT_EQ(news.back().id, r.id);
  EXPECT_GT(news.back().seq, 0);
}

TEST_P(CosignServiceTest, ANewRequestWakesTheDoctorWithoutPatientData) {
  Phone ph = enroll("sm2");
  (void)request("cms", "处方: 患者李四 身份证 310101199001011234");
  std::string body;
  for (int i = 0; i < 50 && body.empty(); ++i) {
    {
      std::lock_guard lock(hooks_mu_);
      for (const auto& h : hooks_) {
        if (h.url == "https://gateway.example/notify") body = h.body;
      }
    }
    if (body.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_FALSE(body.empty());
  const auto j = nlohmann::json::parse(body);
  EXPECT_EQ(j.at("event"), "pending");
  EXPECT_EQ(j.at("subject_id"), subject_);
  EXPECT_EQ(j.at("pending"), 1);
  EXPECT_EQ(body.find("李四"), std::string::npos);  // no patient data, no summary
  EXPECT_EQ(body.find("处方"), std::string::npos);
}

TEST_P(CosignServiceTest, ReEnrollmentRevokesTheOldDeviceAndItsCertificate) {
  Phone old_phone = enroll("sm2");
  Phone new_phone = enroll("sm2");
  ASSERT_FALSE(new_phone.token.empty());
  EXPECT_EQ(problem_type(svc_->authenticate(old_phone.token).error()), problem::kDeviceRevoked);
  EXPECT_TRUE(svc_->authenticate(new_phone.token));
  const auto old_cert = svc_->device_certificate(old_phone.device).value();
  EXPECT_EQ(old_cert.status, store::CertStatus::kRevoked);
  auto r = request();
  EXPECT_TRUE(sign(new_phone, {r.id}));
}

TEST_P(CosignServiceTest, CallbackUrlsOutsideTheAllowedPrefixesAreRefused) {
  NewRequest n;
  n.signer = subject_;
  n.document = Bytes{1, 2, 3};
  n.callback_url = "http://169.254.169.254/latest/meta-data";
  auto r = svc_->create_request("示例医院", n, "api-key:his", nullptr);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kPolicyRefused);
}

TEST_P(CosignServiceTest, DecryptionIsRateLimitedPerDevice) {
  Phone ph = enroll("sm2");
  auto attempt = [&] {
    auto c = tp::keygen_client("c").value();  // any valid point serves as C1
    auto d1 = tp::decrypt_client_start(c.p1).value();
    std::string in = "hpki-cosign-decrypt-v1";
    in.append(reinterpret_cast<const char*>(d1.t1.data()), d1.t1.size());
    const Bytes ch = crypto::digest(crypto::HashAlg::kSha256, as_bytes(in)).value();
    return svc_->decrypt(ph.device, d1.t1, passkey(ph, ch));
  };
  EXPECT_TRUE(attempt());
  EXPECT_TRUE(attempt());
  auto third = attempt();
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code(), ErrorCode::kLimitExceeded);
}

// ------------------------------------------------------------------ format pdf

// Red pixels of page 1 rendered by pdftoppm at 72 dpi, inside and outside a rectangle given
// in PDF points (origin bottom-left).
struct RedCount {
  int inside = 0, outside = 0;
};
RedCount red_pixels(const std::string& pdf_path, const std::string& out_prefix, const PdfRect& r) {
  RedCount c;
  auto run = test::run("pdftoppm -r 72 -png -f 1 -l 1 -singlefile " + pdf_path + " " + out_prefix);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  std::ifstream in(out_prefix + ".png", std::ios::binary);
  Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, b.data(), b.size())) return c;
  img.format = PNG_FORMAT_RGBA;
  Bytes px(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, px.data(), 0, nullptr)) return c;
  for (std::uint32_t y = 0; y < img.height; ++y) {
    for (std::uint32_t x = 0; x < img.width; ++x) {
      const std::uint8_t* p = &px[(std::size_t{y} * img.width + x) * 4];
      if (!(p[0] > 180 && p[1] < 80 && p[2] < 80)) continue;
      const double py = img.height - (y + 0.5);  // page y, bottom-left origin
      const bool in_rect = x + 0.5 >= r.x && x + 0.5 <= r.x + r.w && py >= r.y && py <= r.y + r.h;
      (in_rect ? c.inside : c.outside)++;
    }
  }
  return c;
}

// issue 20 meets issue 19 (docs/cosign.md §3 "Format pdf"): a signing request with format pdf
// → the phone approves and co-signs M (the CMS signed attributes over the ByteRange digest of
// the PDF prepared once at the approval) → hpki assembles the CMS (+ the TSA's token: PAdES
// B-T) into exactly those prepared bytes → a signed PDF that hpki's PDF verifier reports valid
// with the doctor's certificate as signer, that qpdf --check accepts, that pdfsig (NSS, P-256)
// accepts, with the doctor's handwriting drawn in the rectangle.
class CosignPdfTest : public CosignServiceTest {
 public:
  void run_pdf(const std::string& algorithm, bool visible, bool timestamp) {
    Phone ph = enroll(algorithm);
    ASSERT_FALSE(ph.token.empty());
    const Bytes png = hpki::test::red_disc_png(96, 96);
    auto hw = svc_->set_handwriting(ph.device, png, "[]");
    ASSERT_TRUE(hw) << hw.error().to_string();
    ph.device = *hw;
    pdf::test::PdfBuilder builder(2);
    const Bytes original = builder.data;
    const PdfRect rect{100, 500, 150, 120};
    NewRequest n;
    n.signer = subject_;
    n.document = original;
    n.format = "pdf";
    n.timestamp = timestamp;
    n.summary = R"({"document_type":"出院小结","patient":"李*"})";
    if (visible)
      n.pdf = PdfOptions{.page = 1, .rect = rect, .anchor = {}, .reason = "主治医师签名"};
    auto created = svc_->create_request("示例医院", n, "api-key:his", nullptr);
    ASSERT_TRUE(created) << created.error().to_string();
    EXPECT_EQ(created->format, "pdf");
    EXPECT_FALSE(created->prepared);  // prepared at the approval, not before

    // Approval: hpki prepares the PDF once and answers M over its ByteRange.
    SignStartItem item{.id = created->id, .q1 = {}};
    std::optional<SecretBytes> w1;
    if (algorithm == "sm2") {
      auto s1 = tp::sign_client_start().value();
      item.q1 = s1.q1;
      w1 = std::move(s1.w1);
    }
    auto started = svc_->sign_start(ph.device, {item},
                                    passkey(ph, Service::request_challenge(*created).value()));
    ASSERT_TRUE(started) << started.error().to_string();
    ASSERT_EQ(started->size(), 1u);
    const Bytes m = (*started)[0].m;
    auto approved = svc_->request_for(ph.device, created->id).value();
    ASSERT_EQ(approved.state, "approved");
    ASSERT_TRUE(approved.prepared);
    // What the phone checks (docs/cosign.md §3 "Format pdf"): the prepared PDF begins with the
    // document it showed, and M's messageDigest is the digest of the prepared PDF's ByteRange.
    const Bytes& prep = *approved.prepared;
    ASSERT_GT(prep.size(), original.size());
    EXPECT_TRUE(std::equal(original.begin(), original.end(), prep.begin()));
    pdf::Prepared p;
    p.pdf = prep;
    std::istringstream br(approved.byte_range);
    for (auto& v : p.byte_range) br >> v;
    p.contents_offset = p.byte_range[1];
    p.contents_capacity = (p.byte_range[2] - p.byte_range[1] - 2) / 2;
    const auto hash = algorithm == "sm2" ? crypto::HashAlg::kSm3 : crypto::HashAlg::kSha256;
    const Bytes digest = pdf::byte_range_digest(p, hash).value();
    Bytes md{0x04, 0x20};  // messageDigest OCTET STRING
    md.insert(md.end(), digest.begin(), digest.end());
    EXPECT_NE(std::search(m.begin(), m.end(), md.begin(), md.end()), m.end())
        << "M does not commit to the prepared PDF's ByteRange";

    SignFinishItem fin{.id = created->id, .s = {}, .signature = {}};
    if (algorithm == "sm2") {
      const Bytes e = tp::message_digest(ph.p, m).value();
      fin.s =
          tp::sign_client_finish(ph.d1, std::move(*w1), (*started)[0].r, (*started)[0].s1, e, ph.p)
              .value();
    } else {
      fin.signature = ph.p256.signer().value()->sign(m).value();
    }
    auto finished = svc_->sign_finish(ph.device, {fin});
    ASSERT_TRUE(finished) << finished.error().to_string();
    auto done = svc_->get_request(created->id).value();
    ASSERT_EQ(done.state, "signed") << done.error;
    ASSERT_TRUE(done.result);
    const Bytes& signed_pdf = *done.result;
    // The CMS went into the stored prepared bytes: everything but /Contents is unchanged.
    ASSERT_EQ(signed_pdf.size(), prep.size());
    EXPECT_TRUE(std::equal(prep.begin(),
                           prep.begin() + static_cast<std::ptrdiff_t>(p.byte_range[1]),
                           signed_pdf.begin()));
    EXPECT_TRUE(std::equal(prep.begin() + static_cast<std::ptrdiff_t>(p.byte_range[2]), prep.end(),
                           signed_pdf.begin() + static_cast<std::ptrdiff_t>(p.byte_range[2])));

    // hpki's PDF verifier: valid, one PAdES signature by the doctor's certificate.
    sign::TrustSettings t;
    const auto cas = rt_->ca().list_cas().value();
    for (const auto& ca : cas) {
      auto c = x509::Certificate::parse(ca.certificate).value();
      (c->subject().der == c->issuer().der ? t.anchors : t.intermediates).push_back(c);
    }
    t.now = rt_->clock().now();
    t.require_revocation = false;
    const auto report = pdf::verify(signed_pdf, t);
    EXPECT_TRUE(report.valid) << pdf::verify_report_text(report);
    ASSERT_EQ(report.signatures.size(), 1u);
    const auto& sig = report.signatures[0];
    EXPECT_EQ(sig.info.sub_filter, "ETSI.CAdES.detached");
    EXPECT_TRUE(sig.info.covers_whole_file);
    ASSERT_TRUE(sig.cms);
    ASSERT_TRUE(sig.cms->signer);
    EXPECT_EQ(sig.cms->signer->der(), ph.certificate);
    EXPECT_FALSE(sig.cms->signing_time) << "PAdES: no signingTime attribute (the /M says it)";
    EXPECT_EQ(sig.info.name.value_or(""), "张三");
    if (visible) {
      EXPECT_EQ(sig.info.reason.value_or(""), "主治医师签名");
    }
    EXPECT_EQ(sig.cms->timestamp.has_value(), timestamp);
    if (timestamp) {
      ASSERT_TRUE(sig.cms->timestamp);
      EXPECT_TRUE(sig.cms->timestamp->valid) << sig.cms->timestamp->detail;
      EXPECT_EQ(sig.cms->time_source, "timestamp");
    }

    const std::string path = write_file("signed-" + algorithm + ".pdf", signed_pdf);
    // qpdf: the structure (incremental update, xref) is sound.
    auto q = test::run("qpdf --check " + path);
    EXPECT_EQ(q.exit_code, 0) << q.output;
    // poppler's pdfsig (NSS has no SM2): P-256 only.
    if (algorithm != "sm2") {
      auto ps = test::run("pdfsig " + path);
      EXPECT_NE(ps.output.find("Signature Validation: Signature is Valid."), std::string::npos)
          << ps.output;
    }
    // The handwriting: red pixels in the rectangle when visible, none anywhere when invisible.
    const auto red = red_pixels(path, dir_.file("page-" + algorithm), rect);
    if (visible) {
      EXPECT_GT(red.inside, 1000);
    } else {
      EXPECT_EQ(red.inside, 0);
    }
    EXPECT_EQ(red.outside, 0);
  }
};

TEST_P(CosignPdfTest, Sm2PdfRequestGivesASignedPdfWithTheHandwriting) {
  run_pdf("sm2", /*visible=*/true, /*timestamp=*/true);
}

TEST_P(CosignPdfTest, P256PdfRequestGivesASignedPdfThatPdfsigAccepts) {
  run_pdf("ecdsa-p256", /*visible=*/true, /*timestamp=*/true);
}

TEST_P(CosignPdfTest, InvisiblePdfSignatureWithoutATimestamp) {
  run_pdf("ecdsa-p256", /*visible=*/false, /*timestamp=*/false);
  run_pdf("sm2", /*visible=*/false, /*timestamp=*/false);
}

// Bad input changes nothing: a document that is not a PDF, a page the document lacks, options
// without format pdf, unknown option fields; an anchor that is not in the document fails the
// request at the approval with the problem, and the HIS reads why.
TEST_P(CosignPdfTest, ANonPdfDocumentIsRefusedWithAProblem) {
  Phone ph = enroll("ecdsa-p256");
  NewRequest n;
  n.signer = subject_;
  n.format = "pdf";
  const std::string text = "处方: 阿司匹林 100mg";
  n.document = Bytes(text.begin(), text.end());
  auto bad = svc_->create_request("示例医院", n, "api-key:his", nullptr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(problem_type(bad.error()), problem::kDocumentInvalid) << bad.error().to_string();
  // A damaged PDF: the header, then garbage.
  std::string damaged = "%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer<<>>";
  n.document = Bytes(damaged.begin(), damaged.end());
  bad = svc_->create_request("示例医院", n, "api-key:his", nullptr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(problem_type(bad.error()), problem::kDocumentInvalid) << bad.error().to_string();
  // No such page.
  n.document = pdf::test::PdfBuilder(2).data;
  n.pdf = PdfOptions{.page = 3, .rect = PdfRect{10, 10, 100, 50}, .anchor = {}, .reason = {}};
  bad = svc_->create_request("示例医院", n, "api-key:his", nullptr);
  ASSERT_FALSE(bad);
  EXPECT_EQ(problem_type(bad.error()), problem::kDocumentInvalid) << bad.error().to_string();
  // Options need format pdf.
  NewRequest cms = n;
  cms.format = "cms";
  EXPECT_EQ(svc_->create_request("示例医院", cms, "api-key:his", nullptr).error().code(),
            ErrorCode::kInvalidArgument);
  // Option parsing: unknown fields, bad rectangles, page 0 without an anchor.
  EXPECT_FALSE(parse_pdf_options(R"({"pages": 1})"));
  EXPECT_FALSE(parse_pdf_options(R"({"rect": {"x": 1, "y": 1, "w": 0, "h": 5}})"));
  EXPECT_FALSE(parse_pdf_options(R"({"rect": {"x": 1, "y": 1, "w": 5}})"));
  EXPECT_FALSE(parse_pdf_options(R"({"page": 0})"));
  EXPECT_FALSE(parse_pdf_options(R"([1])"));
  auto ok = parse_pdf_options(R"({"page": 0, "anchor": "医师签名", "reason": "r"})");
  ASSERT_TRUE(ok) << ok.error().to_string();
  EXPECT_EQ(parse_pdf_options(pdf_options_json(*ok)).value().anchor, ok->anchor);
  // Nothing was created.
  EXPECT_TRUE(svc_->pending(ph.device).value().empty());

  // An anchor that is not in the document: refused at the approval, the request failed.
  n.pdf = PdfOptions{.page = 1, .rect = {}, .anchor = "没有这段文字", .reason = {}};
  auto r = svc_->create_request("示例医院", n, "api-key:his", nullptr);
  ASSERT_TRUE(r) << r.error().to_string();
  auto started = svc_->sign_start(ph.device, {{.id = r->id, .q1 = {}}},
                                  passkey(ph, Service::request_challenge(*r).value()));
  ASSERT_FALSE(started);
  EXPECT_EQ(problem_type(started.error()), problem::kDocumentInvalid);
  auto failed = svc_->get_request(r->id).value();
  EXPECT_EQ(failed.state, "failed");
  EXPECT_NE(failed.error.find("anchor"), std::string::npos) << failed.error;
}

INSTANTIATE_TEST_SUITE_P(Backends, CosignPdfTest, test::backends(), test::backend_name);

INSTANTIATE_TEST_SUITE_P(Backends, CosignServiceTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::cosign
