#include "x509/ocsp.h"

#include <algorithm>

#include "crypto/digest.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/detail/asn1_common.h"
#include "x509/spki.h"

namespace hpki::x509 {
namespace {

// Prefixes an error of a sub-step with the structure it was reading.
#define HPKI_OCSP_TRY(what, expr)                                            \
  __extension__({                                                            \
    auto hpki_ocsp_r_ = (expr);                                              \
    if (!hpki_ocsp_r_) return fail(hpki_ocsp_r_.error().with_context(what)); \
    std::move(hpki_ocsp_r_).value();                                         \
  })

// RFC 6962 3.3: the SCT list may appear (critical or not) in singleExtensions.
const der::Oid kOcspSctList = der::Oid::literal("1.3.6.1.4.1.11129.2.4.5");
// RFC 6960 4.4.8.
const der::Oid kOcspExtendedRevoke = der::Oid::literal("1.3.6.1.5.5.7.48.1.9");

Error malformed(std::string detail) { return Error{ErrorCode::kMalformed, std::move(detail)}; }

std::optional<crypto::HashAlg> hash_of(const der::Oid& oid) {
  if (oid == der::oids::kSha1) return crypto::HashAlg::kSha1;
  if (oid == der::oids::kSha256) return crypto::HashAlg::kSha256;
  if (oid == der::oids::kSm3) return crypto::HashAlg::kSm3;
  return std::nullopt;
}

Result<der::Oid> hash_oid(crypto::HashAlg h) {
  switch (h) {
    case crypto::HashAlg::kSha1:
      return der::oids::kSha1;
    case crypto::HashAlg::kSha256:
      return der::oids::kSha256;
    case crypto::HashAlg::kSm3:
      return der::oids::kSm3;
    default:
      return fail(ErrorCode::kUnsupportedAlgorithm, "OCSP CertID hash " +
                                                        std::string(crypto::hash_name(h)) +
                                                        " (supported: sha1, sha256, sm3)");
  }
}

der::Time to_der(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }

// CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
//   issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
Result<OcspCertId> read_cert_id(der::Reader& r) {
  auto seq = HPKI_TRY(r.read_sequence());
  OcspCertId id;
  auto alg = HPKI_TRY(read_algorithm_identifier(seq));
  // The hash parameters are NULL or absent (RFC 5754 2: both are seen for SHA-2).
  if (!alg.parameters.empty()) {
    der::Reader p(alg.parameters);
    if (!p.read_null() || !p.at_end())
      return fail(malformed("CertID hashAlgorithm parameters are not NULL"));
  }
  id.hash_oid = alg.oid;
  id.hash = hash_of(alg.oid);
  auto name_hash = HPKI_TRY(seq.read_octet_string());
  auto key_hash = HPKI_TRY(seq.read_octet_string());
  // The serial is kept as sent, also when not minimally encoded: certificates with such
  // serials exist, and their responses must still match them byte for byte (BoringSSL's
  // good_response_invalid_serial).
  auto serial_el = HPKI_TRY(seq.read_element(der::kInteger));
  if (serial_el.value.empty()) return fail(malformed("empty CertID serialNumber"));
  const BytesView serial = serial_el.value;
  HPKI_TRY(seq.expect_end());
  if (id.hash) {
    const std::size_t n = crypto::hash_size(*id.hash);
    if (name_hash.size() != n || key_hash.size() != n)
      return fail(
          malformed("CertID hash length does not fit " + std::string(crypto::hash_name(*id.hash))));
  }
  id.issuer_name_hash.assign(name_hash.begin(), name_hash.end());
  id.issuer_key_hash.assign(key_hash.begin(), key_hash.end());
  id.serial.assign(serial.begin(), serial.end());
  return id;
}

Result<void> write_cert_id(der::Writer& w, const OcspCertId& id) {
  return w.add_sequence([&](der::Writer& s) -> Result<void> {
    s.add_sequence([&](der::Writer& a) {
      a.add_oid(id.hash_oid);
      // OpenSSL and RFC 6960 examples write NULL parameters for SHA-1; SM3 has none.
      if (id.hash != crypto::HashAlg::kSm3) a.add_null();
    });
    s.add_octet_string(id.issuer_name_hash);
    s.add_octet_string(id.issuer_key_hash);
    if (id.serial.empty()) return fail(ErrorCode::kInvalidArgument, "empty CertID serial");
    s.add_element(der::kInteger, id.serial);
    return {};
  });
}

// RFC 8954 / RFC 6960 4.4.1: extnValue holds Nonce ::= OCTET STRING.
Result<Bytes> decode_nonce(BytesView extn_value) {
  der::Reader r(extn_value);
  auto v = r.read_octet_string();
  if (!v || !r.at_end()) return fail(malformed("nonce is not an OCTET STRING"));
  if (v->size() < kMinOcspNonce || v->size() > kMaxOcspNonce)
    return fail(malformed("nonce of " + std::to_string(v->size()) + " octets (RFC 8954: 1 to 32)"));
  return Bytes(v->begin(), v->end());
}

void write_extension(der::Writer& w, const der::Oid& oid, bool critical, BytesView value) {
  w.add_sequence([&](der::Writer& e) {
    e.add_oid(oid);
    if (critical) e.add_boolean(true);
    e.add_octet_string(value);
  });
}

Bytes nonce_extension_value(BytesView nonce) {
  der::Writer w;
  w.add_octet_string(nonce);
  return w.take();
}

std::optional<RevocationReason> reason_from_int(std::int64_t v) {
  if (v < 0 || v > 10 || v == 7) return std::nullopt;
  return static_cast<RevocationReason>(v);
}

// SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate
//   GeneralizedTime, nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1]
//   EXPLICIT Extensions OPTIONAL }
// CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
//   unknown [2] IMPLICIT UnknownInfo }
// RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT
//   CRLReason OPTIONAL }
Result<OcspSingleResponse> read_single_response(der::Reader& r) {
  auto seq = HPKI_TRY(r.read_sequence());
  OcspSingleResponse s;
  s.id = HPKI_OCSP_TRY("certID", read_cert_id(seq));
  if (seq.peek_is(der::Tag::context(0))) {
    HPKI_TRY(seq.read_null(der::Tag::context(0)));
    s.status = OcspCertStatus::kGood;
  } else if (seq.peek_is(der::Tag::context_constructed(1))) {
    auto ri = HPKI_TRY(seq.read_constructed(der::Tag::context_constructed(1)));
    s.status = OcspCertStatus::kRevoked;
    s.revocation_time = to_time_point(HPKI_TRY(ri.read_generalized_time()));
    if (auto reason = HPKI_TRY(ri.read_optional_explicit(0))) {
      auto v = HPKI_TRY(reason->read_enumerated());
      HPKI_TRY(reason->expect_end());
      s.reason = reason_from_int(v);
      if (!s.reason) return fail(malformed("unknown revocationReason " + std::to_string(v)));
    }
    HPKI_TRY(ri.expect_end());
  } else if (seq.peek_is(der::Tag::context(2))) {
    HPKI_TRY(seq.read_null(der::Tag::context(2)));
    s.status = OcspCertStatus::kUnknown;
  } else {
    return fail(malformed("certStatus is not good [0], revoked [1] or unknown [2]"));
  }
  s.this_update = to_time_point(HPKI_TRY(seq.read_generalized_time()));
  if (auto nu = HPKI_TRY(seq.read_optional_explicit(0))) {
    s.next_update = to_time_point(HPKI_TRY(nu->read_generalized_time()));
    HPKI_TRY(nu->expect_end());
  }
  if (auto ex = HPKI_TRY(seq.read_optional_explicit(1))) {
    s.extensions = HPKI_TRY(read_extensions(*ex));
    HPKI_TRY(ex->expect_end());
  }
  HPKI_TRY(seq.expect_end());
  return s;
}

Result<void> write_single_response(der::Writer& w, const OcspSingleResponse& s) {
  return w.add_sequence([&](der::Writer& q) -> Result<void> {
    HPKI_TRY(write_cert_id(q, s.id));
    switch (s.status) {
      case OcspCertStatus::kGood:
        q.add_null(der::Tag::context(0));
        break;
      case OcspCertStatus::kRevoked: {
        if (!s.revocation_time)
          return fail(ErrorCode::kInvalidArgument, "revoked SingleResponse without a time");
        HPKI_TRY(q.add_constructed(der::Tag::context_constructed(1),
                                   [&](der::Writer& ri) -> Result<void> {
                                     HPKI_TRY(ri.add_generalized_time(to_der(*s.revocation_time)));
                                     if (s.reason) {
                                       ri.add_explicit(0, [&](der::Writer& e) {
                                         e.add_enumerated(static_cast<std::int64_t>(*s.reason));
                                       });
                                     }
                                     return {};
                                   }));
        break;
      }
      case OcspCertStatus::kUnknown:
        q.add_null(der::Tag::context(2));
        break;
    }
    HPKI_TRY(q.add_generalized_time(to_der(s.this_update)));
    if (s.next_update) {
      HPKI_TRY(q.add_explicit(
          0, [&](der::Writer& e) { return e.add_generalized_time(to_der(*s.next_update)); }));
    }
    return {};
  });
}

Result<crypto::SignatureAlg> signature_alg_for(const AlgorithmIdentifier& a) {
  return signature_alg_from(a);
}

}  // namespace

Result<Bytes> ocsp_key_hash(BytesView spki_der) {
  auto bits = HPKI_TRY(spki_public_key_bits(spki_der));
  return crypto::digest(crypto::HashAlg::kSha1, bits);
}

Result<OcspCertId> make_ocsp_cert_id(crypto::HashAlg hash, const Certificate& issuer,
                                     BytesView serial) {
  OcspCertId id;
  id.hash_oid = HPKI_TRY(hash_oid(hash));
  id.hash = hash;
  id.issuer_name_hash = HPKI_TRY(crypto::digest(hash, issuer.subject().der));
  auto bits = HPKI_TRY(spki_public_key_bits(issuer.spki_der()));
  id.issuer_key_hash = HPKI_TRY(crypto::digest(hash, bits));
  if (serial.empty()) return fail(ErrorCode::kInvalidArgument, "empty serial");
  id.serial.assign(serial.begin(), serial.end());
  return id;
}

bool ocsp_cert_id_matches_issuer(const OcspCertId& id, const Certificate& issuer) {
  if (!id.hash) return false;
  auto name = crypto::digest(*id.hash, issuer.subject().der);
  if (!name || *name != id.issuer_name_hash) return false;
  auto bits = spki_public_key_bits(issuer.spki_der());
  if (!bits) return false;
  auto key = crypto::digest(*id.hash, *bits);
  return key && *key == id.issuer_key_hash;
}

// RFC 6960 4.1.1:
// OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature
//   OPTIONAL }
// TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, requestorName [1]
//   EXPLICIT GeneralName OPTIONAL, requestList SEQUENCE OF Request, requestExtensions [2]
//   EXPLICIT Extensions OPTIONAL }
// Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions
//   OPTIONAL }
Result<OcspRequest> parse_ocsp_request(BytesView input) {
  if (input.size() > kMaxOcspRequestSize) {
    return fail(ErrorCode::kTooLarge, "OCSP request of " + std::to_string(input.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxOcspRequestSize));
  }
  auto body = [&]() -> Result<OcspRequest> {
    der::Reader top(input);
    auto req = HPKI_TRY(top.read_sequence());
    HPKI_TRY(top.expect_end());
    auto tbs = HPKI_TRY(req.read_sequence());
    OcspRequest out;
    if (auto v = HPKI_TRY(tbs.read_optional_explicit(0))) {
      auto version = HPKI_TRY(v->read_int64());
      HPKI_TRY(v->expect_end());
      if (version != 0) return fail(malformed("version " + std::to_string(version) + " (v1 is 0)"));
    }
    if (auto name = HPKI_TRY(tbs.read_optional_explicit(1))) {
      HPKI_OCSP_TRY("requestorName", read_general_name(*name));
      HPKI_TRY(name->expect_end());
    }
    auto list = HPKI_TRY(tbs.read_sequence());
    while (!list.at_end()) {
      if (out.ids.size() == kMaxOcspRequestEntries) {
        return fail(
            ErrorCode::kLimitExceeded,
            "more than " + std::to_string(kMaxOcspRequestEntries) + " requests in one OCSPRequest");
      }
      auto one = HPKI_TRY(list.read_sequence());
      out.ids.push_back(HPKI_OCSP_TRY("reqCert", read_cert_id(one)));
      if (auto ex = HPKI_TRY(one.read_optional_explicit(0))) {
        auto exts = HPKI_TRY(read_extensions(*ex));
        HPKI_TRY(ex->expect_end());
        for (const auto& e : exts) {
          if (e.critical)
            return fail(malformed("unknown critical singleRequestExtension " + e.oid.to_string()));
        }
      }
      HPKI_TRY(one.expect_end());
    }
    if (out.ids.empty()) return fail(malformed("empty requestList"));
    if (auto ex = HPKI_TRY(tbs.read_optional_explicit(2))) {
      auto exts = HPKI_TRY(read_extensions(*ex));
      HPKI_TRY(ex->expect_end());
      for (const auto& e : exts) {
        if (e.oid == der::oids::kOcspNonce) {
          if (out.nonce) return fail(malformed("nonce extension repeated"));
          out.nonce = HPKI_TRY(decode_nonce(e.value));
        } else if (e.critical) {
          return fail(malformed("unknown critical requestExtension " + e.oid.to_string()));
        }
      }
    }
    HPKI_TRY(tbs.expect_end());
    if (auto sig = HPKI_TRY(req.read_optional_explicit(0))) {
      // Signature ::= SEQUENCE { signatureAlgorithm, signature BIT STRING, certs [0] ... }
      auto s = HPKI_TRY(sig->read_sequence());
      HPKI_TRY(read_algorithm_identifier(s));
      HPKI_TRY(s.read_bit_string());
      if (auto certs = HPKI_TRY(s.read_optional_explicit(0))) {
        auto seq = HPKI_TRY(certs->read_sequence());
        while (!seq.at_end()) HPKI_TRY(seq.read_element(der::kSequence));
        HPKI_TRY(certs->expect_end());
      }
      HPKI_TRY(s.expect_end());
      HPKI_TRY(sig->expect_end());
      out.has_signature = true;
    }
    HPKI_TRY(req.expect_end());
    return out;
  }();
  if (!body) return fail(body.error().with_context("OCSPRequest"));
  return body;
}

Result<Bytes> build_ocsp_request(const std::vector<OcspCertId>& ids,
                                 std::optional<BytesView> nonce) {
  if (ids.empty()) return fail(ErrorCode::kInvalidArgument, "OCSP request without CertID");
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& req) -> Result<void> {
    return req.add_sequence([&](der::Writer& tbs) -> Result<void> {
      HPKI_TRY(tbs.add_sequence([&](der::Writer& list) -> Result<void> {
        for (const auto& id : ids) {
          HPKI_TRY(list.add_sequence([&](der::Writer& one) { return write_cert_id(one, id); }));
        }
        return {};
      }));
      if (nonce) {
        tbs.add_explicit(2, [&](der::Writer& ex) {
          ex.add_sequence([&](der::Writer& l) {
            write_extension(l, der::oids::kOcspNonce, false, nonce_extension_value(*nonce));
          });
        });
      }
      return {};
    });
  }));
  return w.take();
}

