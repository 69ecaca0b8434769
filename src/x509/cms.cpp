#include "x509/cms.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <string>

#include "crypto/digest.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/detail/asn1_common.h"

namespace hpki::x509::cms {
namespace {

using crypto::HashAlg;
using crypto::SignatureAlg;

Error bad(std::string_view diag_id, std::string_view detail) {
  return Error{ErrorCode::kBadSignature, std::string(diag_id) + ": " + std::string(detail)};
}

Error malformed(std::string_view where, const Error& e) {
  return Error{e.code() == ErrorCode::kTooLarge ? e.code() : ErrorCode::kMalformed,
               "CMS " + std::string(where) + ": " + e.detail()};
}

#define HPKI_CMS_TRY(where, expr)                                         \
  __extension__({                                                         \
    auto hpki_cms_r_ = (expr);                                            \
    if (!hpki_cms_r_) return fail(malformed(where, hpki_cms_r_.error())); \
    std::move(hpki_cms_r_).value();                                       \
  })

der::Time to_der_time(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }

// RFC 5652 5.3: Attribute ::= SEQUENCE { attrType, attrValues SET OF AttributeValue }.
Result<void> write_attribute(der::Writer& w, const Attribute& a) {
  return w.add_sequence([&](der::Writer& s) -> Result<void> {
    s.add_oid(a.type);
    return s.add_set_of([&](der::Writer& set) -> Result<void> {
      for (const auto& v : a.values) HPKI_TRY(set.add_raw(v));
      return {};
    });
  });
}

Result<std::vector<Attribute>> read_attributes(der::Reader& set) {
  std::vector<Attribute> out;
  while (!set.at_end()) {
    auto seq = HPKI_TRY(set.read_sequence());
    Attribute a;
    a.type = HPKI_TRY(seq.read_oid());
    auto values = HPKI_TRY(seq.read_set());
    while (!values.at_end()) {
      auto v = HPKI_TRY(values.read_tlv());
      a.values.emplace_back(v.encoded.begin(), v.encoded.end());
    }
    // RFC 5652 5.3: attrValues SET OF with at least one value.
    if (a.values.empty()) return fail(ErrorCode::kMalformed, "attribute without values");
    HPKI_TRY(seq.expect_end());
    out.push_back(std::move(a));
  }
  return out;
}

// RFC 5035 5.4.1: ESSCertIDv2 ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier DEFAULT
//   {algorithm id-sha256}, certHash OCTET STRING, issuerSerial IssuerSerial OPTIONAL }
// IssuerSerial ::= SEQUENCE { issuer GeneralNames, serialNumber CertificateSerialNumber }
// SigningCertificateV2 ::= SEQUENCE { certs SEQUENCE OF ESSCertIDv2, policies ... OPTIONAL }
Result<Bytes> signing_certificate_v2(const Certificate& cert, HashAlg h) {
  auto cert_hash = HPKI_TRY(crypto::digest(h, cert.der()));
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& sc) -> Result<void> {
    return sc.add_sequence([&](der::Writer& certs) -> Result<void> {
      return certs.add_sequence([&](der::Writer& id) -> Result<void> {
        // DER: a DEFAULT value is omitted (X.690 11.5), so SHA-256 is not written.
        if (h != HashAlg::kSha256) HPKI_TRY(id.add_raw(hash_algorithm_der(h)));
        id.add_octet_string(cert_hash);
        return id.add_sequence([&](der::Writer& is) -> Result<void> {
          // GeneralNames { directoryName [4] EXPLICIT Name }
          HPKI_TRY(is.add_sequence([&](der::Writer& gns) -> Result<void> {
            return gns.add_explicit(4,
                                    [&](der::Writer& dn) { return dn.add_raw(cert.issuer().der); });
          }));
          return is.add_integer_bytes(cert.serial());
        });
      });
    });
  }));
  return w.take();
}

