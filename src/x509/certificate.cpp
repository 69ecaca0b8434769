#include "x509/certificate.h"

#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/digest.h"
#include "crypto/signer.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/detail/asn1_common.h"
#include "x509/spki.h"

namespace hpki::x509 {
namespace {

Error bad(std::string_view what, const Error& e) {
  return Error{ErrorCode::kBadCertificate, std::string(what) + ": " + e.detail()};
}

#define HPKI_CERT_TRY(what, expr)                                    \
  __extension__({                                                    \
    auto hpki_cert_r_ = (expr);                                      \
    if (!hpki_cert_r_) return fail(bad(what, hpki_cert_r_.error())); \
    std::move(hpki_cert_r_).value();                                 \
  })

}  // namespace

Result<AlgorithmIdentifier> read_algorithm_identifier(der::Reader& r) {
  auto el = HPKI_TRY(r.read_element(der::kSequence));
  der::Reader seq(el.value, el.offset, r.depth() + 1);
  AlgorithmIdentifier a;
  a.oid = HPKI_TRY(seq.read_oid());
  if (!seq.at_end()) {
    auto params = HPKI_TRY(seq.read_tlv());
    a.parameters.assign(params.encoded.begin(), params.encoded.end());
  }
  HPKI_TRY(seq.expect_end());
  a.der.assign(el.encoded.begin(), el.encoded.end());
  return a;
}

Result<std::vector<Extension>> read_extensions(der::Reader& r) {
  // RFC 5280 4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension.
  auto seq = HPKI_TRY(r.read_sequence());
  std::vector<Extension> out;
  if (seq.at_end()) return fail(ErrorCode::kMalformed, "empty Extensions");
  while (!seq.at_end()) {
    auto ext = HPKI_TRY(seq.read_sequence());
    Extension e;
    e.oid = HPKI_TRY(ext.read_oid());
    if (ext.peek_is(der::kBoolean)) {
      e.critical = HPKI_TRY(ext.read_boolean());
      // X.690 11.5: a component equal to its DEFAULT value is not encoded.
      if (!e.critical) {
        return fail(ErrorCode::kMalformed,
                    "extension " + e.oid.to_string() +
                        " encodes critical FALSE (DER forbids DEFAULT values)");
      }
    }
    auto value = HPKI_TRY(ext.read_octet_string());
    e.value.assign(value.begin(), value.end());
    HPKI_TRY(ext.expect_end());
    out.push_back(std::move(e));
  }
  return out;
}

// GeneralizedTime reaches year 9999 (RFC 5280 4.1.2.5: 99991231235959Z = no expiry), while a
// system_clock time point (nanoseconds) ends in 2262: later times saturate to the maximum
// instead of overflowing, earlier than 1678 to the minimum.
TimePoint to_time_point(der::Time t) noexcept {
  constexpr auto kMax = std::chrono::floor<std::chrono::seconds>(TimePoint::max());
  constexpr auto kMin = std::chrono::ceil<std::chrono::seconds>(TimePoint::min());
  if (t.time_since_epoch() >= kMax.time_since_epoch()) return TimePoint::max();
  if (t.time_since_epoch() <= kMin.time_since_epoch()) return TimePoint::min();
  return TimePoint(t);
}

Result<TimePoint> read_time(der::Reader& r, TimeEncoding& enc) {
  if (r.peek_is(der::kUtcTime)) {
    auto el = HPKI_TRY(r.read_element(der::kUtcTime));
    enc = TimeEncoding::kUtcTime;
    return TimePoint(HPKI_TRY(der::decode_utc_time(el.value)));
  }
  auto el = HPKI_TRY(r.read_element(der::kGeneralizedTime));
  enc = TimeEncoding::kGeneralizedTime;
  return to_time_point(HPKI_TRY(der::decode_generalized_time(el.value)));
}

Result<std::shared_ptr<const Certificate>> Certificate::parse(BytesView input) {
  if (input.size() > kMaxCertificateSize) {
    return fail(ErrorCode::kTooLarge, "certificate of " + std::to_string(input.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxCertificateSize));
  }
  auto cert = std::shared_ptr<Certificate>(new Certificate());
  cert->der_.assign(input.begin(), input.end());
  der::Reader top(cert->der_);
  auto outer = HPKI_CERT_TRY("Certificate", top.read_sequence());
  HPKI_CERT_TRY("Certificate", top.expect_end());
  auto tbs_el = HPKI_CERT_TRY("tbsCertificate", outer.read_element(der::kSequence));
  cert->tbs_ = tbs_el.encoded;
  cert->sig_alg_ = HPKI_CERT_TRY("signatureAlgorithm", read_algorithm_identifier(outer));
  auto sig = HPKI_CERT_TRY("signatureValue", outer.read_bit_string());
  if (sig.unused_bits != 0) return fail(ErrorCode::kBadCertificate, "signatureValue: unused bits");
  cert->signature_.assign(sig.bytes.begin(), sig.bytes.end());
  HPKI_CERT_TRY("Certificate", outer.expect_end());

  der::Reader tbs(tbs_el.value, tbs_el.offset, 1);
  // version [0] EXPLICIT Version DEFAULT v1
  if (auto v = HPKI_CERT_TRY("version", tbs.read_optional_explicit(0))) {
    auto n = HPKI_CERT_TRY("version", v->read_int64());
    HPKI_CERT_TRY("version", v->expect_end());
    if (n == 0)
      return fail(ErrorCode::kBadCertificate,
                  "version: v1 encoded explicitly (DER forbids DEFAULT values)");
    if (n != 1 && n != 2)
      return fail(ErrorCode::kBadCertificate, "version: unknown version " + std::to_string(n + 1));
    cert->version_ = static_cast<int>(n) + 1;
  }
  auto serial = HPKI_CERT_TRY("serialNumber", tbs.read_integer());
  cert->serial_.assign(serial.begin(), serial.end());
  // RFC 5280 4.1.2.2 allows 20 octets; hpki reads up to Serial::kMaxOctets of other issuers'.
  auto serial_number = Serial::from_octets(serial);
  if (!serial_number) {
    return fail(ErrorCode::kBadCertificate, "serialNumber: " + serial_number.error().detail());
  }
  cert->serial_number_ = std::move(*serial_number);
  cert->tbs_sig_alg_ = HPKI_CERT_TRY("signature", read_algorithm_identifier(tbs));
  auto issuer = HPKI_CERT_TRY("issuer", tbs.read_element(der::kSequence));
  cert->issuer_ = HPKI_CERT_TRY("issuer", parse_name(issuer.encoded));
  auto validity = HPKI_CERT_TRY("validity", tbs.read_sequence());
  cert->validity_.not_before =
      HPKI_CERT_TRY("notBefore", read_time(validity, cert->validity_.not_before_encoding));
  cert->validity_.not_after =
      HPKI_CERT_TRY("notAfter", read_time(validity, cert->validity_.not_after_encoding));
  HPKI_CERT_TRY("validity", validity.expect_end());
  auto subject = HPKI_CERT_TRY("subject", tbs.read_element(der::kSequence));
  cert->subject_ = HPKI_CERT_TRY("subject", parse_name(subject.encoded));
  auto spki = HPKI_CERT_TRY("subjectPublicKeyInfo", tbs.read_element(der::kSequence));
  cert->spki_.assign(spki.encoded.begin(), spki.encoded.end());
  {
    der::Reader s(spki.value, spki.offset, 2);
    cert->spki_alg_ = HPKI_CERT_TRY("subjectPublicKeyInfo", read_algorithm_identifier(s));
    HPKI_CERT_TRY("subjectPublicKey", s.read_bit_string());
    HPKI_CERT_TRY("subjectPublicKeyInfo", s.expect_end());
  }
  // issuerUniqueID [1] IMPLICIT, subjectUniqueID [2] IMPLICIT: v2 or v3 only (RFC 5280 4.1.2.8).
  for (std::uint32_t n : {1u, 2u}) {
    if (HPKI_CERT_TRY("uniqueID", tbs.read_optional(der::Tag::context(n)))) {
      if (cert->version_ < 2)
        return fail(ErrorCode::kBadCertificate, "uniqueID in a v1 certificate");
      cert->has_unique_ids_ = true;
    }
  }
  if (auto ext = HPKI_CERT_TRY("extensions", tbs.read_optional_explicit(3))) {
    // RFC 5280 4.1.2.9: extensions only in v3.
    if (cert->version_ != 3)
      return fail(ErrorCode::kBadCertificate,
                  "extensions in a v" + std::to_string(cert->version_) + " certificate");
    cert->extensions_ = HPKI_CERT_TRY("extensions", read_extensions(*ext));
    HPKI_CERT_TRY("extensions", ext->expect_end());
  }
  HPKI_CERT_TRY("tbsCertificate", tbs.expect_end());
  return std::shared_ptr<const Certificate>(std::move(cert));
}

Result<std::shared_ptr<const Certificate>> Certificate::parse_any(BytesView data) {
  if (looks_like_pem(data)) {
    auto der = HPKI_TRY(pem_decode(as_string(data), "CERTIFICATE"));
    return parse(der);
  }
  return parse(data);
}

Result<std::vector<std::shared_ptr<const Certificate>>> Certificate::parse_all(BytesView data) {
  std::vector<std::shared_ptr<const Certificate>> out;
  if (!looks_like_pem(data)) {
    out.push_back(HPKI_TRY(parse(data)));
    return out;
  }
  auto blocks = HPKI_TRY(pem_decode_all(as_string(data)));
  for (const auto& b : blocks) {
    if (b.label != "CERTIFICATE" && b.label != "TRUSTED CERTIFICATE") continue;
    out.push_back(HPKI_TRY(parse(b.data)));
  }
  if (out.empty()) return fail(ErrorCode::kUnexpectedType, "no CERTIFICATE block found");
  return out;
}

const Extension* Certificate::find_extension(const der::Oid& oid) const {
  for (const auto& e : extensions_) {
    if (e.oid == oid) return &e;
  }
  return nullptr;
}

Result<crypto::SignatureAlg> Certificate::signature_alg() const {
  return signature_alg_from(sig_alg_);
}

Result<crypto::KeySpec> Certificate::key_spec() const { return spki_key_spec(spki_); }

std::string Certificate::fingerprint_sha256() const {
  auto d = crypto::digest(crypto::HashAlg::kSha256, der_);
  return d ? hex_encode(*d) : std::string();
}

namespace {

// RFC 4055 3.1: RSASSA-PSS-params for SHA-256, MGF1-SHA-256, salt length 32, trailer 1.
Bytes pss_sha256_params() {
  der::Writer w;
  w.add_sequence([](der::Writer& s) {
    s.add_explicit(0, [](der::Writer& h) {
      h.add_sequence([](der::Writer& a) {
        a.add_oid(der::oids::kSha256);
        a.add_null();
      });
    });
    s.add_explicit(1, [](der::Writer& m) {
      m.add_sequence([](der::Writer& a) {
        a.add_oid(der::oids::kMgf1);
        a.add_sequence([](der::Writer& h) {
          h.add_oid(der::oids::kSha256);
          h.add_null();
        });
      });
    });
    s.add_explicit(2, [](der::Writer& n) { n.add_integer(32); });
  });
  return w.take();
}

}  // namespace

Result<crypto::SignatureAlg> signature_alg_from(const AlgorithmIdentifier& alg) {
  using crypto::SignatureAlg;
  static const Bytes kNull{0x05, 0x00};
  auto null_or_absent = [&] { return alg.parameters.empty() || alg.parameters == kNull; };
  if (alg.oid == der::oids::kSha256WithRsaEncryption && null_or_absent())
    return SignatureAlg::kRsaPkcs1Sha256;
  if (alg.oid == der::oids::kSha384WithRsaEncryption && null_or_absent())
    return SignatureAlg::kRsaPkcs1Sha384;
  if (alg.oid == der::oids::kSha512WithRsaEncryption && null_or_absent())
    return SignatureAlg::kRsaPkcs1Sha512;
  // RFC 5758 3.2: ecdsa-with-SHA* parameters MUST be absent.
  if (alg.oid == der::oids::kEcdsaWithSha256 && alg.parameters.empty())
    return SignatureAlg::kEcdsaSha256;
  if (alg.oid == der::oids::kEcdsaWithSha384 && alg.parameters.empty())
    return SignatureAlg::kEcdsaSha384;
  // GM/T 0015: SM2-with-SM3; parameters absent (some encoders write NULL).
  if (alg.oid == der::oids::kSm2WithSm3 && null_or_absent()) return SignatureAlg::kSm2Sm3;
  if (alg.oid == der::oids::kRsassaPss && alg.parameters == pss_sha256_params())
    return SignatureAlg::kRsaPssSha256;
  return fail(
      ErrorCode::kUnsupportedAlgorithm,
      "unsupported signature algorithm " + alg.oid.to_string() +
          (der::oid_name(alg.oid).empty() ? "" : " (" + std::string(der::oid_name(alg.oid)) + ")"));
}

Bytes algorithm_identifier_der(crypto::SignatureAlg alg) {
  der::Writer w;
  w.add_sequence([&](der::Writer& s) {
    switch (alg) {
      case crypto::SignatureAlg::kRsaPkcs1Sha256:
        s.add_oid(der::oids::kSha256WithRsaEncryption);
        s.add_null();  // RFC 4055 5: NULL parameters
        break;
      case crypto::SignatureAlg::kRsaPkcs1Sha384:
        s.add_oid(der::oids::kSha384WithRsaEncryption);
        s.add_null();
        break;
      case crypto::SignatureAlg::kRsaPkcs1Sha512:
        s.add_oid(der::oids::kSha512WithRsaEncryption);
        s.add_null();
        break;
      case crypto::SignatureAlg::kRsaPssSha256: {
        s.add_oid(der::oids::kRsassaPss);
        auto p = pss_sha256_params();
        (void)s.add_raw(p);
        break;
      }
      case crypto::SignatureAlg::kEcdsaSha256:
        s.add_oid(der::oids::kEcdsaWithSha256);
        break;
      case crypto::SignatureAlg::kEcdsaSha384:
        s.add_oid(der::oids::kEcdsaWithSha384);
        break;
      case crypto::SignatureAlg::kSm2Sm3:
        s.add_oid(der::oids::kSm2WithSm3);
        break;
    }
  });
  return w.take();
}

Result<void> verify_certificate_signature(const Certificate& cert, BytesView issuer_spki,
                                          std::string_view sm2_id) {
  // RFC 5280 4.1.1.2: signatureAlgorithm MUST equal the TBS signature field.
  if (cert.signature_algorithm().der != cert.tbs_signature_algorithm().der) {
    return fail(ErrorCode::kBadCertificate,
                "signatureAlgorithm differs from tbsCertificate.signature");
  }
  auto alg = HPKI_TRY(cert.signature_alg());
  return crypto::verify_signature(issuer_spki, alg, cert.tbs_der(), cert.signature(), sm2_id);
}

}  // namespace hpki::x509
