// hpki's own designation of OCSP responders and TSAs (revocation/store_designation.h, issue 16)
// on SQLite and PostgreSQL, for the RSA and the SM2 hierarchy of a home made like `hpki ca init`:
// the responder and TSA records are designated, certificates with the same profiles issued by
// the same CA outside those records are not, other CAs are unknown. Then the attacks of the
// issue with such certificates: a "good" OCSP answer for a certificate revoked for
// keyCompromise, signed by an undesignated delegate (OcspRevocationSource and
// `hpki verify cert --ocsp` with the home), and a back-dated token from an undesignated TSA
// added to a signature made after the revocation (sign::verify with the store).
#include "revocation/store_designation.h"

#include <gtest/gtest.h>

#include <thread>

#include "ca/runtime.h"
#include "core/pem.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "der/oids.h"
#include "revocation/store_source.h"
#include "sign/sign_service.h"
#include "tests/support/ca_fixture.h"
#include "tests/support/test_util.h"
#include "x509/builder.h"
#include "x509/cms.h"
#include "x509/ocsp.h"
#include "x509/ocsp_source.h"
#include "x509/path.h"
#include "x509/tsp.h"

namespace hpki::revocation {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using x509::Designation;
using x509::RevocationStatus;
using x509::TrustService;

TimePoint now() { return std::chrono::floor<seconds>(std::chrono::system_clock::now()); }

// A key with its certificate.
struct Holder {
  std::unique_ptr<crypto::Signer> signer;
  x509::CertificatePtr cert;
};

class StoreDesignationTest : public test::CaFixture {
 protected:
  store::CaRecord record(const std::string& id) {
    auto r = rt_->store().read_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(id); });
    EXPECT_TRUE(r) << id << ": " << r.error().to_string();
    return *r;
  }
  // A CA record's certificate with its key from the home's key store (SM2 with the GM/T 0009
  // default ID "1234567812345678").
  Holder holder(const std::string& id) {
    const auto rec = record(id);
    auto* keys = rt_->keys_for(rec.key_ref).value();
    return {
        keys->signer(crypto::to_key_ref(rec.key_ref), std::nullopt, crypto::kSm2DefaultId).value(),
        x509::Certificate::parse(rec.certificate).value()};
  }

  // A certificate of `profile` issued by the CA record `ca_id` with the CA's own key, as
  // `hpki cert issue --profile ocsp-responder|tsa` makes one: hpki never designated it.
  Holder issue_outside(const std::string& ca_id, const std::string& profile, crypto::KeySpec spec) {
    const Holder ca = holder(ca_id);
    auto key = crypto::PrivateKey::generate(spec).value();
    crypto::SystemRandom rnd;
    const x509::IssuerInfo info{ca.cert->subject(),
                                x509::key_identifier(ca.cert->spki_der()).value(), ca_id};
    x509::IssueParams p;
    p.profile = &rt_->profiles().at(profile);
    p.subject.organization = "示例医院";
    p.subject.common_name = "示例医院 rogue " + profile;
    p.subject_spki = key.public_key_der();
    p.serial = x509::generate_serial(rnd).value();
    p.not_before = now();
    p.issuer = &info;
    auto issued = x509::issue_certificate(p, rt_->config().build, *ca.signer, ca.cert.get());
    EXPECT_TRUE(issued) << issued.error().to_string();
    return {key.signer(std::nullopt, crypto::kSm2DefaultId).value(),
            x509::Certificate::parse(issued->der).value()};
  }

  struct Staff {
    Serial serial;
    x509::CertificatePtr cert;
    std::unique_ptr<crypto::Signer> signer;
  };
  // A staff certificate of the home from an openssl-made CSR ("rsa" or "sm2").
  Staff issue_staff(const std::string& alg) {
    const auto made = openssl_csr(alg, "/C=CN/O=示例医院/OU=心内科/CN=李四");
    ca::IssueRequest req;
    req.requester = hpki::test::admin();
    req.profile = "staff-sign";
    req.csr = made.csr;
    req.subject.data.organization = "示例医院";
    req.subject.data.department = "心内科";
    req.subject.data.common_name = "李四";
    req.subject.data.identifiers["id_number"] = "31010119900101124" + std::to_string(n_++ % 10);
    auto res = rt_->ca().issue(req);
    EXPECT_TRUE(res) << res.error().to_string();
    const Bytes pem = test::read_file(made.key_file);
    auto k = crypto::PrivateKey::from_pem(as_string(pem)).value();
    return {res->serial, x509::Certificate::parse(res->der).value(),
            k.signer(std::nullopt, crypto::kSm2DefaultId).value()};
  }

  int n_ = 0;
};