// Checks a SigningCertificateV2 (v2 = true) or RFC 2634 SigningCertificate (ESSCertID with a
// SHA-1 certHash) value against the signer certificate: the first ESSCertID names the signer
// (RFC 5035 5.4: "the first certificate identified in the sequence ... MUST be the
// certificate used to verify the signature").
Result<void> check_ess(BytesView value, bool v2, const Certificate& cert) {
  der::Reader r(value);
  auto sc = HPKI_TRY(r.read_sequence());
  auto certs = HPKI_TRY(sc.read_sequence());
  auto id = HPKI_TRY(certs.read_sequence());
  HashAlg h = v2 ? HashAlg::kSha256 : HashAlg::kSha1;
  if (v2 && id.peek_is(der::kSequence)) {
    auto alg = HPKI_TRY(read_algorithm_identifier(id));
    h = HPKI_TRY(hash_from_oid(alg.oid));
  }
  auto cert_hash = HPKI_TRY(id.read_octet_string());
  auto want = HPKI_TRY(crypto::digest(h, cert.der()));
  if (!std::ranges::equal(cert_hash, want))
    return fail(bad(diag::kEssCertMismatch, "certHash does not match the signer certificate"));
  if (!id.at_end()) {
    auto is = HPKI_TRY(id.read_sequence());
    auto gns = HPKI_TRY(is.read_sequence());
    auto names = HPKI_TRY(read_general_names(gns));
    auto serial = HPKI_TRY(is.read_integer());
    bool issuer_ok = false;
    for (const auto& n : names) {
      if (n.type == GeneralName::Type::kDirectory && n.directory &&
          names_match(*n.directory, cert.issuer()))
        issuer_ok = true;
    }
    if (!issuer_ok || !std::ranges::equal(serial, cert.serial()))
      return fail(bad(diag::kEssCertMismatch, "issuerSerial does not name the signer certificate"));
  }
  return {};
}

// Signature algorithm of a SignerInfo from its signatureAlgorithm and digestAlgorithm
// (RFC 3370 3.2 / RFC 5754 3: rsaEncryption with the digest named separately; RFC 5753 / 5758:
// ecdsa-with-SHA*; GM/T 0010 3.2: SM2-with-SM3, sm2sign or the SM2 key OID with SM3).
Result<SignatureAlg> signer_alg(const SignerInfo& si, HashAlg digest) {
  const auto& oid = si.signature_algorithm.oid;
  auto need = [&](HashAlg h, SignatureAlg a) -> Result<SignatureAlg> {
    if (digest != h)
      return fail(bad(diag::kUnsupportedAlgorithm,
                      "digestAlgorithm does not match signatureAlgorithm " + oid.to_string()));
    return a;
  };
  if (oid == der::oids::kRsaEncryption) {
    switch (digest) {
      case HashAlg::kSha256:
        return SignatureAlg::kRsaPkcs1Sha256;
      case HashAlg::kSha384:
        return SignatureAlg::kRsaPkcs1Sha384;
      case HashAlg::kSha512:
        return SignatureAlg::kRsaPkcs1Sha512;
      default:
        return fail(bad(diag::kUnsupportedAlgorithm, "RSA with this digest"));
    }
  }
  if (oid == der::oids::kEcPublicKey) {
    if (digest == HashAlg::kSha256) return SignatureAlg::kEcdsaSha256;
    if (digest == HashAlg::kSha384) return SignatureAlg::kEcdsaSha384;
    return fail(bad(diag::kUnsupportedAlgorithm, "ECDSA with this digest"));
  }
  if (oid == der::oids::kSm2Sign || oid == der::oids::kSm2 || oid == der::oids::kSm2WithSm3)
    return need(HashAlg::kSm3, SignatureAlg::kSm2Sm3);
  auto a = signature_alg_from(si.signature_algorithm);
  if (!a) return fail(bad(diag::kUnsupportedAlgorithm, a.error().detail()));
  return need(crypto::signature_hash(*a), *a);
}

Bytes retag(BytesView der, std::uint8_t tag) {
  Bytes out(der.begin(), der.end());
  if (!out.empty()) out[0] = tag;
  return out;
}

}  // namespace

der::Oid hash_oid(HashAlg h) noexcept {
  switch (h) {
    case HashAlg::kSha1:
      return der::oids::kSha1;
    case HashAlg::kSha256:
      return der::oids::kSha256;
    case HashAlg::kSha384:
      return der::oids::kSha384;
    case HashAlg::kSha512:
      return der::oids::kSha512;
    case HashAlg::kSm3:
      return der::oids::kSm3;
  }
  return der::oids::kSha256;
}

