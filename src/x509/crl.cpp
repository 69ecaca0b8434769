#include "x509/crl.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>

#include "core/pem.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/detail/asn1_common.h"
#include "x509/lint.h"

namespace hpki::x509 {
namespace {

Error bad(std::string_view what, const Error& e) {
  return Error{ErrorCode::kBadCrl, std::string(what) + ": " + e.detail()};
}

#define HPKI_CRL_TRY(what, expr)                                   \
  __extension__({                                                  \
    auto hpki_crl_r_ = (expr);                                     \
    if (!hpki_crl_r_) return fail(bad(what, hpki_crl_r_.error())); \
    std::move(hpki_crl_r_).value();                                \
  })

struct ReasonNameEntry {
  RevocationReason reason;
  std::string_view name;  // RFC 5280 5.3.1 ASN.1 identifiers
};
constexpr std::array<ReasonNameEntry, 10> kReasonNames{{
    {RevocationReason::kUnspecified, "unspecified"},
    {RevocationReason::kKeyCompromise, "keyCompromise"},
    {RevocationReason::kCaCompromise, "cACompromise"},
    {RevocationReason::kAffiliationChanged, "affiliationChanged"},
    {RevocationReason::kSuperseded, "superseded"},
    {RevocationReason::kCessationOfOperation, "cessationOfOperation"},
    {RevocationReason::kCertificateHold, "certificateHold"},
    {RevocationReason::kRemoveFromCrl, "removeFromCRL"},
    {RevocationReason::kPrivilegeWithdrawn, "privilegeWithdrawn"},
    {RevocationReason::kAaCompromise, "aACompromise"},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Writes one Extension ::= SEQUENCE { extnID, critical DEFAULT FALSE, extnValue OCTET STRING }.
void write_extension(der::Writer& w, const der::Oid& oid, bool critical, BytesView value) {
  w.add_sequence([&](der::Writer& e) {
    e.add_oid(oid);
    if (critical) e.add_boolean(true);  // X.690 11.5: FALSE (the DEFAULT) is not encoded
    e.add_octet_string(value);
  });
}

// RFC 5280 5.3: the entry extensions hpki decodes into RevokedEntry fields.
Result<void> read_entry_extensions(der::Reader& r, RevokedEntry& entry) {
  auto exts = HPKI_TRY(read_extensions(r));
  for (std::size_t i = 0; i < exts.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      // RFC 5280 4.2 / 5.3: an extension appears at most once.
      if (exts[j].oid == exts[i].oid)
        return fail(ErrorCode::kMalformed, "extension " + exts[i].oid.to_string() + " repeated");
    }
  }
  for (auto& e : exts) {
    if (e.oid == der::oids::kReasonCode) {
      entry.reason = static_cast<RevocationReason>(HPKI_TRY(parse_reason_code(e.value)));
    } else if (e.oid == der::oids::kInvalidityDate) {
      entry.invalidity_date = HPKI_TRY(parse_invalidity_date(e.value));
    } else {
      entry.extensions.push_back(std::move(e));
    }
  }
  return {};
}

// RFC 5280 5.2: the CRL extensions whose value the parser checks (crl_number(), is_delta()
// and the CRL checks rely on them).
Result<void> check_crl_extensions(const std::vector<Extension>& exts) {
  for (std::size_t i = 0; i < exts.size(); ++i) {
    const auto& e = exts[i];
    for (std::size_t j = 0; j < i; ++j) {
      if (exts[j].oid == e.oid)
        return fail(ErrorCode::kMalformed, "extension " + e.oid.to_string() + " repeated");
    }
    if (e.oid == der::oids::kCrlNumber || e.oid == der::oids::kDeltaCrlIndicator) {
      HPKI_TRY(parse_crl_number(e.value));
    } else if (e.oid == der::oids::kIssuingDistributionPoint) {
      HPKI_TRY(parse_issuing_distribution_point(e.value));
    }
  }
  return {};
}

}  // namespace

std::string_view reason_name(RevocationReason r) {
  for (const auto& e : kReasonNames) {
    if (e.reason == r) return e.name;
  }
  return "unknown";
}

Result<RevocationReason> parse_reason(std::string_view name) {
  for (const auto& e : kReasonNames) {
    if (iequals(e.name, name)) return e.reason;
  }
  int n = -1;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), n);
  if (ec == std::errc() && end == name.data() + name.size()) {
    for (const auto& e : kReasonNames) {
      if (static_cast<int>(e.reason) == n) return e.reason;
    }
  }
  return fail(ErrorCode::kInvalidArgument,
              "unknown revocation reason \"" + std::string(name) +
                  "\" (expected a RFC 5280 5.3.1 name such as keyCompromise, or 0-10 except 7)");
}

