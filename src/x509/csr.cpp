#include "x509/csr.h"

#include "core/pem.h"
#include "crypto/signer.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/detail/asn1_common.h"
#include "x509/spki.h"

namespace hpki::x509 {
namespace {

Error bad(std::string_view what, const Error& e) {
  return Error{ErrorCode::kBadCsr, std::string(what) + ": " + e.detail()};
}

#define HPKI_CSR_TRY(what, expr)                                   \
  __extension__({                                                  \
    auto hpki_csr_r_ = (expr);                                     \
    if (!hpki_csr_r_) return fail(bad(what, hpki_csr_r_.error())); \
    std::move(hpki_csr_r_).value();                                \
  })

// RFC 2985 5.4.2: extensionRequest ::= Extensions (the single value of the attribute).
Result<std::vector<Extension>> read_extension_request(der::Reader& values) {
  auto value = HPKI_TRY(values.read_tlv());
  if (!values.at_end())
    return fail(ErrorCode::kMalformed, "extensionRequest has more than one value");
  if (value.tag != der::kSequence)
    return fail(ErrorCode::kMalformed, "extensionRequest value is not a SEQUENCE");
  // Some requesters send an empty Extensions SEQUENCE when nothing is requested.
  if (value.value.empty()) return std::vector<Extension>{};
  der::Reader r(value.encoded, value.offset, values.depth());
  auto exts = HPKI_TRY(read_extensions(r));
  for (std::size_t i = 0; i < exts.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (exts[j].oid == exts[i].oid)
        return fail(ErrorCode::kMalformed,
                    "extension " + exts[i].oid.to_string() + " requested twice");
    }
  }
  return exts;
}

}  // namespace

// RFC 2986 4:
// CertificationRequest ::= SEQUENCE { certificationRequestInfo CertificationRequestInfo,
//   signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }
// CertificationRequestInfo ::= SEQUENCE { version INTEGER { v1(0) }, subject Name,
//   subjectPKInfo SubjectPublicKeyInfo, attributes [0] IMPLICIT SET OF Attribute }
// Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET SIZE(1..MAX) OF ANY }
Result<std::shared_ptr<const CertificationRequest>> CertificationRequest::parse(BytesView input) {
  if (input.size() > kMaxCsrSize) {
    return fail(ErrorCode::kTooLarge, "certification request of " + std::to_string(input.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxCsrSize));
  }
  auto csr = std::shared_ptr<CertificationRequest>(new CertificationRequest());
  csr->der_.assign(input.begin(), input.end());
  der::Reader top(csr->der_);
  auto outer = HPKI_CSR_TRY("CertificationRequest", top.read_sequence());
  HPKI_CSR_TRY("CertificationRequest", top.expect_end());
  auto info_el = HPKI_CSR_TRY("certificationRequestInfo", outer.read_element(der::kSequence));
  csr->info_ = info_el.encoded;
  csr->sig_alg_ = HPKI_CSR_TRY("signatureAlgorithm", read_algorithm_identifier(outer));
  auto sig = HPKI_CSR_TRY("signature", outer.read_bit_string());
  if (sig.unused_bits != 0) return fail(ErrorCode::kBadCsr, "signature: unused bits");
  if (sig.bytes.empty()) return fail(ErrorCode::kBadCsr, "signature: empty");
  csr->signature_.assign(sig.bytes.begin(), sig.bytes.end());
  HPKI_CSR_TRY("CertificationRequest", outer.expect_end());

  der::Reader info(info_el.value, info_el.offset, 1);
  auto version = HPKI_CSR_TRY("version", info.read_int64());
  if (version != 0)  // RFC 2986 4.1: version is 0 for this edition
    return fail(ErrorCode::kBadCsr, "version: " + std::to_string(version) + ", must be 0 (v1)");
  auto subject = HPKI_CSR_TRY("subject", info.read_element(der::kSequence));
  csr->subject_ = HPKI_CSR_TRY("subject", parse_name(subject.encoded));
  auto spki = HPKI_CSR_TRY("subjectPKInfo", info.read_element(der::kSequence));
  csr->spki_.assign(spki.encoded.begin(), spki.encoded.end());
  {
    der::Reader s(spki.value, spki.offset, 2);
    HPKI_CSR_TRY("subjectPKInfo", read_algorithm_identifier(s));
    HPKI_CSR_TRY("subjectPKInfo.subjectPublicKey", s.read_bit_string());
    HPKI_CSR_TRY("subjectPKInfo", s.expect_end());
  }
  // attributes [0] IMPLICIT SET OF Attribute. Required by RFC 2986, but tolerated when absent
  // (as OpenSSL does): an absent set means no attributes.
  if (auto attrs = HPKI_CSR_TRY("attributes",
                                info.read_optional_constructed(der::Tag::context_constructed(0)))) {
    bool have_ext_req = false;
    std::size_t index = 0;
    while (!attrs->at_end()) {
      auto where = [index](std::string_view field = {}) {
        return "attributes[" + std::to_string(index) + "]" + std::string(field);
      };
      auto attr = HPKI_CSR_TRY(where(), attrs->read_sequence());
      auto type = HPKI_CSR_TRY(where(".type"), attr.read_oid());
      auto values = HPKI_CSR_TRY(where(".values"), attr.read_set());
      HPKI_CSR_TRY(where(), attr.expect_end());
      if (values.at_end())
        return fail(ErrorCode::kBadCsr, where(".values") + ": empty SET (SIZE(1..MAX))");
      if (type == der::oids::kExtensionRequest) {
        if (have_ext_req)
          return fail(ErrorCode::kBadCsr, where() + ": second extensionRequest attribute");
        have_ext_req = true;
        csr->requested_ =
            HPKI_CSR_TRY(where(" (extensionRequest)"), read_extension_request(values));
      } else {
        // challengePassword and unknown attributes: checked to be well-formed DER elements,
        // otherwise tolerated and not honoured.
        while (!values.at_end()) HPKI_CSR_TRY(where(".values"), values.read_tlv());
      }
      ++index;
    }
  }
  HPKI_CSR_TRY("certificationRequestInfo", info.expect_end());
  return std::shared_ptr<const CertificationRequest>(std::move(csr));
}