Result<HashAlg> hash_from_oid(const der::Oid& oid) {
  if (oid == der::oids::kSha256) return HashAlg::kSha256;
  if (oid == der::oids::kSha384) return HashAlg::kSha384;
  if (oid == der::oids::kSha512) return HashAlg::kSha512;
  if (oid == der::oids::kSm3) return HashAlg::kSm3;
  if (oid == der::oids::kSha1) return HashAlg::kSha1;
  return fail(ErrorCode::kUnsupportedAlgorithm, "unsupported digest algorithm " + oid.to_string());
}

Bytes hash_algorithm_der(HashAlg h) {
  der::Writer w;
  w.add_sequence([&](der::Writer& s) { s.add_oid(hash_oid(h)); });
  return w.take();
}

const Attribute* SignerInfo::find_signed(const der::Oid& type) const {
  for (const auto& a : signed_attributes)
    if (a.type == type) return &a;
  return nullptr;
}

const Attribute* SignerInfo::find_unsigned(const der::Oid& type) const {
  for (const auto& a : unsigned_attributes)
    if (a.type == type) return &a;
  return nullptr;
}

namespace {

// SignedData.certificates as sign() writes it (nothing when no certificate is included).
Result<void> write_certificates(der::Writer& sd, const Certificate& signer_cert,
                                const SignOptions& o) {
  if (!o.include_signer_certificate && o.extra_certificates.empty()) return {};
  // certificates [0] IMPLICIT CertificateSet (a SET OF: sorted by the writer).
  return sd.add_implicit_constructed(0, [&](der::Writer& cs) -> Result<void> {
    if (o.include_signer_certificate) HPKI_TRY(cs.add_raw(signer_cert.der()));
    for (const auto& c : o.extra_certificates) HPKI_TRY(cs.add_raw(c->der()));
    return {};
  });
}

// A SignedData ContentInfo split around its certificates field; every part is a view into the
// input, as encoded.
struct SignedDataParts {
  der::Oid type;                            // id-signedData or GM/T 0010 signedData
  std::vector<BytesView> before;            // version, digestAlgorithms, encapContentInfo
  std::optional<BytesView> certificates{};  // [0] CertificateSet
  std::vector<BytesView> after;             // crls [1] (if any), signerInfos
};

// A ContentInfo whose content is a SignedData (RFC 5652 or GM/T 0010 OID): the contentType and
// a reader over the SignedData's fields.
struct OpenedSignedData {
  der::Oid type;
  der::Reader fields;
};

Result<OpenedSignedData> open_signed_data(BytesView input) {
  if (input.size() > kMaxCmsSize)
    return fail(ErrorCode::kTooLarge, "CMS: more than " + std::to_string(kMaxCmsSize) + " bytes");
  der::Reader top(input);
  auto ci = HPKI_CMS_TRY("ContentInfo", top.read_sequence());
  HPKI_CMS_TRY("ContentInfo", top.expect_end());
  auto type = HPKI_CMS_TRY("contentType", ci.read_oid());
  if (type != der::oids::kSignedData && type != der::oids::kGmSignedData) {
    return fail(ErrorCode::kUnexpectedType, "CMS: contentType " + type.to_string() +
                                                " is not signedData (RFC 5652 or GM/T 0010)");
  }
  auto content = HPKI_CMS_TRY("content", ci.read_explicit(0));
  HPKI_CMS_TRY("ContentInfo", ci.expect_end());
  auto sd = HPKI_CMS_TRY("SignedData", content.read_sequence());
  HPKI_CMS_TRY("content", content.expect_end());
  return OpenedSignedData{.type = std::move(type), .fields = std::move(sd)};
}

Result<SignedDataParts> split_signed_data(BytesView input) {
  auto [type, sd] = HPKI_TRY(open_signed_data(input));
  SignedDataParts out;
  out.type = std::move(type);
  for (const der::Tag t : {der::kInteger, der::kSet, der::kSequence})
    out.before.push_back(HPKI_CMS_TRY("SignedData", sd.read_element(t)).encoded);
  if (auto certs =
          HPKI_CMS_TRY("certificates", sd.read_optional(der::Tag::context_constructed(0)))) {
    out.certificates = certs->encoded;
  }
  if (auto crls = HPKI_CMS_TRY("crls", sd.read_optional(der::Tag::context_constructed(1))))
    out.after.push_back(crls->encoded);
  out.after.push_back(HPKI_CMS_TRY("signerInfos", sd.read_element(der::kSet)).encoded);
  HPKI_CMS_TRY("SignedData", sd.expect_end());
  return out;
}

Result<Bytes> join_signed_data(const SignedDataParts& parts,
                               const std::function<Result<void>(der::Writer&)>& certificates) {
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& ci) -> Result<void> {
    ci.add_oid(parts.type);
    return ci.add_explicit(0, [&](der::Writer& e) -> Result<void> {
      return e.add_sequence([&](der::Writer& sd) -> Result<void> {
        for (BytesView el : parts.before) HPKI_TRY(sd.add_raw(el));
        HPKI_TRY(certificates(sd));
        for (BytesView el : parts.after) HPKI_TRY(sd.add_raw(el));
        return {};
      });
    });
  }));
  return w.take();
}

}  // namespace