// RFC 5280 5.1:
// CertificateList ::= SEQUENCE { tbsCertList TBSCertList, signatureAlgorithm
//   AlgorithmIdentifier, signatureValue BIT STRING }
// TBSCertList ::= SEQUENCE { version Version OPTIONAL (if present, MUST be v2), signature
//   AlgorithmIdentifier, issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
//   revokedCertificates SEQUENCE OF SEQUENCE { userCertificate CertificateSerialNumber,
//   revocationDate Time, crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
//   crlExtensions [0] EXPLICIT Extensions OPTIONAL }
Result<std::shared_ptr<const Crl>> Crl::parse(BytesView input) {
  if (input.size() > kMaxCrlSize) {
    return fail(ErrorCode::kTooLarge, "CRL of " + std::to_string(input.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxCrlSize));
  }
  auto crl = std::shared_ptr<Crl>(new Crl());
  crl->der_.assign(input.begin(), input.end());
  der::Reader top(crl->der_);
  auto outer = HPKI_CRL_TRY("CertificateList", top.read_sequence());
  HPKI_CRL_TRY("CertificateList", top.expect_end());
  auto tbs_el = HPKI_CRL_TRY("tbsCertList", outer.read_element(der::kSequence));
  crl->tbs_ = tbs_el.encoded;
  crl->sig_alg_ = HPKI_CRL_TRY("signatureAlgorithm", read_algorithm_identifier(outer));
  auto sig = HPKI_CRL_TRY("signatureValue", outer.read_bit_string());
  if (sig.unused_bits != 0) return fail(ErrorCode::kBadCrl, "signatureValue: unused bits");
  crl->signature_.assign(sig.bytes.begin(), sig.bytes.end());
  HPKI_CRL_TRY("CertificateList", outer.expect_end());

  der::Reader tbs(tbs_el.value, tbs_el.offset, 1);
  // RFC 5280 5.1.2.1: version absent for v1; when present it MUST be v2 (INTEGER 1).
  if (tbs.peek_is(der::kInteger)) {
    auto n = HPKI_CRL_TRY("version", tbs.read_int64());
    if (n != 1) {
      return fail(ErrorCode::kBadCrl, "version: " + std::to_string(n) +
                                          " encoded, but when present it must be 1 (v2)" +
                                          (n == 0 ? "; v1 CRLs omit the field" : ""));
    }
    crl->version_ = 2;
  }
  crl->tbs_sig_alg_ = HPKI_CRL_TRY("signature", read_algorithm_identifier(tbs));
  auto issuer = HPKI_CRL_TRY("issuer", tbs.read_element(der::kSequence));
  crl->issuer_ = HPKI_CRL_TRY("issuer", parse_name(issuer.encoded));
  TimeEncoding enc{};
  crl->this_update_ = HPKI_CRL_TRY("thisUpdate", read_time(tbs, enc));
  if (tbs.peek_is(der::kUtcTime) || tbs.peek_is(der::kGeneralizedTime))
    crl->next_update_ = HPKI_CRL_TRY("nextUpdate", read_time(tbs, enc));
  if (tbs.peek_is(der::kSequence)) {
    auto list = HPKI_CRL_TRY("revokedCertificates", tbs.read_sequence());
    // RFC 5280 5.1.2.6: without revoked certificates the field is absent, never empty.
    if (list.at_end())
      return fail(ErrorCode::kBadCrl,
                  "revokedCertificates: empty SEQUENCE (RFC 5280 5.1.2.6: the list is absent "
                  "when nothing is revoked)");
    // A typical entry (16-octet serial, UTCTime, reasonCode) takes ~50 bytes; reserving for
    // that avoids most regrowth without over-allocating for hostile input.
    crl->revoked_.reserve(list.remaining() / 48);
    std::size_t index = 0;
    while (!list.at_end()) {
      // Built only on the error path (the macro evaluates it there).
      auto where = [index](std::string_view field = {}) {
        return "revokedCertificates[" + std::to_string(index) + "]" + std::string(field);
      };
      auto entry_r = HPKI_CRL_TRY(where(), list.read_sequence());
      RevokedEntry entry;
      auto serial = HPKI_CRL_TRY(where(".userCertificate"), entry_r.read_integer());
      entry.serial.assign(serial.begin(), serial.end());
      entry.revocation_date = HPKI_CRL_TRY(where(".revocationDate"), read_time(entry_r, enc));
      if (!entry_r.at_end()) {
        // RFC 5280 5.1.2.1: extensions require v2.
        if (crl->version_ != 2)
          return fail(ErrorCode::kBadCrl,
                      where(".crlEntryExtensions") + ": extensions in a v1 CRL (RFC 5280 5.1.2.1)");
        HPKI_CRL_TRY(where(".crlEntryExtensions"), read_entry_extensions(entry_r, entry));
      }
      HPKI_CRL_TRY(where(), entry_r.expect_end());
      crl->revoked_.push_back(std::move(entry));
      ++index;
    }
  }
  if (auto ext = HPKI_CRL_TRY("crlExtensions", tbs.read_optional_explicit(0))) {
    if (crl->version_ != 2)
      return fail(ErrorCode::kBadCrl, "crlExtensions: extensions in a v1 CRL (RFC 5280 5.1.2.1)");
    crl->extensions_ = HPKI_CRL_TRY("crlExtensions", read_extensions(*ext));
    HPKI_CRL_TRY("crlExtensions", ext->expect_end());
    HPKI_CRL_TRY("crlExtensions", check_crl_extensions(crl->extensions_));
  }
  HPKI_CRL_TRY("tbsCertList", tbs.expect_end());
  return std::shared_ptr<const Crl>(std::move(crl));
}