std::string_view ocsp_response_status_name(OcspResponseStatus s) {
  switch (s) {
    case OcspResponseStatus::kSuccessful:
      return "successful";
    case OcspResponseStatus::kMalformedRequest:
      return "malformedRequest";
    case OcspResponseStatus::kInternalError:
      return "internalError";
    case OcspResponseStatus::kTryLater:
      return "tryLater";
    case OcspResponseStatus::kSigRequired:
      return "sigRequired";
    case OcspResponseStatus::kUnauthorized:
      return "unauthorized";
  }
  return "unknown";
}

std::string_view ocsp_cert_status_name(OcspCertStatus s) {
  switch (s) {
    case OcspCertStatus::kGood:
      return "good";
    case OcspCertStatus::kRevoked:
      return "revoked";
    case OcspCertStatus::kUnknown:
      return "unknown";
  }
  return "unknown";
}

// RFC 6960 4.2.1:
// OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus, responseBytes [0] EXPLICIT
//   ResponseBytes OPTIONAL }
// ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
// BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm
//   AlgorithmIdentifier, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate
//   OPTIONAL }
// ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, responderID ResponderID,
//   producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse, responseExtensions [1]
//   EXPLICIT Extensions OPTIONAL }
// ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
Result<Bytes> build_ocsp_response(const OcspResponseTemplate& t, const crypto::Signer& signer) {
  if (t.responses.empty())
    return fail(ErrorCode::kInvalidArgument, "OCSP response without SingleResponse");
  if (t.nonce && (t.nonce->size() < kMinOcspNonce || t.nonce->size() > kMaxOcspNonce))
    return fail(ErrorCode::kInvalidArgument, "nonce length outside 1..32");
  if (signer.public_key_der() != Bytes(t.responder_spki.begin(), t.responder_spki.end()))
    return fail(ErrorCode::kKeyMismatch, "the signer's key is not the responder's key");
  const auto key_hash = HPKI_TRY(ocsp_key_hash(t.responder_spki));
  der::Writer tbs;
  HPKI_TRY(tbs.add_sequence([&](der::Writer& rd) -> Result<void> {
    rd.add_explicit(2, [&](der::Writer& k) { k.add_octet_string(key_hash); });
    HPKI_TRY(rd.add_generalized_time(to_der(t.produced_at)));
    HPKI_TRY(rd.add_sequence([&](der::Writer& list) -> Result<void> {
      for (const auto& s : t.responses) HPKI_TRY(write_single_response(list, s));
      return {};
    }));
    if (t.nonce || t.extended_revoke) {
      rd.add_explicit(1, [&](der::Writer& ex) {
        ex.add_sequence([&](der::Writer& l) {
          if (t.nonce)
            write_extension(l, der::oids::kOcspNonce, false, nonce_extension_value(*t.nonce));
          if (t.extended_revoke) write_extension(l, kOcspExtendedRevoke, false, Bytes{0x05, 0x00});
        });
      });
    }
    return {};
  }));
  const auto alg = signer.algorithm();
  const auto signature = HPKI_TRY(signer.sign(tbs.view()));
  der::Writer basic;
  basic.reserve(tbs.size() + signature.size() + 64);
  HPKI_TRY(basic.add_sequence([&](der::Writer& b) -> Result<void> {
    HPKI_TRY(b.add_raw(tbs.view()));
    HPKI_TRY(b.add_raw(algorithm_identifier_der(alg)));
    HPKI_TRY(b.add_bit_string(signature));
    if (!t.certs.empty()) {
      HPKI_TRY(b.add_explicit(0, [&](der::Writer& e) -> Result<void> {
        return e.add_sequence([&](der::Writer& l) -> Result<void> {
          for (auto c : t.certs) HPKI_TRY(l.add_raw(c));
          return {};
        });
      }));
    }
    return {};
  }));
  der::Writer out;
  out.reserve(basic.size() + 32);
  out.add_sequence([&](der::Writer& r) {
    r.add_enumerated(0);
    r.add_explicit(0, [&](der::Writer& e) {
      e.add_sequence([&](der::Writer& rb) {
        rb.add_oid(der::oids::kOcspBasic);
        rb.add_octet_string(basic.view());
      });
    });
  });
  return out.take();
}