Result<Attribute> signing_certificate_v2_attribute(const Certificate& signer_cert, HashAlg h) {
  return Attribute{der::oids::kAaSigningCertificateV2,
                   {HPKI_TRY(signing_certificate_v2(signer_cert, h))}};
}

Result<Bytes> strip_certificates(BytesView content_info) {
  const auto parts = HPKI_TRY(split_signed_data(content_info));
  return join_signed_data(parts, [](der::Writer&) -> Result<void> { return {}; });
}

Result<Bytes> restore_certificates(BytesView content_info, const Certificate& signer_cert,
                                   const SignOptions& options) {
  const auto parts = HPKI_TRY(split_signed_data(content_info));
  if (parts.certificates)
    return fail(ErrorCode::kBadState, "CMS: the SignedData already holds certificates");
  return join_signed_data(
      parts, [&](der::Writer& sd) { return write_certificates(sd, signer_cert, options); });
}

Result<Bytes> sign(BytesView content, const Certificate& signer_cert, const crypto::Signer& signer,
                   const SignOptions& o) {
  if (signer.public_key_der() != signer_cert.spki_der())
    return fail(ErrorCode::kKeyMismatch, "CMS: the signer key is not the certificate's key");
  const SignatureAlg alg = signer.algorithm();
  const HashAlg h = crypto::signature_hash(alg);
  const bool gm = o.oid_style == OidStyle::kGmt0010;
  const der::Oid econtent_type =
      gm && o.content_type == der::oids::kData ? der::oids::kGmData : o.content_type;

  // RFC 5652 5.4: the signed attributes, DER-encoded as a SET OF (tag 0x31), are what is signed.
  std::vector<Attribute> attrs;
  {
    der::Writer v;
    v.add_oid(econtent_type);
    attrs.push_back({der::oids::kContentType, {v.take()}});
  }
  {
    der::Writer v;
    if (o.content_digest) {
      if (!o.detached)
        return fail(ErrorCode::kInvalidArgument,
                    "CMS: a content digest needs a detached signature");
      if (o.content_digest->size() != crypto::hash_size(h))
        return fail(ErrorCode::kInvalidArgument, "CMS: the content digest has the wrong length");
      v.add_octet_string(*o.content_digest);
    } else {
      v.add_octet_string(HPKI_TRY(crypto::digest(h, content)));
    }
    attrs.push_back({der::oids::kMessageDigest, {v.take()}});
  }
  if (o.signing_time) {
    // RFC 5652 11.3: UTCTime for 1950..2049, GeneralizedTime otherwise.
    der::Writer v;
    HPKI_TRY(v.add_time(to_der_time(*o.signing_time)));
    attrs.push_back({der::oids::kSigningTime, {v.take()}});
  }
  if (o.signing_certificate_v2)
    attrs.push_back(HPKI_TRY(signing_certificate_v2_attribute(signer_cert, h)));
  for (const auto& a : o.extra_signed_attributes) attrs.push_back(a);
  der::Writer sa;
  HPKI_TRY(sa.add_set_of([&](der::Writer& set) -> Result<void> {
    for (const auto& a : attrs) HPKI_TRY(write_attribute(set, a));
    return {};
  }));
  const Bytes signed_attrs = sa.take();
  const Bytes signature = HPKI_TRY(signer.sign(signed_attrs));

  const Bytes digest_alg = hash_algorithm_der(h);
  // RFC 5652 5.1: version 3 when eContentType is not id-data; GM/T 0010 3.2 fixes version 1.
  const int version = gm || econtent_type == der::oids::kData ? 1 : 3;
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& ci) -> Result<void> {
    ci.add_oid(gm ? der::oids::kGmSignedData : der::oids::kSignedData);
    return ci.add_explicit(0, [&](der::Writer& e) -> Result<void> {
      return e.add_sequence([&](der::Writer& sd) -> Result<void> {
        sd.add_integer(version);
        HPKI_TRY(sd.add_set_of([&](der::Writer& s) { return s.add_raw(digest_alg); }));
        sd.add_sequence([&](der::Writer& eci) {
          eci.add_oid(econtent_type);
          if (!o.detached)
            eci.add_explicit(0, [&](der::Writer& x) { x.add_octet_string(content); });
        });
        HPKI_TRY(write_certificates(sd, signer_cert, o));
        return sd.add_set_of([&](der::Writer& sis) -> Result<void> {
          return sis.add_sequence([&](der::Writer& si) -> Result<void> {
            si.add_integer(1);
            HPKI_TRY(si.add_sequence([&](der::Writer& ias) -> Result<void> {
              HPKI_TRY(ias.add_raw(signer_cert.issuer().der));
              return ias.add_integer_bytes(signer_cert.serial());
            }));
            HPKI_TRY(si.add_raw(digest_alg));
            HPKI_TRY(si.add_raw(retag(signed_attrs, 0xA0)));  // [0] IMPLICIT
            HPKI_TRY(si.add_raw(algorithm_identifier_der(alg)));
            si.add_octet_string(signature);
            if (!o.unsigned_attributes.empty()) {
              HPKI_TRY(si.add_implicit_constructed(1, [&](der::Writer& ua) -> Result<void> {
                for (const auto& a : o.unsigned_attributes) HPKI_TRY(write_attribute(ua, a));
                return {};
              }));
            }
            return {};
          });
        });
      });
    });
  }));
  return w.take();
}