Result<std::shared_ptr<const Crl>> Crl::parse_any(BytesView data) {
  if (looks_like_pem(data)) {
    auto der = pem_decode(as_string(data), "X509 CRL");
    if (!der) return fail(der.error().with_context("X509 CRL PEM"));
    return parse(*der);
  }
  return parse(data);
}

const Extension* Crl::find_extension(const der::Oid& oid) const {
  for (const auto& e : extensions_) {
    if (e.oid == oid) return &e;
  }
  return nullptr;
}

std::optional<Bytes> Crl::crl_number() const {
  const auto* e = find_extension(der::oids::kCrlNumber);
  if (e == nullptr) return std::nullopt;
  auto n = parse_crl_number(e->value);  // checked by parse()
  if (!n) return std::nullopt;
  return std::move(*n);
}

bool Crl::is_delta() const { return find_extension(der::oids::kDeltaCrlIndicator) != nullptr; }

const RevokedEntry* Crl::find(BytesView serial) const {
  for (const auto& e : revoked_) {
    if (std::ranges::equal(e.serial, serial)) return &e;
  }
  return nullptr;
}

Result<void> Crl::verify_signature(BytesView issuer_spki, std::string_view sm2_id) const {
  // RFC 5280 5.1.1.2: signatureAlgorithm MUST equal tbsCertList.signature.
  if (sig_alg_.der != tbs_sig_alg_.der) {
    return fail(ErrorCode::kBadCrl, "signatureAlgorithm differs from tbsCertList.signature");
  }
  auto alg = HPKI_TRY(signature_alg_from(sig_alg_));
  // Over the TBSCertList bytes as received; SM2 with `sm2_id` (OpenSSL 3.0's X509_CRL_verify
  // would use the empty ID).
  return crypto::verify_signature(issuer_spki, alg, tbs_, signature_, sm2_id);
}

