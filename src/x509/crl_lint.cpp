#include <set>

#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/crl.h"
#include "x509/diag.h"
#include "x509/lint.h"

namespace hpki::x509 {
namespace {
// Rule ids: x509/diag.h, namespace diag::crl_lint.
namespace rule_id = diag::crl_lint;

// Same helper as lint.cpp (kept local: findings are plain values).
struct Findings {
  std::vector<Finding> items;
  void error(std::string_view id, std::string_view source, std::string message) {
    items.push_back(
        Finding{std::string(id), Severity::kError, std::string(source), std::move(message)});
  }
  void warn(std::string_view id, std::string_view source, std::string message) {
    items.push_back(
        Finding{std::string(id), Severity::kWarning, std::string(source), std::move(message)});
  }
  std::vector<Finding> take() { return std::move(items); }
};
}  // namespace

std::vector<Finding> lint_crl(const Crl& crl) {
  Findings f;
  // RFC 5280 5.1.2.1: v2 is required when extensions are present (hpki always emits v2).
  if (crl.version() != 2) f.error(rule_id::kNotV2, "RFC 5280 5.1.2.1", "CRL is not version 2");
  if (crl.signature_algorithm().der != crl.tbs_signature_algorithm().der) {
    f.error(rule_id::kSignatureAlgorithmMismatch, "RFC 5280 5.1.1.2",
            "signatureAlgorithm differs from tbsCertList.signature");
  }
  if (crl.issuer().empty())
    f.error(rule_id::kIssuerEmpty, "RFC 5280 5.1.2.3", "issuer name is empty");
  // RFC 5280 5.1.2.5: conforming CAs MUST include nextUpdate.
  if (!crl.next_update()) {
    f.error(rule_id::kNextUpdateMissing, "RFC 5280 5.1.2.5", "nextUpdate is missing");
  } else if (*crl.next_update() <= crl.this_update()) {
    f.error(rule_id::kNextUpdateBeforeThisUpdate, "RFC 5280 5.1.2.5",
            "nextUpdate is not after thisUpdate");
  }
  // RFC 5280 5.2.3: conforming CAs MUST include the CRL number; 5.2.1 AKI MUST be included.
  if (!crl.find_extension(der::oids::kCrlNumber))
    f.error(rule_id::kNumberMissing, "RFC 5280 5.2.3", "cRLNumber is missing");
  if (auto n = crl.crl_number(); n && n->size() > 20)
    f.error(rule_id::kNumberTooLong, "RFC 5280 5.2.3", "cRLNumber longer than 20 octets");
  if (!crl.find_extension(der::oids::kAuthorityKeyIdentifier))
    f.error(rule_id::kAkiMissing, "RFC 5280 5.2.1", "authorityKeyIdentifier is missing");
  std::set<der::Oid> seen;
  for (const auto& e : crl.extensions()) {
    if (!seen.insert(e.oid).second)
      f.error(rule_id::kDuplicateExtension, "RFC 5280 5.2",
              "extension " + e.oid.to_string() + " repeated");
  }
  if (const auto* e = crl.find_extension(der::oids::kDeltaCrlIndicator); e && !e->critical) {
    f.error(rule_id::kDeltaNotCritical, "RFC 5280 5.2.4", "deltaCRLIndicator must be critical");
  }
  if (const auto* e = crl.find_extension(der::oids::kIssuingDistributionPoint); e && !e->critical) {
    f.error(rule_id::kIdpNotCritical, "RFC 5280 5.2.5",
            "issuingDistributionPoint must be critical");
  }
  std::set<Bytes> serials;
  for (const auto& entry : crl.revoked()) {
    if (!der::integer_is_positive(entry.serial))
      f.error(rule_id::kEntrySerialNotPositive, "RFC 5280 4.1.2.2",
              "revoked serial is not positive");
    if (!serials.insert(entry.serial).second)
      f.error(rule_id::kEntryDuplicate, "RFC 5280 5.1.2.6", "serial listed twice");
    // RFC 5280 5.3.1: reason code unspecified SHOULD be absent; removeFromCRL only in delta CRLs.
    if (entry.reason == RevocationReason::kUnspecified)
      f.warn(rule_id::kReasonUnspecified, "RFC 5280 5.3.1",
             "reasonCode unspecified should be omitted");
    if (entry.reason == RevocationReason::kRemoveFromCrl && !crl.is_delta()) {
      f.error(rule_id::kRemoveFromCrlInFullCrl, "RFC 5280 5.3.1",
              "removeFromCRL appears only in delta CRLs");
    }
  }
  return f.take();
}

Result<std::vector<Finding>> lint_tbs_crl(BytesView tbs_der) {
  der::Reader r(tbs_der);
  auto tbs = HPKI_TRY(r.read_sequence());
  HPKI_TRY(r.expect_end());
  if (tbs.peek_is(der::kInteger)) (void)tbs.read_tlv();
  auto alg = HPKI_TRY(tbs.read_tlv());
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& c) -> Result<void> {
    HPKI_TRY(c.add_raw(tbs_der));
    HPKI_TRY(c.add_raw(alg.encoded));
    return c.add_bit_string({});
  }));
  auto crl = Crl::parse(w.bytes());
  if (!crl)
    return fail(
        Error{ErrorCode::kLintFailed, "TBSCertList does not parse: " + crl.error().detail()});
  return lint_crl(**crl);
}

}  // namespace hpki::x509
