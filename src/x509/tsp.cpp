#include "x509/tsp.h"

#include <chrono>
#include <string>

#include "crypto/digest.h"
#include "der/oids.h"
#include "der/reader.h"
#include "der/writer.h"
#include "x509/cms.h"
#include "x509/detail/asn1_common.h"

namespace hpki::x509::tsp {
namespace {

Error malformed(std::string_view what, std::string_view where, const Error& e) {
  const auto code = e.code() == ErrorCode::kTrailingData ? e.code() : ErrorCode::kMalformed;
  return Error{code, std::string(what) + " " + std::string(where) + ": " + e.detail()};
}

#define HPKI_TSP_TRY(what, where, expr)                                         \
  __extension__({                                                               \
    auto hpki_tsp_r_ = (expr);                                                  \
    if (!hpki_tsp_r_) return fail(malformed(what, where, hpki_tsp_r_.error())); \
    std::move(hpki_tsp_r_).value();                                             \
  })

Result<MessageImprint> read_imprint(der::Reader& r) {
  auto seq = HPKI_TRY(r.read_sequence());
  MessageImprint m;
  auto alg = HPKI_TRY(read_algorithm_identifier(seq));
  m.hash_algorithm = alg.oid;
  m.hash_parameters = alg.parameters;
  auto h = HPKI_TRY(seq.read_octet_string());
  m.hashed_message.assign(h.begin(), h.end());
  HPKI_TRY(seq.expect_end());
  return m;
}

Result<void> write_imprint(der::Writer& w, const MessageImprint& m) {
  return w.add_sequence([&](der::Writer& s) -> Result<void> {
    HPKI_TRY(s.add_sequence([&](der::Writer& a) -> Result<void> {
      a.add_oid(m.hash_algorithm);
      if (!m.hash_parameters.empty()) HPKI_TRY(a.add_raw(m.hash_parameters));
      return {};
    }));
    s.add_octet_string(m.hashed_message);
    return {};
  });
}

Result<void> write_extensions(der::Writer& w, const std::vector<Extension>& exts, der::Tag tag) {
  w.add_constructed(tag, [&](der::Writer& s) {
    for (const auto& e : exts) {
      s.add_sequence([&](der::Writer& x) {
        x.add_oid(e.oid);
        if (e.critical) x.add_boolean(true);
        x.add_octet_string(e.value);
      });
    }
  });
  return {};
}

// [n] IMPLICIT Extensions: read the content as a SEQUENCE OF Extension.
Result<std::vector<Extension>> read_implicit_extensions(der::Reader& r, std::uint32_t n) {
  auto el = HPKI_TRY(r.read_element(der::Tag::context_constructed(n)));
  // Re-wrap as a universal SEQUENCE so the shared Extensions reader applies.
  der::Writer w;
  w.add_element(der::kSequence, el.value);
  Bytes wrapped = w.take();
  der::Reader er(wrapped, el.offset, r.depth());
  return read_extensions(er);
}

// GeneralizedTime with optional fractional seconds (RFC 3161 2.4.2: "YYYYMMDDhhmmss[.s...]Z",
// no trailing zeros in the fraction, no fraction of zero).
Result<TimePoint> read_gen_time(der::Reader& r) {
  auto el = HPKI_TRY(r.read_element(der::kGeneralizedTime));
  std::string_view s(reinterpret_cast<const char*>(el.value.data()), el.value.size());
  if (s.size() > 15 && s[14] == '.') {
    const auto z = s.size() - 1;
    if (s[z] != 'Z') return fail(ErrorCode::kMalformed, "genTime: missing Z");
    std::string_view frac = s.substr(15, z - 15);
    if (frac.empty() || frac.size() > 9 || frac.back() == '0')
      return fail(ErrorCode::kMalformed, "genTime: bad fraction of a second");
    std::int64_t ns = 0;
    for (std::size_t i = 0; i < 9; ++i) {
      char c = i < frac.size() ? frac[i] : '0';
      if (c < '0' || c > '9') return fail(ErrorCode::kMalformed, "genTime: bad fraction digit");
      ns = ns * 10 + (c - '0');
    }
    std::string base(s.substr(0, 14));
    base += 'Z';
    const auto t = to_time_point(HPKI_TRY(der::decode_generalized_time(to_bytes(base))));
    if (t == TimePoint::max()) return t;  // saturated: no fraction to add
    return t + std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns));
  }
  return to_time_point(HPKI_TRY(der::decode_generalized_time(el.value)));
}

}  // namespace