namespace {

Result<SignerInfo> read_signer_info(der::Reader& sis) {
  auto si = HPKI_CMS_TRY("SignerInfo", sis.read_sequence());
  SignerInfo out;
  out.version = static_cast<int>(HPKI_CMS_TRY("SignerInfo.version", si.read_int64()));
  if (si.peek_is(der::kSequence)) {
    // issuerAndSerialNumber
    auto ias = HPKI_CMS_TRY("issuerAndSerialNumber", si.read_sequence());
    auto issuer = HPKI_CMS_TRY("issuer", ias.read_element(der::kSequence));
    out.issuer_der.assign(issuer.encoded.begin(), issuer.encoded.end());
    auto serial = HPKI_CMS_TRY("serialNumber", ias.read_integer());
    out.serial.assign(serial.begin(), serial.end());
    HPKI_CMS_TRY("issuerAndSerialNumber", ias.expect_end());
  } else {
    // subjectKeyIdentifier [0] IMPLICIT OCTET STRING (RFC 5652 5.3, version 3)
    auto ski = HPKI_CMS_TRY("subjectKeyIdentifier", si.read_implicit(0));
    out.subject_key_id = Bytes(ski.begin(), ski.end());
  }
  out.digest_algorithm = HPKI_CMS_TRY("digestAlgorithm", read_algorithm_identifier(si));
  if (auto sa = HPKI_CMS_TRY("signedAttrs", si.read_optional(der::Tag::context_constructed(0)))) {
    out.signed_attrs_der = retag(sa->encoded, 0x31);
    der::Reader attrs(sa->value, sa->offset, si.depth() + 1);
    out.signed_attributes = HPKI_CMS_TRY("signedAttrs", read_attributes(attrs));
  }
  out.signature_algorithm = HPKI_CMS_TRY("signatureAlgorithm", read_algorithm_identifier(si));
  auto sig = HPKI_CMS_TRY("signature", si.read_octet_string());
  out.signature.assign(sig.begin(), sig.end());
  if (auto ua = HPKI_CMS_TRY("unsignedAttrs",
                             si.read_optional_constructed(der::Tag::context_constructed(1)))) {
    out.unsigned_attributes = HPKI_CMS_TRY("unsignedAttrs", read_attributes(*ua));
  }
  HPKI_CMS_TRY("SignerInfo", si.expect_end());
  return out;
}

}  // namespace