Bytes build_ocsp_error_response(OcspResponseStatus status) {
  der::Writer w;
  w.add_sequence([&](der::Writer& r) { r.add_enumerated(static_cast<std::int64_t>(status)); });
  return w.take();
}

Result<std::shared_ptr<const BasicOcspResponse>> BasicOcspResponse::parse(BytesView input) {
  if (input.size() > kMaxOcspResponseSize) {
    return fail(ErrorCode::kTooLarge, "OCSP response of " + std::to_string(input.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxOcspResponseSize));
  }
  std::shared_ptr<BasicOcspResponse> r(new BasicOcspResponse());
  r->der_.assign(input.begin(), input.end());
  auto body = [&]() -> Result<void> {
    der::Reader top(r->der_);
    auto seq = HPKI_TRY(top.read_sequence());
    HPKI_TRY(top.expect_end());
    auto tbs_el = HPKI_TRY(seq.read_element(der::kSequence));
    r->tbs_ = tbs_el.encoded;
    der::Reader rd(tbs_el.value, tbs_el.offset, seq.depth() + 1);
    if (auto v = HPKI_TRY(rd.read_optional_explicit(0))) {
      auto version = HPKI_TRY(v->read_int64());
      HPKI_TRY(v->expect_end());
      if (version != 0) return fail(malformed("version " + std::to_string(version) + " (v1 is 0)"));
      // RFC 6960 4.2.1: version DEFAULT v1; X.690 11.5: a DEFAULT value is not encoded.
      return fail(malformed("version v1 encoded explicitly (DER forbids DEFAULT values)"));
    }
    if (auto by_name = HPKI_TRY(rd.read_optional_explicit(1))) {
      auto el = HPKI_TRY(by_name->read_element(der::kSequence));
      HPKI_TRY(by_name->expect_end());
      r->by_name_ = HPKI_OCSP_TRY("responderID byName", parse_name(el.encoded));
    } else if (auto by_key = HPKI_TRY(rd.read_optional_explicit(2))) {
      auto h = HPKI_TRY(by_key->read_octet_string());
      HPKI_TRY(by_key->expect_end());
      if (h.size() != 20) return fail(malformed("responderID byKey is not a SHA-1 hash"));
      r->by_key_ = Bytes(h.begin(), h.end());
    } else {
      return fail(malformed("responderID is neither byName [1] nor byKey [2]"));
    }
    r->produced_at_ = to_time_point(HPKI_OCSP_TRY("producedAt", rd.read_generalized_time()));
    auto list = HPKI_TRY(rd.read_sequence());
    while (!list.at_end()) {
      if (r->responses_.size() == kMaxOcspRequestEntries)
        return fail(ErrorCode::kLimitExceeded, "too many SingleResponses");
      r->responses_.push_back(HPKI_OCSP_TRY("SingleResponse", read_single_response(list)));
    }
    if (auto ex = HPKI_TRY(rd.read_optional_explicit(1))) {
      r->extensions_ = HPKI_TRY(read_extensions(*ex));
      HPKI_TRY(ex->expect_end());
      for (const auto& e : r->extensions_) {
        if (e.oid == der::oids::kOcspNonce) {
          der::Reader n(e.value);
          if (!n.read_octet_string() || !n.at_end())
            return fail(malformed("nonce is not an OCTET STRING"));
        }
      }
    }
    HPKI_TRY(rd.expect_end());
    r->sig_alg_ = HPKI_TRY(read_algorithm_identifier(seq));
    auto bits = HPKI_TRY(seq.read_bit_string());
    if (bits.unused_bits != 0) return fail(malformed("signature has unused bits"));
    r->signature_.assign(bits.bytes.begin(), bits.bytes.end());
    if (auto certs = HPKI_TRY(seq.read_optional_explicit(0))) {
      auto l = HPKI_TRY(certs->read_sequence());
      HPKI_TRY(certs->expect_end());
      while (!l.at_end()) {
        if (r->certs_.size() == 16) return fail(ErrorCode::kLimitExceeded, "too many certs");
        auto el = HPKI_TRY(l.read_element(der::kSequence));
        r->certs_.push_back(HPKI_OCSP_TRY("certs", Certificate::parse(el.encoded)));
      }
    }
    HPKI_TRY(seq.expect_end());
    return {};
  }();
  if (!body) return fail(body.error().with_context("BasicOCSPResponse"));
  return std::shared_ptr<const BasicOcspResponse>(std::move(r));
}