crypto::KeySpec leaf_spec(const std::string& fam) {
  return fam == "sm2" ? crypto::KeySpec{crypto::KeyType::kSm2, 0}
                      : crypto::KeySpec{crypto::KeyType::kRsa, 2048};
}

// An OCSP response about `cert` (issued by `issuer`) signed by `by`, delegate certificate
// included unless `by` is the issuer.
Bytes respond(const Holder& by, const x509::Certificate& issuer, const x509::Certificate& cert,
              x509::OcspCertStatus status, TimePoint t0) {
  x509::OcspResponseTemplate t;
  t.responder_spki = by.cert->spki_der();
  t.produced_at = t0;
  x509::OcspSingleResponse r;
  r.id = x509::make_ocsp_cert_id(crypto::HashAlg::kSha1, issuer, cert.serial()).value();
  r.status = status;
  if (status == x509::OcspCertStatus::kRevoked) {
    r.revocation_time = t0 - minutes(1);
    r.reason = x509::RevocationReason::kKeyCompromise;
  }
  r.this_update = t0;
  r.next_update = t0 + hours(24);
  t.responses = {r};
  if (by.cert->der() != issuer.der()) t.certs = {by.cert->der()};
  return x509::build_ocsp_response(t, *by.signer).value();
}

TEST_P(StoreDesignationTest, RecordsOfTheCasTableAreTheDesignation) {
  const StoreDesignationSource src(rt_->store());
  for (const std::string fam : {"rsa", "sm2"}) {
    SCOPED_TRACE(fam);
    const auto issuing = holder(fam + "-issuing").cert;
    const auto root = holder(fam + "-root").cert;
    const auto ocsp = holder(fam + "-ocsp").cert;
    const auto tsa = holder(fam + "-tsa").cert;
    EXPECT_EQ(src.designation(TrustService::kOcspSigning, *ocsp, *issuing).value(),
              Designation::kDesignated);
    EXPECT_EQ(src.designation(TrustService::kTimeStamping, *tsa, *issuing).value(),
              Designation::kDesignated);
    // The responder is no TSA and the TSA no responder.
    EXPECT_EQ(src.designation(TrustService::kTimeStamping, *ocsp, *issuing).value(),
              Designation::kNotDesignated);
    EXPECT_EQ(src.designation(TrustService::kOcspSigning, *tsa, *issuing).value(),
              Designation::kNotDesignated);
    // Same profiles, same CA, but not records of the cas table.
    const auto rogue_ocsp = issue_outside(fam + "-issuing", "ocsp-responder", leaf_spec(fam));
    const auto rogue_tsa = issue_outside(fam + "-issuing", "tsa", leaf_spec(fam));
    EXPECT_EQ(src.designation(TrustService::kOcspSigning, *rogue_ocsp.cert, *issuing).value(),
              Designation::kNotDesignated);
    EXPECT_EQ(src.designation(TrustService::kTimeStamping, *rogue_tsa.cert, *issuing).value(),
              Designation::kNotDesignated);
    // The root designated no responder and no TSA of its own.
    EXPECT_EQ(src.designation(TrustService::kOcspSigning, *ocsp, *root).value(),
              Designation::kNotDesignated);
    // A CA hpki does not run: unknown, the RFC rules apply.
    auto foreign = test::run(
        "openssl req -x509 -nodes -newkey ec -pkeyopt "
        "ec_paramgen_curve:P-256 -keyout " +
        dir_.file("f.key") + " -out " + dir_.file("f.pem") +
        " -days 2 -subj '/O=Other/CN=Other CA'");
    ASSERT_EQ(foreign.exit_code, 0) << foreign.output;
    auto other = x509::Certificate::parse_any(test::read_file(dir_.file("f.pem"))).value();
    EXPECT_EQ(src.designation(TrustService::kOcspSigning, *rogue_ocsp.cert, *other).value(),
              Designation::kUnknownIssuer);
  }
}