// RFC 5280 5: builds a v2 TBSCertList, lints it, signs it through `signer`.
Result<Bytes> build_crl(const CrlTemplate& t, const crypto::Signer& signer) {
  if (t.issuer.der.empty())
    return fail(ErrorCode::kInvalidArgument, "CRL issuer has no DER encoding");
  const auto alg = signer.algorithm();
  const Bytes alg_der = algorithm_identifier_der(alg);
  auto secs = [](TimePoint tp) { return std::chrono::floor<std::chrono::seconds>(tp); };

  der::Writer w;
  // An entry with a reason is ~40 bytes, with an invalidity date ~65.
  w.reserve(1024 + t.revoked.size() * 48);
  HPKI_TRY(w.add_sequence([&](der::Writer& tbs) -> Result<void> {
    tbs.add_integer(1);  // RFC 5280 5.1.2.1: v2
    HPKI_TRY(tbs.add_raw(alg_der));
    HPKI_TRY(tbs.add_raw(t.issuer.der));
    // RFC 5280 5.1.2.4 / 5.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    HPKI_TRY(tbs.add_time(secs(t.this_update)));
    HPKI_TRY(tbs.add_time(secs(t.next_update)));
    if (!t.revoked.empty()) {  // RFC 5280 5.1.2.6: absent, never an empty SEQUENCE
      HPKI_TRY(tbs.add_sequence([&](der::Writer& list) -> Result<void> {
        for (std::size_t i = 0; i < t.revoked.size(); ++i) {
          const RevokedEntry& e = t.revoked[i];
          auto r = list.add_sequence([&](der::Writer& entry) -> Result<void> {
            HPKI_TRY(entry.add_integer_bytes(e.serial));
            HPKI_TRY(entry.add_time(secs(e.revocation_date)));
            // RFC 5280 5.3.1: reasonCode unspecified SHOULD be absent, so it is omitted.
            const bool reason = e.reason.has_value() && *e.reason != RevocationReason::kUnspecified;
            if (!reason && !e.invalidity_date && e.extensions.empty()) return {};
            return entry.add_sequence([&](der::Writer& exts) -> Result<void> {
              if (reason) {
                auto v = HPKI_TRY(encode_reason_code(static_cast<int>(*e.reason)));
                write_extension(exts, der::oids::kReasonCode, false, v);
              }
              if (e.invalidity_date) {
                // RFC 5280 5.3.2: GeneralizedTime.
                auto v = HPKI_TRY(encode_invalidity_date(*e.invalidity_date));
                write_extension(exts, der::oids::kInvalidityDate, false, v);
              }
              for (const auto& x : e.extensions) {
                if (x.oid == der::oids::kReasonCode || x.oid == der::oids::kInvalidityDate)
                  return fail(ErrorCode::kInvalidArgument,
                              "reasonCode / invalidityDate go in the RevokedEntry fields, not in "
                              "extensions");
                write_extension(exts, x.oid, x.critical, x.value);
              }
              return {};
            });
          });
          if (!r) return fail(r.error().with_context("revoked entry " + std::to_string(i)));
        }
        return {};
      }));
    }
    return tbs.add_explicit(0, [&](der::Writer& x) -> Result<void> {
      return x.add_sequence([&](der::Writer& exts) -> Result<void> {
        // RFC 5280 5.2.1: authorityKeyIdentifier (keyIdentifier) MUST be included.
        if (!t.authority_key_id.empty()) {
          auto v = HPKI_TRY(encode_authority_key_identifier(t.authority_key_id));
          write_extension(exts, der::oids::kAuthorityKeyIdentifier, false, v);
        }
        // RFC 5280 5.2.3: cRLNumber, non-critical.
        auto number = HPKI_TRY(encode_crl_number(t.crl_number));
        write_extension(exts, der::oids::kCrlNumber, false, number);
        if (t.delta_base) {
          // RFC 5280 5.2.4: deltaCRLIndicator is critical.
          auto v = HPKI_TRY(encode_crl_number(*t.delta_base));
          write_extension(exts, der::oids::kDeltaCrlIndicator, true, v);
        }
        if (t.idp) {
          // RFC 5280 5.2.5: issuingDistributionPoint is critical.
          auto v = HPKI_TRY(encode_issuing_distribution_point(*t.idp));
          write_extension(exts, der::oids::kIssuingDistributionPoint, true, v);
        }
        if (!t.freshest_crl.empty()) {
          // RFC 5280 5.2.6: freshestCRL has the syntax of cRLDistributionPoints and MUST be
          // non-critical; it does not appear in delta CRLs.
          if (t.delta_base)
            return fail(ErrorCode::kInvalidArgument, "freshestCRL in a delta CRL (RFC 5280 5.2.6)");
          auto v = HPKI_TRY(encode_crl_distribution_points(t.freshest_crl));
          write_extension(exts, der::oids::kFreshestCrl, false, v);
        }
        return {};
      });
    });
  }));
  Bytes tbs = w.take();

  auto findings = HPKI_TRY(lint_tbs_crl(tbs));
  if (has_errors(findings)) {
    return fail(ErrorCode::kLintFailed,
                "CRL not signed, lint found errors:\n" + format_findings(findings));
  }
  Bytes sig = HPKI_TRY(signer.sign(tbs));

  der::Writer out;
  out.reserve(tbs.size() + alg_der.size() + sig.size() + 16);
  out.add_sequence([&](der::Writer& c) {
    (void)c.add_raw(tbs);
    (void)c.add_raw(alg_der);
    (void)c.add_bit_string(sig);
  });
  return out.take();
}

}  // namespace hpki::x509