std::optional<Bytes> BasicOcspResponse::nonce() const {
  for (const auto& e : extensions_) {
    if (e.oid != der::oids::kOcspNonce) continue;
    der::Reader n(e.value);
    auto v = n.read_octet_string();
    if (v) return Bytes(v->begin(), v->end());
  }
  return std::nullopt;
}

Result<void> BasicOcspResponse::verify_signature(BytesView signer_spki,
                                                 std::string_view sm2_id) const {
  if (sig_alg_.oid == der::oids::kSha1WithRsaEncryption)
    return crypto::verify_rsa_pkcs1_sha1(signer_spki, tbs_, signature_);
  auto alg = HPKI_TRY(signature_alg_for(sig_alg_));
  return crypto::verify_signature(signer_spki, alg, tbs_, signature_, sm2_id);
}

bool BasicOcspResponse::responder_is(const Certificate& cert) const {
  if (by_key_) {
    auto h = ocsp_key_hash(cert.spki_der());
    return h && *h == *by_key_;
  }
  return by_name_ && *by_name_ == cert.subject();
}

Result<OcspResponse> parse_ocsp_response_envelope(BytesView input) {
  if (input.size() > kMaxOcspResponseSize) {
    return fail(ErrorCode::kTooLarge, "OCSP response of " + std::to_string(input.size()) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxOcspResponseSize));
  }
  auto body = [&]() -> Result<OcspResponse> {
    der::Reader top(input);
    auto seq = HPKI_TRY(top.read_sequence());
    HPKI_TRY(top.expect_end());
    OcspResponse out;
    const auto st = HPKI_TRY(seq.read_enumerated());
    switch (st) {
      case 0:
      case 1:
      case 2:
      case 3:
      case 5:
      case 6:
        out.status = static_cast<OcspResponseStatus>(st);
        break;
      default:
        return fail(malformed("unknown responseStatus " + std::to_string(st)));
    }
    if (auto rb = HPKI_TRY(seq.read_optional_explicit(0))) {
      auto b = HPKI_TRY(rb->read_sequence());
      HPKI_TRY(rb->expect_end());
      out.response_type = HPKI_TRY(b.read_oid());
      auto bytes = HPKI_TRY(b.read_octet_string());
      HPKI_TRY(b.expect_end());
      out.response_bytes.assign(bytes.begin(), bytes.end());
    }
    HPKI_TRY(seq.expect_end());
    if (out.status == OcspResponseStatus::kSuccessful && !out.response_type)
      return fail(malformed("successful response without responseBytes"));
    return out;
  }();
  if (!body) return fail(body.error().with_context("OCSPResponse"));
  return body;
}