// The attack of issue 16 on OCSP, for RSA and SM2 (hpki's OCSP encoder: SM2 signed with the
// GM/T 0009 ID, which `openssl ocsp` cannot do): a delegate with id-kp-OCSPSigning and
// id-pkix-ocsp-nocheck issued by the home's issuing CA, not designated by hpki, answers "good"
// for a certificate revoked for keyCompromise. RFC 6960 alone accepts it; with the store's
// designation OcspRevocationSource and `hpki verify cert --ocsp` with the home refuse it
// (ocsp_responder_not_designated), while the designated responder's answers are used.
TEST_P(StoreDesignationTest, UndesignatedResponderRefused) {
  const char* bin = std::getenv("HPKI_BIN");
  ASSERT_NE(bin, nullptr);
  const StoreDesignationSource designation(rt_->store());
  for (const std::string fam : {"rsa", "sm2"}) {
    SCOPED_TRACE(fam);
    const Holder root = holder(fam + "-root");
    const Holder issuing = holder(fam + "-issuing");
    const Holder responder = holder(fam + "-ocsp");
    const Holder rogue = issue_outside(fam + "-issuing", "ocsp-responder", leaf_spec(fam));
    ASSERT_NE(rogue.cert->find_extension(der::oids::kOcspNoCheck), nullptr);
    const Staff victim = issue_staff(fam);
    const Staff fine = issue_staff(fam);
    ASSERT_TRUE(rt_->ca().revoke(victim.serial, x509::RevocationReason::kKeyCompromise,
                                 std::nullopt, hpki::test::admin()));
    const TimePoint t0 = now();
    const Bytes forged =
        respond(rogue, *issuing.cert, *victim.cert, x509::OcspCertStatus::kGood, t0);
    const Bytes honest =
        respond(responder, *issuing.cert, *victim.cert, x509::OcspCertStatus::kRevoked, t0);
    const Bytes ca_status =
        respond(root, *root.cert, *issuing.cert, x509::OcspCertStatus::kGood, t0);

    auto basic = [](const Bytes& der) { return x509::parse_ocsp_response(der).value().basic; };
    x509::RevocationQuery q{*victim.cert,          *issuing.cert,          t0 + seconds(1),
                            crypto::kSm2DefaultId, crypto::VerifyPolicy{}, {}};
    EXPECT_EQ(x509::OcspRevocationSource({basic(forged)}).check(q).status,
              RevocationStatus::kGood);  // RFC 6960 alone
    auto a = x509::OcspRevocationSource({basic(forged)},
                                        x509::OcspSourceOptions{.designation = &designation})
                 .check(q);
    EXPECT_EQ(a.status, RevocationStatus::kUnknown) << a.diag << ": " << a.detail;
    EXPECT_EQ(a.diag, x509::diag::kOcspResponderNotDesignated) << a.detail;
    a = x509::OcspRevocationSource({basic(honest)},
                                   x509::OcspSourceOptions{.designation = &designation})
            .check(q);
    EXPECT_EQ(a.status, RevocationStatus::kRevoked) << a.diag << ": " << a.detail;

    // The CLI: with the home the forged answer is refused; without a home RFC 6960 applies.
    auto put = [&](const std::string& name, BytesView data) {
      test::write_file(dir_.file(fam + "-" + name), data);
      return dir_.file(fam + "-" + name);
    };
    const std::string args =
        " verify cert " +
        put("victim.pem", as_bytes(pem_encode("CERTIFICATE", victim.cert->der()))) +
        " --intermediate " +
        put("issuing.pem", as_bytes(pem_encode("CERTIFICATE", issuing.cert->der()))) + " --trust " +
        put("root.pem", as_bytes(pem_encode("CERTIFICATE", root.cert->der()))) + " --at " +
        format_rfc3339(t0 + seconds(1)) + " --ocsp " + put("ca.der", ca_status);
    const std::string home = " --home " + (dir_.path() / "home").string();
    const std::string no_home = " --home " + dir_.file("no-home");
    auto r = test::run(std::string(bin) + no_home + args + " --ocsp " + put("forged.der", forged));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    r = test::run(std::string(bin) + home + args + " --ocsp " + dir_.file(fam + "-forged.der"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("ocsp_responder_not_designated"), std::string::npos) << r.output;
    r = test::run(std::string(bin) + home + args + " --ocsp " + put("honest.der", honest));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("ocsp_revoked"), std::string::npos) << r.output;
    // The designated responder's "good" for a certificate that is good: valid with the home.
    const Bytes good =
        respond(responder, *issuing.cert, *fine.cert, x509::OcspCertStatus::kGood, t0);
    r = test::run(std::string(bin) + home + " verify cert " +
                  put("fine.pem", as_bytes(pem_encode("CERTIFICATE", fine.cert->der()))) +
                  " --intermediate " + dir_.file(fam + "-issuing.pem") + " --trust " +
                  dir_.file(fam + "-root.pem") + " --at " + format_rfc3339(t0 + seconds(1)) +
                  " --ocsp " + dir_.file(fam + "-ca.der") + " --ocsp " + put("good.der", good));
    EXPECT_EQ(r.exit_code, 0) << r.output;
  }
}