Result<SignedData> parse_signed_data(BytesView input) {
  auto [type, sd] = HPKI_TRY(open_signed_data(input));
  SignedData out;
  if (type == der::oids::kGmSignedData) out.oid_style = OidStyle::kGmt0010;
  out.version = static_cast<int>(HPKI_CMS_TRY("SignedData.version", sd.read_int64()));
  if (out.version < 1 || out.version > 5)
    return fail(ErrorCode::kMalformed, "CMS SignedData.version " + std::to_string(out.version));
  auto algs = HPKI_CMS_TRY("digestAlgorithms", sd.read_set());
  while (!algs.at_end())
    out.digest_algorithms.push_back(
        HPKI_CMS_TRY("digestAlgorithms", read_algorithm_identifier(algs)));
  auto eci = HPKI_CMS_TRY("encapContentInfo", sd.read_sequence());
  out.content_type = HPKI_CMS_TRY("eContentType", eci.read_oid());
  if (auto ec = HPKI_CMS_TRY("eContent", eci.read_optional_explicit(0))) {
    auto octets = HPKI_CMS_TRY("eContent", ec->read_octet_string());
    HPKI_CMS_TRY("eContent", ec->expect_end());
    out.content = Bytes(octets.begin(), octets.end());
  }
  HPKI_CMS_TRY("encapContentInfo", eci.expect_end());
  if (auto certs = HPKI_CMS_TRY("certificates",
                                sd.read_optional_constructed(der::Tag::context_constructed(0)))) {
    while (!certs->at_end()) {
      auto el = HPKI_CMS_TRY("certificates", certs->read_tlv());
      if (el.tag != der::kSequence) continue;  // other CertificateChoices are ignored
      auto c = Certificate::parse(el.encoded);
      if (!c) return fail(ErrorCode::kMalformed, "CMS certificates: " + c.error().detail());
      out.certificates.push_back(std::move(*c));
    }
  }
  // crls [1] IMPLICIT RevocationInfoChoices: skipped (revocation is the caller's business).
  HPKI_CMS_TRY("crls", sd.read_optional_constructed(der::Tag::context_constructed(1)));
  auto sis = HPKI_CMS_TRY("signerInfos", sd.read_set());
  while (!sis.at_end()) out.signers.push_back(HPKI_TRY(read_signer_info(sis)));
  HPKI_CMS_TRY("SignedData", sd.expect_end());
  out.der.assign(input.begin(), input.end());
  return out;
}