Result<OcspResponse> parse_ocsp_response(BytesView input) {
  auto out = HPKI_TRY(parse_ocsp_response_envelope(input));
  if (out.status == OcspResponseStatus::kSuccessful) {
    if (*out.response_type != der::oids::kOcspBasic)
      return fail(malformed("OCSPResponse: responseType " + out.response_type->to_string() +
                            " is not id-pkix-ocsp-basic"));
    out.basic = HPKI_TRY(BasicOcspResponse::parse(out.response_bytes));
  }
  return out;
}

std::string_view ocsp_validity_name(OcspValidity v) {
  switch (v) {
    case OcspValidity::kValid:
      return "valid";
    case OcspValidity::kNoMatchingResponse:
      return "no matching response";
    case OcspValidity::kUnhandledCriticalExtension:
      return "unhandled critical extension";
    case OcspValidity::kNotYetValid:
      return "not yet valid";
    case OcspValidity::kExpired:
      return "expired";
    case OcspValidity::kTooOld:
      return "too old";
    case OcspValidity::kBadProducedAt:
      return "producedAt outside the certificate's validity";
    case OcspValidity::kUntrustedResponder:
      return "no authorised responder";
    case OcspValidity::kBadSignature:
      return "bad signature";
  }
  return "unknown";
}

