// BoringSSL's CRL checking test set (tests/vectors/crl-boringssl, see ORIGIN.md): every CRL is
// run through hpki's parser, signature verification and RFC 5280 6.3.3 checks (check_crl_for)
// and must give the status in crl_expected.tsv. A CRL that does not parse counts as UNKNOWN
// (it must not be used).
//
// The set's CA keys are RSA-1024, which hpki's crypto layer refuses (key floor 2048 bits). The
// cases are therefore run with a verifier on hpki's OpenSSL primitive without that policy
// (same PKCS#1 v1.5 / SHA-256 check, see legacy_rsa_verifier), and the default verifier is
// shown to refuse them (docs/conformance.md, "CRL test set (BoringSSL)").
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/pem.h"
#include "der/oids.h"
#include "der/reader.h"
#include "ossl/pkey.h"
#include "tests/support/test_util.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/crl_check.h"

namespace hpki::x509 {
namespace {

const std::filesystem::path kDir =
    std::filesystem::path(HPKI_SOURCE_DIR) / "tests/vectors/crl-boringssl";

struct Case {
  std::string file;
  std::string expected;  // GOOD, REVOKED, UNKNOWN
  TimePoint at;
  std::chrono::seconds max_age;
};

std::vector<Case> load_cases() {
  std::ifstream in(kDir / "crl_expected.tsv");
  std::vector<Case> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    Case c;
    std::string time, age;
    std::getline(fields, c.file, '\t');
    std::getline(fields, c.expected, '\t');
    std::getline(fields, time, '\t');
    std::getline(fields, age, '\t');
    // "2017-03-09T00:00:00Z" -> GeneralizedTime content "20170309000000Z".
    std::string gt = time.substr(0, 4) + time.substr(5, 2) + time.substr(8, 2) +
                     time.substr(11, 2) + time.substr(14, 2) + time.substr(17, 2) + "Z";
    c.at = TimePoint(der::decode_generalized_time(as_bytes(gt)).value());
    c.max_age = std::chrono::seconds(std::stoll(age));
    out.push_back(std::move(c));
  }
  return out;
}

// RFC 5280 6.3.3 (g) for the test set's RSA-1024 CA keys: the same checks as
// Crl::verify_signature (algorithms equal, supported) over the TBSCertList bytes, but through
// ossl::digest_verify directly, i.e. without crypto's 2048-bit floor.
Result<void> legacy_rsa_verifier(const Crl& crl, const Certificate& issuer) {
  if (crl.signature_algorithm().der != crl.tbs_signature_algorithm().der)
    return fail(ErrorCode::kBadCrl, "signatureAlgorithm differs from tbsCertList.signature");
  auto alg = HPKI_TRY(signature_alg_from(crl.signature_algorithm()));
  if (alg != crypto::SignatureAlg::kRsaPkcs1Sha256)
    return fail(ErrorCode::kUnsupportedAlgorithm, "test verifier: sha256WithRSAEncryption only");
  auto key = HPKI_TRY(ossl::pkey_from_spki(issuer.spki_der()));
  ossl::SignOptions o;
  o.digest = "SHA256";
  return ossl::digest_verify(key.get(), o, crl.tbs_der(), crl.signature());
}

struct Outcome {
  std::string status;
  std::string why;
};

Outcome run_case(const Case& c, bool default_verifier = false) {
  const Bytes file = test::read_file((kDir / c.file).string());
  auto blocks = pem_decode_all(as_string(file));
  if (!blocks) return {"ERROR", "PEM: " + blocks.error().to_string()};
  const Bytes* crl_der = nullptr;
  CertificatePtr subject, ca, ca2;
  for (const auto& b : *blocks) {
    if (b.label == "CRL") {
      crl_der = &b.data;
    } else if (b.label == "CERTIFICATE" || b.label == "CA CERTIFICATE" ||
               b.label == "CA CERTIFICATE 2") {
      auto cert = Certificate::parse(b.data);
      if (!cert) return {"ERROR", b.label + ": " + cert.error().to_string()};
      (b.label == "CERTIFICATE" ? subject : b.label == "CA CERTIFICATE" ? ca : ca2) = *cert;
    }
  }
  if (crl_der == nullptr || !subject || !ca) return {"ERROR", "missing PEM block"};

  auto crl = Crl::parse(*crl_der);
  if (!crl) return {"UNKNOWN", "parse: " + crl.error().to_string()};

  // As BoringSSL's test: the certificate's single distribution point, else none.
  std::optional<DistributionPoint> dp;
  if (const auto* e = subject->find_extension(der::oids::kCrlDistributionPoints)) {
    auto dps = parse_crl_distribution_points(e->value);
    if (!dps || dps->size() != 1) return {"ERROR", "cRLDistributionPoints"};
    dp = dps->front();
  }
  CrlCheckOptions opt;
  opt.at = c.at;
  opt.max_age = c.max_age;
  opt.distribution_point = dp ? &*dp : nullptr;
  if (!default_verifier) opt.verify_signature = legacy_rsa_verifier;
  std::vector<const Certificate*> issuers{ca.get()};
  if (ca2) issuers.push_back(ca2.get());
  auto r = check_crl_for(**crl, issuers, *subject, opt);
  std::string status = r.status == CrlStatus::kGood      ? "GOOD"
                       : r.status == CrlStatus::kRevoked ? "REVOKED"
                                                         : "UNKNOWN";
  return {status, std::string(r.diag) + ": " + r.detail};
}

TEST(CrlBoringSsl, EveryCaseGivesTheExpectedStatus) {
  const auto cases = load_cases();
  ASSERT_EQ(cases.size(), 66u);
  int passed = 0;
  int parsed = 0;
  for (const auto& c : cases) {
    const Outcome o = run_case(c);
    if (o.why.rfind("parse:", 0) != 0) ++parsed;
    EXPECT_EQ(o.status, c.expected) << c.file << " -> " << o.why;
    if (o.status == c.expected)
      ++passed;
    else
      std::printf("  FAIL %s: expected %s, got %s (%s)\n", c.file.c_str(), c.expected.c_str(),
                  o.status.c_str(), o.why.c_str());
  }
  std::printf(
      "BoringSSL CRL test set: %d/%zu cases pass (%d CRLs parsed, the rest rejected "
      "by the parser)\n",
      passed, cases.size(), parsed);
  EXPECT_EQ(passed, 66);
}

// With crypto's key policy (the default verifier), no CRL signed by an RSA-1024 key is usable:
// every case that reaches the signature check is UNKNOWN because of the key size.
TEST(CrlBoringSsl, DefaultVerifierRefusesTheRsa1024Keys) {
  int refused = 0;
  for (const auto& c : load_cases()) {
    const Outcome o = run_case(c, /*default_verifier=*/true);
    EXPECT_NE(o.status, "GOOD") << c.file;
    EXPECT_NE(o.status, "REVOKED") << c.file;
    if (o.why.find("RSA key of 1024 bits") != std::string::npos) ++refused;
  }
  EXPECT_GE(refused, 21);  // at least every GOOD and REVOKED case
}

// The UNKNOWN outcomes must come from the check each case is about, not from an unrelated
// failure (e.g. every bad_* case failing on a signature would hide missing checks).
TEST(CrlBoringSsl, UnknownCasesFailForTheirOwnReason) {
  const std::vector<std::pair<std::string, std::string>> expected_reason = {
      {"bad_crldp_has_crlissuer.pem", std::string(diag::kCrlIndirectUnsupported)},
      {"bad_fake_critical_extension.pem", std::string(diag::kCrlUnknownCriticalExtension)},
      {"bad_fake_critical_crlentryextension.pem",
       std::string(diag::kCrlUnknownCriticalEntryExtension)},
      {"bad_signature.pem", std::string(diag::kCrlSignatureInvalid)},
      {"bad_thisupdate_in_future.pem", std::string(diag::kCrlNotYetValid)},
      {"bad_thisupdate_too_old.pem", std::string(diag::kCrlTooOld)},
      {"bad_nextupdate_too_old.pem", std::string(diag::kCrlExpired)},
      {"bad_wrong_issuer.pem", std::string(diag::kCrlWrongIssuer)},
      {"bad_key_rollover_signature.pem", std::string(diag::kCrlSignatureInvalid)},
      {"bad_idp_contains_wrong_uri.pem", std::string(diag::kCrlIdpNameMismatch)},
      {"bad_idp_indirectcrl.pem", std::string(diag::kCrlIndirectUnsupported)},
      {"bad_idp_onlycontainsusercerts.pem", std::string(diag::kCrlIdpScopeMismatch)},
      {"bad_idp_onlycontainscacerts.pem", std::string(diag::kCrlIdpScopeMismatch)},
      {"bad_idp_onlycontainscacerts_no_basic_constraints.pem",
       std::string(diag::kCrlIdpScopeMismatch)},
      {"bad_idp_uri_and_onlycontainsusercerts.pem", std::string(diag::kCrlIdpScopeMismatch)},
      {"bad_idp_uri_and_onlycontainscacerts.pem", std::string(diag::kCrlIdpScopeMismatch)},
      {"invalid_mismatched_signature_algorithm.pem",
       std::string(diag::kCrlSignatureAlgorithmMismatch)},
      {"invalid_issuer_keyusage_no_crlsign.pem", std::string(diag::kCrlIssuerNoCrlSign)},
      {"invalid_key_rollover_issuer_keyusage_no_crlsign.pem",
       std::string(diag::kCrlIssuerNoCrlSign)},
      {"invalid_idp_onlycontainsusercerts_v1_leaf.pem", std::string(diag::kCrlIdpScopeMismatch)},
      {"invalid_v1_with_extension.pem", "parse:"},
      {"invalid_v1_with_crlentryextension.pem", "parse:"},
      {"invalid_v1_explicit.pem", "parse:"},
      {"invalid_v3.pem", "parse:"},
      {"invalid_revoked_empty_sequence.pem", "parse:"},
      {"invalid_idp_empty_sequence.pem", "parse:"},
      {"invalid_idp_onlycontains_user_and_ca_certs.pem", "parse:"},
      {"invalid_idp_dpname_choice_extra_data.pem", "parse:"},
      {"invalid_garbage_after_signaturevalue.pem", "parse:"},
      {"invalid_garbage_crlentry.pem", "parse:"},
  };
  for (const auto& c : load_cases()) {
    for (const auto& [file, reason] : expected_reason) {
      if (file != c.file) continue;
      const Outcome o = run_case(c);
      EXPECT_EQ(o.why.rfind(reason, 0), 0u) << file << " -> " << o.why;
    }
  }
}

}  // namespace
}  // namespace hpki::x509