std::string_view to_string(PkiStatus s) noexcept {
  switch (s) {
    case PkiStatus::kGranted:
      return "granted";
    case PkiStatus::kGrantedWithMods:
      return "grantedWithMods";
    case PkiStatus::kRejection:
      return "rejection";
    case PkiStatus::kWaiting:
      return "waiting";
    case PkiStatus::kRevocationWarning:
      return "revocationWarning";
    case PkiStatus::kRevocationNotification:
      return "revocationNotification";
  }
  return "unknown";
}

std::string_view to_string(FailureInfo f) noexcept {
  switch (f) {
    case FailureInfo::kBadAlg:
      return "badAlg";
    case FailureInfo::kBadRequest:
      return "badRequest";
    case FailureInfo::kBadDataFormat:
      return "badDataFormat";
    case FailureInfo::kTimeNotAvailable:
      return "timeNotAvailable";
    case FailureInfo::kUnacceptedPolicy:
      return "unacceptedPolicy";
    case FailureInfo::kUnacceptedExtension:
      return "unacceptedExtension";
    case FailureInfo::kAddInfoNotAvailable:
      return "addInfoNotAvailable";
    case FailureInfo::kSystemFailure:
      return "systemFailure";
  }
  return "unknown";
}

// ---------------------------------------------------------------- TimeStampReq (RFC 3161 2.4.1)

Result<TimeStampReq> parse_request(BytesView der) {
  constexpr std::string_view kWhat = "TimeStampReq";
  if (der.size() > kMaxRequestSize)
    return fail(ErrorCode::kTooLarge,
                "TimeStampReq: more than " + std::to_string(kMaxRequestSize) + " bytes");
  der::Reader top(der);
  auto seq = HPKI_TSP_TRY(kWhat, "", top.read_sequence());
  HPKI_TSP_TRY(kWhat, "", top.expect_end());
  TimeStampReq req;
  auto version = HPKI_TSP_TRY(kWhat, "version", seq.read_int64());
  if (version != 1)
    return fail(ErrorCode::kUnsupported, "TimeStampReq version " + std::to_string(version));
  req.message_imprint = HPKI_TSP_TRY(kWhat, "messageImprint", read_imprint(seq));
  if (seq.peek_is(der::kObjectIdentifier))
    req.req_policy = HPKI_TSP_TRY(kWhat, "reqPolicy", seq.read_oid());
  if (seq.peek_is(der::kInteger)) {
    auto n = HPKI_TSP_TRY(kWhat, "nonce", seq.read_integer());
    req.nonce = Bytes(n.begin(), n.end());
  }
  if (seq.peek_is(der::kBoolean)) {
    req.cert_req = HPKI_TSP_TRY(kWhat, "certReq", seq.read_boolean());
    // X.690 11.5: a DEFAULT value is not encoded in DER.
    if (!req.cert_req) return fail(ErrorCode::kMalformed, "TimeStampReq certReq: FALSE encoded");
  }
  if (seq.peek_is(der::Tag::context_constructed(0)))
    req.extensions = HPKI_TSP_TRY(kWhat, "extensions", read_implicit_extensions(seq, 0));
  HPKI_TSP_TRY(kWhat, "", seq.expect_end());
  return req;
}

Result<Bytes> encode_request(const TimeStampReq& req) {
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
    s.add_integer(req.version);
    HPKI_TRY(write_imprint(s, req.message_imprint));
    if (req.req_policy) s.add_oid(*req.req_policy);
    if (req.nonce) HPKI_TRY(s.add_integer_bytes(*req.nonce));
    if (req.cert_req) s.add_boolean(true);
    if (!req.extensions.empty())
      HPKI_TRY(write_extensions(s, req.extensions, der::Tag::context_constructed(0)));
    return {};
  }));
  return w.take();
}