Result<std::shared_ptr<const CertificationRequest>> CertificationRequest::parse_any(
    BytesView data) {
  if (data.size() > kMaxCsrSize * 2) {  // PEM is ~4/3 of the DER plus line breaks
    return fail(ErrorCode::kTooLarge,
                "certification request input of " + std::to_string(data.size()) +
                    " bytes exceeds the limit of " + std::to_string(kMaxCsrSize * 2));
  }
  if (!looks_like_pem(data)) return parse(data);
  auto blocks = pem_decode_all(as_string(data));
  if (!blocks) return fail(bad("PEM", blocks.error()));
  const PemBlock* found = nullptr;
  for (const auto& b : *blocks) {
    if (b.label != "CERTIFICATE REQUEST" && b.label != "NEW CERTIFICATE REQUEST") continue;
    if (found != nullptr)
      return fail(ErrorCode::kBadCsr, "PEM: more than one CERTIFICATE REQUEST block");
    found = &b;
  }
  if (found == nullptr)
    return fail(ErrorCode::kBadCsr,
                "PEM: no CERTIFICATE REQUEST or NEW CERTIFICATE REQUEST block found");
  return parse(found->data);
}

Result<crypto::KeySpec> CertificationRequest::key_spec() const { return spki_key_spec(spki_); }

Result<void> CertificationRequest::verify_pop(std::string_view sm2_id) const {
  auto alg = signature_alg_from(sig_alg_);
  if (!alg) return fail(alg.error().with_context("certification request signatureAlgorithm"));
  // RFC 2986 3: the signature over the DER CertificationRequestInfo with the subject's own
  // key proves possession of it. SM2: GM/T 0009 with `sm2_id`.
  auto ok = crypto::verify_signature(spki_, *alg, info_, signature_, sm2_id);
  if (ok) return {};
  if (ok.error().code() == ErrorCode::kBadSignature) {
    return fail(ErrorCode::kProofOfPossession,
                "the request's signature does not verify with its own public key (" +
                    ok.error().detail() + ")");
  }
  return fail(ok.error().with_context("proof of possession"));
}

Result<Bytes> build_csr_info(const Name& subject, BytesView spki_der) {
  if (subject.der.empty() || spki_der.empty()) {
    return fail(ErrorCode::kInvalidArgument, "a certification request needs a subject and a key");
  }
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
    s.add_integer(0);  // RFC 2986 4.1: version v1(0)
    HPKI_TRY(s.add_raw(subject.der));
    HPKI_TRY(s.add_raw(spki_der));
    s.add_implicit_constructed(0, [](der::Writer&) {});  // attributes: none
    return {};
  }));
  return w.take();
}

Result<Bytes> assemble_csr(BytesView info_der, crypto::SignatureAlg alg, BytesView signature) {
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
    HPKI_TRY(s.add_raw(info_der));
    HPKI_TRY(s.add_raw(algorithm_identifier_der(alg)));
    return s.add_bit_string(signature);
  }));
  return w.take();
}

}  // namespace hpki::x509