namespace {

// RFC 6960 4.2.2.2 item 3: a certificate issued by the CA, with id-kp-OCSPSigning, valid when
// the response was produced.
bool is_authorised_delegate(const Certificate& c, const Certificate& issuer, TimePoint at,
                            std::string_view sm2_id) {
  if (!(c.issuer() == issuer.subject())) return false;
  if (!verify_certificate_signature(c, issuer.spki_der(), sm2_id)) return false;
  const auto* eku = c.find_extension(der::oids::kExtKeyUsage);
  if (eku == nullptr) return false;
  auto purposes = parse_extended_key_usage(eku->value);
  if (!purposes) return false;
  if (std::find(purposes->begin(), purposes->end(), der::oids::kOcspSigning) == purposes->end())
    return false;
  return c.validity().not_before <= at && at <= c.validity().not_after;
}

int severity(OcspCertStatus s) {
  switch (s) {
    case OcspCertStatus::kGood:
      return 0;
    case OcspCertStatus::kUnknown:
      return 1;
    case OcspCertStatus::kRevoked:
      return 2;
  }
  return 1;
}

}  // namespace

OcspCheckResult check_ocsp_response(const BasicOcspResponse& resp, const Certificate& cert,
                                    const Certificate& issuer, const OcspCheckOptions& o) {
  OcspCheckResult out;
  auto with = [&out](OcspValidity v) {
    out.validity = v;
    out.status = OcspCertStatus::kUnknown;
    out.revocation_time.reset();
    out.reason.reset();
    return out;
  };
  // Who signed: the issuer itself, a delegate in the response, or a trusted responder.
  CertificatePtr signer;
  if (resp.responder_is(issuer)) {
    if (auto c = Certificate::parse(issuer.der())) signer = *c;
  }
  if (!signer) {
    for (const auto& c : resp.certs()) {
      if (resp.responder_is(*c) &&
          is_authorised_delegate(*c, issuer, resp.produced_at(), o.sm2_id) &&
          (!o.accept_delegate || o.accept_delegate(c))) {
        signer = c;
        break;
      }
    }
  }
  if (!signer) {
    for (const auto& c : o.trusted_responders) {
      if (resp.responder_is(*c)) {
        signer = c;
        break;
      }
    }
  }
  if (!signer) return with(OcspValidity::kUntrustedResponder);
  if (!resp.verify_signature(signer->spki_der(), o.sm2_id))
    return with(OcspValidity::kBadSignature);
  out.signer = signer;

  for (const auto& e : resp.extensions()) {
    if (e.critical && e.oid != der::oids::kOcspNonce && e.oid != kOcspExtendedRevoke)
      return with(OcspValidity::kUnhandledCriticalExtension);
  }
  // RFC 6960 4.2.2.1 / Chromium: producedAt must lie in the certificate's validity.
  if (resp.produced_at() < cert.validity().not_before ||
      resp.produced_at() > cert.validity().not_after)
    return with(OcspValidity::kBadProducedAt);

  bool found = false;
  std::optional<OcspValidity> date_problem;
  for (const auto& s : resp.responses()) {
    if (s.id.serial != cert.serial() || !ocsp_cert_id_matches_issuer(s.id, issuer)) continue;
    for (const auto& e : s.extensions) {
      if (e.critical && e.oid != kOcspSctList)
        return with(OcspValidity::kUnhandledCriticalExtension);
    }
    // RFC 5019 4 / RFC 6960 3.2 items 4-5: thisUpdate recent enough, nextUpdate not passed.
    // Arithmetic only on the caller's time: decoded dates may be saturated (TimePoint::max()).
    if (s.this_update > o.now + o.tolerance) {
      date_problem = OcspValidity::kNotYetValid;
      continue;
    }
    if (s.next_update && *s.next_update < o.now - o.tolerance) {
      date_problem = OcspValidity::kExpired;
      continue;
    }
    if (o.max_age && s.this_update < o.now - *o.max_age) {
      date_problem = OcspValidity::kTooOld;
      continue;
    }
    if (!found || severity(s.status) > severity(out.status)) {
      out.status = s.status;
      out.revocation_time = s.revocation_time;
      out.reason = s.reason;
    }
    found = true;
  }
  if (!found) {
    auto r = with(date_problem.value_or(OcspValidity::kNoMatchingResponse));
    r.signer = signer;
    return r;
  }
  out.validity = OcspValidity::kValid;
  return out;
}

}  // namespace hpki::x509