// ---------------------------------------------------------------- TSTInfo (RFC 3161 2.4.2)

Result<Bytes> encode_tst_info(const TstInfo& t) {
  if (t.accuracy &&
      (t.accuracy->seconds < 0 || t.accuracy->millis < 0 || t.accuracy->millis > 999 ||
       t.accuracy->micros < 0 || t.accuracy->micros > 999))
    return fail(ErrorCode::kInvalidArgument, "TSTInfo accuracy out of range");
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
    s.add_integer(t.version);
    s.add_oid(t.policy);
    HPKI_TRY(write_imprint(s, t.message_imprint));
    HPKI_TRY(s.add_integer_bytes(t.serial));
    HPKI_TRY(s.add_generalized_time(std::chrono::floor<std::chrono::seconds>(t.gen_time)));
    if (t.accuracy && *t.accuracy != Accuracy{}) {
      // Components that are zero are absent (millis/micros are 1..999 when present).
      s.add_sequence([&](der::Writer& a) {
        if (t.accuracy->seconds > 0) a.add_integer(t.accuracy->seconds);
        if (t.accuracy->millis > 0) a.add_integer(t.accuracy->millis, der::Tag::context(0));
        if (t.accuracy->micros > 0) a.add_integer(t.accuracy->micros, der::Tag::context(1));
      });
    }
    if (t.ordering) s.add_boolean(true);
    if (t.nonce) HPKI_TRY(s.add_integer_bytes(*t.nonce));
    if (t.tsa_name)
      HPKI_TRY(s.add_explicit(0, [&](der::Writer& g) { return g.add_raw(*t.tsa_name); }));
    if (!t.extensions.empty())
      HPKI_TRY(write_extensions(s, t.extensions, der::Tag::context_constructed(1)));
    return {};
  }));
  return w.take();
}

Result<TstInfo> parse_tst_info(BytesView der) {
  constexpr std::string_view kWhat = "TSTInfo";
  if (der.size() > kMaxRequestSize)
    return fail(ErrorCode::kTooLarge, "TSTInfo: more than " + std::to_string(kMaxRequestSize));
  der::Reader top(der);
  auto seq = HPKI_TSP_TRY(kWhat, "", top.read_sequence());
  HPKI_TSP_TRY(kWhat, "", top.expect_end());
  TstInfo t;
  t.version = static_cast<int>(HPKI_TSP_TRY(kWhat, "version", seq.read_int64()));
  if (t.version != 1)
    return fail(ErrorCode::kUnsupported, "TSTInfo version " + std::to_string(t.version));
  t.policy = HPKI_TSP_TRY(kWhat, "policy", seq.read_oid());
  t.message_imprint = HPKI_TSP_TRY(kWhat, "messageImprint", read_imprint(seq));
  auto serial = HPKI_TSP_TRY(kWhat, "serialNumber", seq.read_integer());
  t.serial.assign(serial.begin(), serial.end());
  t.gen_time = HPKI_TSP_TRY(kWhat, "genTime", read_gen_time(seq));
  if (auto acc = HPKI_TSP_TRY(kWhat, "accuracy", seq.read_optional_constructed(der::kSequence))) {
    Accuracy a;
    if (acc->peek_is(der::kInteger))
      a.seconds = static_cast<int>(HPKI_TSP_TRY(kWhat, "accuracy.seconds", acc->read_int64()));
    if (acc->peek_is(der::Tag::context(0)))
      a.millis = static_cast<int>(
          HPKI_TSP_TRY(kWhat, "accuracy.millis", acc->read_int64(der::Tag::context(0))));
    if (acc->peek_is(der::Tag::context(1)))
      a.micros = static_cast<int>(
          HPKI_TSP_TRY(kWhat, "accuracy.micros", acc->read_int64(der::Tag::context(1))));
    HPKI_TSP_TRY(kWhat, "accuracy", acc->expect_end());
    if (a.seconds < 0 || a.millis < 0 || a.millis > 999 || a.micros < 0 || a.micros > 999)
      return fail(ErrorCode::kMalformed, "TSTInfo accuracy out of range");
    t.accuracy = a;
  }
  if (seq.peek_is(der::kBoolean)) t.ordering = HPKI_TSP_TRY(kWhat, "ordering", seq.read_boolean());
  if (seq.peek_is(der::kInteger)) {
    auto n = HPKI_TSP_TRY(kWhat, "nonce", seq.read_integer());
    t.nonce = Bytes(n.begin(), n.end());
  }
  if (auto tsa = HPKI_TSP_TRY(kWhat, "tsa", seq.read_optional_explicit(0))) {
    auto g = HPKI_TSP_TRY(kWhat, "tsa", tsa->read_tlv());
    HPKI_TSP_TRY(kWhat, "tsa", tsa->expect_end());
    t.tsa_name = Bytes(g.encoded.begin(), g.encoded.end());
  }
  if (seq.peek_is(der::Tag::context_constructed(1)))
    t.extensions = HPKI_TSP_TRY(kWhat, "extensions", read_implicit_extensions(seq, 1));
  HPKI_TSP_TRY(kWhat, "", seq.expect_end());
  return t;
}