// The attack of issue 16 on timestamps, for RSA and SM2: the signer's certificate is revoked
// for keyCompromise, then the signer signs and adds a token dated before the revocation from a
// TSA certificate of the home's issuing CA that hpki did not designate. With the store as the
// revocation source, RFC 3161 alone makes the signature valid (revoked only "after" signing);
// with the store's designation the timestamp is not accepted and the signature is revoked. The
// home's own (designated) TSA key is still believed.
TEST_P(StoreDesignationTest, BackdatedTokenFromUndesignatedTsa) {
  const StoreDesignationSource designation(rt_->store());
  const StoreRevocationSource revocation(rt_->store());
  for (const std::string fam : {"rsa", "sm2"}) {
    SCOPED_TRACE(fam);
    const Holder root = holder(fam + "-root");
    const Holder issuing = holder(fam + "-issuing");
    const Holder tsa = holder(fam + "-tsa");
    const Holder rogue = issue_outside(fam + "-issuing", "tsa", leaf_spec(fam));
    const Staff signer = issue_staff(fam);
    std::this_thread::sleep_for(seconds(2));  // a time after issuance and before revocation
    auto rv = rt_->ca().revoke(signer.serial, x509::RevocationReason::kKeyCompromise, std::nullopt,
                               hpki::test::admin());
    ASSERT_TRUE(rv) << rv.error().to_string();
    ASSERT_TRUE(rv->revoked_at);
    const TimePoint backdated = *rv->revoked_at - seconds(1);

    auto stamp = [&](const Holder& by) -> sign::TimestampFn {
      return [&by, backdated](crypto::HashAlg h, BytesView message) -> Result<Bytes> {
        x509::tsp::TstInfo t;
        t.policy = der::Oid::from_string("1.3.6.1.4.1.59999.3161.1").value();
        t.message_imprint = {x509::cms::hash_oid(h), {}, HPKI_TRY(crypto::digest(h, message))};
        t.serial = {0x07};
        t.gen_time = backdated;
        return x509::cms::sign(HPKI_TRY(x509::tsp::encode_tst_info(t)), *by.cert, *by.signer,
                               {.content_type = der::oids::kCtTstInfo});
      };
    };
    const Bytes data = to_bytes(std::string_view("处方 prescription 0042"));
    const sign::SigningIdentity id{signer.signer.get(), signer.cert, {issuing.cert}};
    auto forged = sign::sign(
        data, id,
        {.mode = sign::Mode::kCmsAttached, .signing_time = now(), .timestamp = stamp(rogue)});
    ASSERT_TRUE(forged) << forged.error().to_string();
    auto honest = sign::sign(
        data, id,
        {.mode = sign::Mode::kCmsAttached, .signing_time = now(), .timestamp = stamp(tsa)});
    ASSERT_TRUE(honest) << honest.error().to_string();

    sign::TrustSettings t;
    t.anchors = {root.cert};
    t.intermediates = {issuing.cert};
    t.revocation_sources = {&revocation};
    t.now = now();
    auto check = [&](const Bytes& sig) {
      sign::VerifyRequest req;
      req.signature = sig;
      return sign::verify(req, t);
    };
    auto r = check(forged->output);
    EXPECT_TRUE(r.valid) << sign::verify_report_text(r);  // RFC 3161 alone: the attack works
    t.designation = &designation;
    r = check(forged->output);
    EXPECT_FALSE(r.valid) << sign::verify_report_text(r);
    ASSERT_TRUE(r.timestamp);
    EXPECT_FALSE(r.timestamp->valid);
    EXPECT_EQ(r.timestamp->status, x509::tsp::diag::kTsaNotDesignated)
        << sign::verify_report_text(r);
    EXPECT_EQ(r.time_source, "now");
    EXPECT_EQ(r.status, x509::diag::kRevoked) << sign::verify_report_text(r);
    // The home's own TSA with the same genTime: believed (revoked after the signing time).
    r = check(honest->output);
    EXPECT_TRUE(r.valid) << sign::verify_report_text(r);
    EXPECT_EQ(r.time_source, "timestamp");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreDesignationTest, test::backends(), test::backend_name);

}  // namespace
}  // namespace hpki::revocation