Result<VerifyResult> verify_signed_data(const SignedData& sd, const VerifyOptions& o) {
  if (o.signer_index >= sd.signers.size())
    return fail(bad(diag::kSignerNotFound, "no SignerInfo " + std::to_string(o.signer_index)));
  const SignerInfo& si = sd.signers[o.signer_index];
  VerifyResult out;
  out.content_type = sd.content_type;
  if (sd.content) {
    out.content = *sd.content;
  } else if (o.detached_content) {
    out.content.assign(o.detached_content->begin(), o.detached_content->end());
  } else if (!o.detached_digest) {
    return fail(bad(diag::kContentMissing, "detached signature and no content given"));
  }

  // The signer certificate: issuerAndSerialNumber or subjectKeyIdentifier.
  auto matches = [&](const CertificatePtr& c) {
    if (si.subject_key_id) {
      const auto* ext = c->find_extension(der::oids::kSubjectKeyIdentifier);
      if (ext == nullptr) return false;
      auto ski = parse_subject_key_identifier(ext->value);
      return ski && *ski == *si.subject_key_id;
    }
    return std::ranges::equal(c->issuer().der, si.issuer_der) &&
           std::ranges::equal(c->serial(), si.serial);
  };
  for (const auto* pool : {&sd.certificates, &o.extra_certificates}) {
    for (const auto& c : *pool) {
      if (!out.signer && matches(c)) out.signer = c;
    }
  }
  if (!out.signer)
    return fail(bad(diag::kSignerNotFound, "the signer certificate is neither embedded nor given"));

  auto h = hash_from_oid(si.digest_algorithm.oid);
  if (!h) return fail(bad(diag::kUnsupportedAlgorithm, h.error().detail()));
  out.digest_alg = *h;
  out.signature_alg = HPKI_TRY(signer_alg(si, *h));

  BytesView signed_bytes = out.content;
  if (si.signed_attrs_der) {
    // RFC 5652 5.3: with signed attributes, contentType and messageDigest MUST be present.
    const Attribute* ct = si.find_signed(der::oids::kContentType);
    if (ct == nullptr || ct->values.size() != 1)
      return fail(bad(diag::kContentTypeMismatch, "no single contentType attribute"));
    der::Reader ctr(ct->values[0]);
    auto ct_oid = ctr.read_oid();
    if (!ct_oid || *ct_oid != sd.content_type)
      return fail(
          bad(diag::kContentTypeMismatch, "contentType attribute differs from eContentType"));
    const Attribute* md = si.find_signed(der::oids::kMessageDigest);
    if (md == nullptr || md->values.size() != 1)
      return fail(bad(diag::kMessageDigestMissing, "no single messageDigest attribute"));
    der::Reader mdr(md->values[0]);
    auto md_value = mdr.read_octet_string();
    if (!md_value)
      return fail(bad(diag::kMessageDigestMissing, "messageDigest is not an OCTET STRING"));
    const bool by_digest = !sd.content && !o.detached_content;
    auto want = by_digest ? o.detached_digest(*h) : crypto::digest(*h, out.content);
    if (!want) return fail(want.error());
    if (!std::ranges::equal(*md_value, *want))
      return fail(bad(diag::kMessageDigestMismatch, "the content does not match messageDigest"));
    if (const Attribute* st = si.find_signed(der::oids::kSigningTime); st && !st->values.empty()) {
      der::Reader str(st->values[0]);
      if (auto t = str.read_time()) out.signing_time = to_time_point(*t);
    }
    signed_bytes = *si.signed_attrs_der;
  } else if (!sd.content && !o.detached_content) {
    return fail(bad(diag::kContentMissing, "no signed attributes: the content itself is needed"));
  }
  // The document's own signature differs per document: never remembered.
  auto sig_ok = crypto::verify_signature_once(out.signer->spki_der(), out.signature_alg,
                                              signed_bytes, si.signature, o.sm2_id, o.key_policy);
  if (!sig_ok) {
    if (sig_ok.error().code() == ErrorCode::kBadSignature)
      return fail(
          bad(diag::kSignatureInvalid, "the signature does not verify with the signer key"));
    return fail(bad(diag::kSignatureInvalid, sig_ok.error().to_string()));
  }
  // RFC 5035 / RFC 2634 5.4: the ESS signing-certificate attribute binds the certificate.
  const Attribute* ess = si.find_signed(der::oids::kAaSigningCertificateV2);
  const bool v2 = ess != nullptr;
  if (ess == nullptr) ess = si.find_signed(der::oids::kAaSigningCertificate);
  if (ess != nullptr) {
    if (ess->values.size() != 1)
      return fail(bad(diag::kEssCertMismatch, "signing certificate attribute with several values"));
    auto r = check_ess(ess->values[0], v2, *out.signer);
    if (!r) {
      if (r.error().code() == ErrorCode::kBadSignature) return fail(r.error());
      return fail(bad(diag::kEssCertMismatch, r.error().detail()));
    }
    out.ess_bound = true;
  } else if (o.require_signing_certificate) {
    return fail(bad(diag::kEssCertMissing, "no signingCertificate(V2) attribute"));
  }
  return out;
}

}  // namespace hpki::x509::cms