Result<std::int64_t> serial_value(const TstInfo& info) {
  auto v = der::integer_to_int64(info.serial);
  if (!v || *v < 0) return fail(ErrorCode::kUnsupported, "TSTInfo serial does not fit in 63 bits");
  return *v;
}

// ---------------------------------------------------------------- TimeStampResp (RFC 3161 2.4.2)

Bytes encode_response(const TimeStampResp& r) {
  der::Writer w;
  w.add_sequence([&](der::Writer& s) {
    s.add_sequence([&](der::Writer& si) {
      si.add_integer(static_cast<int>(r.status));
      if (r.status_string) {
        si.add_sequence([&](der::Writer& ft) {
          // A status text that is not UTF-8 is replaced rather than failing the response.
          if (!ft.add_utf8_string(*r.status_string)) (void)ft.add_utf8_string("error");
        });
      }
      if (r.fail_info) si.add_named_bit_string(1U << static_cast<int>(*r.fail_info));
    });
    if (r.token) {
      const bool ok = s.add_raw(*r.token).has_value();
      HPKI_CHECK(ok);  // the token is a ContentInfo this process built or parsed
    }
  });
  return w.take();
}

Result<TimeStampResp> parse_response(BytesView der) {
  constexpr std::string_view kWhat = "TimeStampResp";
  if (der.size() > kMaxResponseSize)
    return fail(ErrorCode::kTooLarge,
                "TimeStampResp: more than " + std::to_string(kMaxResponseSize));
  der::Reader top(der);
  auto seq = HPKI_TSP_TRY(kWhat, "", top.read_sequence());
  HPKI_TSP_TRY(kWhat, "", top.expect_end());
  TimeStampResp r;
  auto si = HPKI_TSP_TRY(kWhat, "status", seq.read_sequence());
  auto status = HPKI_TSP_TRY(kWhat, "status", si.read_int64());
  if (status < 0 || status > 5)
    return fail(ErrorCode::kMalformed, "TimeStampResp status " + std::to_string(status));
  r.status = static_cast<PkiStatus>(status);
  if (auto ft = HPKI_TSP_TRY(kWhat, "statusString", si.read_optional_constructed(der::kSequence))) {
    std::string text;
    while (!ft->at_end()) {
      if (!text.empty()) text += "; ";
      text += HPKI_TSP_TRY(kWhat, "statusString", ft->read_utf8_string());
    }
    r.status_string = text;
  }
  if (si.peek_is(der::kBitString)) {
    auto bits = HPKI_TSP_TRY(kWhat, "failInfo", si.read_bit_string());
    auto flags = HPKI_TSP_TRY(kWhat, "failInfo", bits.to_flags());
    for (int b = 0; b < 32; ++b) {
      if ((flags & (1U << b)) != 0) {
        r.fail_info = static_cast<FailureInfo>(b);
        break;
      }
    }
  }
  HPKI_TSP_TRY(kWhat, "status", si.expect_end());
  if (!seq.at_end()) {
    auto tok = HPKI_TSP_TRY(kWhat, "timeStampToken", seq.read_element(der::kSequence));
    r.token = Bytes(tok.encoded.begin(), tok.encoded.end());
  }
  HPKI_TSP_TRY(kWhat, "", seq.expect_end());
  return r;
}

// ---------------------------------------------------------------- token verification

namespace {

Error verdict(std::string_view id, std::string_view detail) {
  return Error{ErrorCode::kBadSignature, std::string(id) + ": " + std::string(detail)};
}

// RFC 3161 2.3: the TSA certificate's EKU is exactly id-kp-timeStamping and critical.
Result<void> check_tsa_certificate(const Certificate& c) {
  const auto* eku = c.find_extension(der::oids::kExtKeyUsage);
  if (eku == nullptr || !eku->critical)
    return fail(verdict(diag::kTsaCertificate, "no critical extendedKeyUsage (RFC 3161 2.3)"));
  auto purposes = parse_extended_key_usage(eku->value);
  if (!purposes || purposes->size() != 1 || (*purposes)[0] != der::oids::kTimeStamping)
    return fail(verdict(diag::kTsaCertificate, "extendedKeyUsage is not timeStamping only"));
  if (const auto* ku = c.find_extension(der::oids::kKeyUsage)) {
    auto bits = parse_key_usage(ku->value);
    // RFC 5280 4.2.1.3 bits 0 digitalSignature, 1 nonRepudiation.
    if (!bits || (*bits & 0x3) == 0)
      return fail(verdict(diag::kTsaCertificate, "keyUsage allows no signature"));
  }
  return {};
}

bool valid_at(const Certificate& c, TimePoint t) {
  return c.validity().not_before <= t && t <= c.validity().not_after;
}

// Builds a path from `leaf` to one of `anchors` through `pool` (depth-first, first match wins).
Result<std::vector<CertificatePtr>> build_chain(const CertificatePtr& leaf,
                                                const std::vector<CertificatePtr>& pool,
                                                const std::vector<CertificatePtr>& anchors,
                                                TimePoint at, std::size_t max_depth) {
  std::vector<CertificatePtr> chain{leaf};
  std::string last_problem = "no issuer found";
  for (std::size_t depth = 0; depth < max_depth; ++depth) {
    const CertificatePtr& cur = chain.back();
    if (!valid_at(*cur, at))
      return fail(verdict(
          diag::kChain, "certificate '" + to_string(cur->subject()) + "' is not valid at genTime"));
    // A trust anchor that is the certificate itself or its issuer ends the path.
    for (const auto& a : anchors) {
      if (a->der() == cur->der()) return chain;
    }
    for (const auto& a : anchors) {
      if (!names_match(a->subject(), cur->issuer())) continue;
      if (verify_certificate_signature(*cur, a->spki_der())) {
        chain.push_back(a);
        return chain;
      }
      last_problem = "the signature of '" + to_string(cur->subject()) + "' does not verify";
    }
    CertificatePtr next;
    for (const auto& p : pool) {
      if (p->der() == cur->der() || !names_match(p->subject(), cur->issuer())) continue;
      const auto* bc_ext = p->find_extension(der::oids::kBasicConstraints);
      auto bc = bc_ext ? parse_basic_constraints(bc_ext->value) : Result<BasicConstraints>{};
      if (!bc_ext || !bc || !bc->ca) {
        last_problem = "issuer '" + to_string(p->subject()) + "' is not a CA";
        continue;
      }
      if (!verify_certificate_signature(*cur, p->spki_der())) {
        last_problem = "the signature of '" + to_string(cur->subject()) + "' does not verify";
        continue;
      }
      next = p;
      break;
    }
    if (!next) return fail(verdict(diag::kChain, last_problem + " (no path to a trust anchor)"));
    chain.push_back(next);
  }
  return fail(verdict(diag::kChain, "path longer than the maximum depth"));
}

}  // namespace

Result<TokenVerifyResult> verify_token(BytesView input, const TokenVerifyOptions& o) {
  if (o.trust_anchors.empty()) return fail(ErrorCode::kInvalidArgument, "no trust anchor given");
  if (!o.data && !o.digest) return fail(ErrorCode::kInvalidArgument, "no data or digest given");
  Bytes token(input.begin(), input.end());
  // A TimeStampResp starts SEQUENCE { SEQUENCE { INTEGER ...: a ContentInfo with an OID.
  if (auto resp = parse_response(input)) {
    if (resp->status != PkiStatus::kGranted && resp->status != PkiStatus::kGrantedWithMods)
      return fail(
          verdict(diag::kNotGranted,
                  std::string(to_string(resp->status)) +
                      (resp->fail_info ? " " + std::string(to_string(*resp->fail_info)) : "") +
                      (resp->status_string ? ": " + *resp->status_string : "")));
    if (!resp->token) return fail(verdict(diag::kNotGranted, "granted without a token"));
    token = *resp->token;
  }
  auto sd = HPKI_TRY(cms::parse_signed_data(token));
  if (sd.content_type != der::oids::kCtTstInfo)
    return fail(verdict(diag::kNotTstInfo, "eContentType is " + sd.content_type.to_string()));
  if (sd.signers.size() != 1)
    return fail(verdict(diag::kNotTstInfo, "a token has exactly one SignerInfo"));
  auto v = HPKI_TRY(cms::verify_signed_data(
      sd, {.detached_content = std::nullopt,
           .extra_certificates = o.untrusted,
           .signer_index = 0,
           .require_signing_certificate = true,  // RFC 3161 2.4.2 / RFC 5816
           .sm2_id = crypto::kSm2DefaultId}));
  TokenVerifyResult out;
  out.info = HPKI_TRY(parse_tst_info(v.content));
  out.tsa = v.signer;
  out.signature_alg = v.signature_alg;
  // Imprint.
  const auto& mi = out.info.message_imprint;
  auto h = cms::hash_from_oid(mi.hash_algorithm);
  if (!h) return fail(verdict(diag::kImprintMismatch, h.error().detail()));
  Bytes want;
  if (o.digest) {
    want.assign(o.digest->begin(), o.digest->end());
  } else {
    want = HPKI_TRY(crypto::digest(*h, *o.data));
  }
  if (want != mi.hashed_message)
    return fail(verdict(diag::kImprintMismatch, "the data does not match the messageImprint"));
  if (o.nonce && (!out.info.nonce || *out.info.nonce != *o.nonce))
    return fail(verdict(diag::kNonceMismatch, "the token does not echo the request's nonce"));
  HPKI_TRY(check_tsa_certificate(*out.tsa));
  if (out.info.tsa_name) {
    der::Reader gr(*out.info.tsa_name);
    auto g = read_general_name(gr);
    if (g && g->type == GeneralName::Type::kDirectory && g->directory &&
        !names_match(*g->directory, out.tsa->subject()))
      return fail(verdict(diag::kTsaNameMismatch, "TSTInfo.tsa does not name the signer"));
  }
  std::vector<CertificatePtr> pool = sd.certificates;
  pool.insert(pool.end(), o.untrusted.begin(), o.untrusted.end());
  out.chain = HPKI_TRY(build_chain(out.tsa, pool, o.trust_anchors, out.info.gen_time, o.max_depth));
  // Issue 16: where the caller knows which TSA certificates the issuer designated, any other
  // one (even with the critical timeStamping EKU of RFC 3161 2.3) cannot vouch for a time. A
  // TSA certificate that is itself a trust anchor (a chain of one) is trusted directly.
  if (o.designation != nullptr && out.chain.size() >= 2) {
    const Certificate& issuer = *out.chain[1];
    auto des = o.designation->designation(TrustService::kTimeStamping, *out.tsa, issuer);
    if (!des)
      return fail(
          verdict(diag::kTsaNotDesignated, "the designated TSAs of " + to_string(issuer.subject()) +
                                               " could not be read: " + des.error().to_string()));
    if (*des == Designation::kNotDesignated)
      return fail(verdict(diag::kTsaNotDesignated,
                          "the TSA certificate " + to_string(out.tsa->subject()) + " (serial " +
                              out.tsa->serial_number().hex() + ") is not a designated TSA of " +
                              to_string(issuer.subject())));
  }
  return out;
}

}  // namespace hpki::x509::tsp
