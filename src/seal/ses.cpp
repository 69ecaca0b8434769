#include "seal/ses.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <utility>

#include "crypto/digest.h"
#include "der/reader.h"
#include "der/writer.h"
#include "ossl/ecdsa_sig.h"
#include "x509/certificate.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::seal {
namespace {

const der::Oid kSm2Sm3 = der::Oid::literal(kSm2WithSm3Oid);

Result<void> too_large(std::string_view what) {
  return fail(ErrorCode::kTooLarge, std::string(what) + " exceeds its size limit");
}

Result<void> check_text(std::string_view what, std::string_view s) {
  if (s.size() > kMaxTextLength) return too_large(what);
  return {};
}

TimePoint whole_seconds(TimePoint t) { return std::chrono::floor<std::chrono::seconds>(t); }

der::Time to_der_time(TimePoint t) {
  return std::chrono::time_point_cast<std::chrono::seconds>(whole_seconds(t));
}

// --- ExtensionDatas ::= SEQUENCE OF ExtData

Result<void> write_ext_datas(der::Writer& w, const std::vector<ExtData>& exts) {
  if (exts.size() > kMaxExtDatas) return too_large("extDatas");
  w.add_sequence([&](der::Writer& s) {
    for (const auto& e : exts) {
      s.add_sequence([&](der::Writer& x) {
        x.add_oid(e.id);
        if (e.critical) x.add_boolean(true);  // X.690 11.5: DEFAULT FALSE is omitted
        x.add_octet_string(e.value);
      });
    }
  });
  return {};
}

Result<std::vector<ExtData>> read_ext_datas(der::Reader seq) {
  std::vector<ExtData> out;
  while (!seq.at_end()) {
    if (out.size() == kMaxExtDatas) return fail(ErrorCode::kTooLarge, "too many extDatas");
    auto x = HPKI_TRY(seq.read_sequence());
    ExtData e;
    e.id = HPKI_TRY(x.read_oid());
    if (auto b = HPKI_TRY(x.read_optional(der::kBoolean))) {
      e.critical = HPKI_TRY(der::decode_boolean(b->value));
      // X.690 11.5: a DEFAULT value is not encoded.
      if (!e.critical) return fail(ErrorCode::kMalformed, "ExtData.critical FALSE is encoded");
    }
    const auto v = HPKI_TRY(x.read_octet_string());
    e.value.assign(v.begin(), v.end());
    HPKI_TRY(x.expect_end());
    out.push_back(std::move(e));
  }
  return out;
}

Result<void> write_time(der::Writer& w, TimePoint t, Format f) {
  return f == Format::kV4 ? w.add_generalized_time(to_der_time(t)) : w.add_utc_time(to_der_time(t));
}

// TimePoint counts nanoseconds in 64 bits (years 1678..2261): a time outside would overflow
// the conversion (found by fuzz_ses). Refused as malformed rather than clamped, so that what
// decodes re-encodes to the same bytes.
Result<TimePoint> checked_time(der::Time t) {
  constexpr auto kMax = std::chrono::floor<std::chrono::seconds>(TimePoint::max());
  constexpr auto kMin = std::chrono::ceil<std::chrono::seconds>(TimePoint::min());
  if (t.time_since_epoch() >= kMax.time_since_epoch() ||
      t.time_since_epoch() <= kMin.time_since_epoch())
    return fail(ErrorCode::kMalformed, "time outside the years 1678..2261");
  return TimePoint(t);
}

Result<TimePoint> read_time(der::Reader& r, Format f) {
  return checked_time(f == Format::kV4 ? HPKI_TRY(r.read_generalized_time())
                                       : HPKI_TRY(r.read_utc_time()));
}

// --- SES_SealInfo

Result<void> write_seal_info(der::Writer& w, const SealInfo& in, Format f) {
  HPKI_TRY(check_text("esID", in.es_id));
  HPKI_TRY(check_text("name", in.name));
  HPKI_TRY(check_text("vid", in.vid));
  HPKI_TRY(check_text("picture type", in.picture_type));
  if (in.picture.size() > kMaxPictureSize) return too_large("picture");
  if (in.certs.size() > kMaxCertListEntries || in.cert_digests.size() > kMaxCertListEntries) {
    return too_large("certList");
  }
  if (f == Format::kV1 && in.cert_list_type != CertListType::kCertificates) {
    return fail(ErrorCode::kInvalidArgument, "GM/T 0031 seals have no certificate-digest list");
  }
  return w.add_sequence([&](der::Writer& s) -> Result<void> {
    HPKI_TRY(s.add_sequence([&](der::Writer& h) -> Result<void> {
      HPKI_TRY(h.add_ia5_string(in.header_id));
      h.add_integer(in.version);
      return h.add_ia5_string(in.vid);
    }));
    HPKI_TRY(s.add_ia5_string(in.es_id));
    HPKI_TRY(s.add_sequence([&](der::Writer& p) -> Result<void> {
      p.add_integer(in.type);
      HPKI_TRY(p.add_utf8_string(in.name));
      if (f == Format::kV4) p.add_integer(static_cast<std::int64_t>(in.cert_list_type));
      // SES_CertList ::= CHOICE { certs CertInfoList, certDigestList CertDigestList }, untagged,
      // selected by certListType.
      if (in.cert_list_type == CertListType::kCertificates) {
        p.add_sequence([&](der::Writer& l) {
          for (const auto& c : in.certs) l.add_octet_string(c);
        });
      } else {
        HPKI_TRY(p.add_sequence([&](der::Writer& l) -> Result<void> {
          for (const auto& d : in.cert_digests) {
            HPKI_TRY(l.add_sequence([&](der::Writer& o) -> Result<void> {
              HPKI_TRY(o.add_printable_string(d.type));
              o.add_octet_string(d.value);
              return {};
            }));
          }
          return {};
        }));
      }
      HPKI_TRY(write_time(p, in.create_date, f));
      HPKI_TRY(write_time(p, in.valid_start, f));
      return write_time(p, in.valid_end, f);
    }));
    HPKI_TRY(s.add_sequence([&](der::Writer& p) -> Result<void> {
      HPKI_TRY(p.add_ia5_string(in.picture_type));
      p.add_octet_string(in.picture);
      p.add_integer(in.width_mm);
      p.add_integer(in.height_mm);
      return {};
    }));
    if (!in.ext_datas.empty()) HPKI_TRY(write_ext_datas(s, in.ext_datas));
    return {};
  });
}

Result<SealInfo> read_seal_info(der::Reader& outer, Format f, Bytes& info_der) {
  const auto el = HPKI_TRY(outer.read_element(der::kSequence));
  info_der.assign(el.encoded.begin(), el.encoded.end());
  der::Reader s(el.value, el.offset + (el.encoded.size() - el.value.size()), outer.depth() + 1);
  SealInfo in;
  {
    auto h = HPKI_TRY(s.read_sequence());
    in.header_id = HPKI_TRY(h.read_ia5_string());
    in.version = HPKI_TRY(h.read_int64());
    in.vid = HPKI_TRY(h.read_ia5_string());
    HPKI_TRY(h.expect_end());
  }
  in.es_id = HPKI_TRY(s.read_ia5_string());
  {
    auto p = HPKI_TRY(s.read_sequence());
    in.type = HPKI_TRY(p.read_int64());
    in.name = HPKI_TRY(p.read_utf8_string());
    if (f == Format::kV4) {
      const auto t = HPKI_TRY(p.read_int64());
      if (t != 1 && t != 2) {
        return fail(ErrorCode::kMalformed, "certListType " + std::to_string(t) + " is not 1 or 2");
      }
      in.cert_list_type = static_cast<CertListType>(t);
    }
    auto l = HPKI_TRY(p.read_sequence());
    while (!l.at_end()) {
      if (in.certs.size() + in.cert_digests.size() == kMaxCertListEntries) {
        return fail(ErrorCode::kTooLarge, "too many certList entries");
      }
      if (in.cert_list_type == CertListType::kCertificates) {
        const auto c = HPKI_TRY(l.read_octet_string());
        in.certs.emplace_back(c.begin(), c.end());
      } else {
        auto o = HPKI_TRY(l.read_sequence());
        CertDigest d;
        d.type = HPKI_TRY(o.read_printable_string());
        const auto v = HPKI_TRY(o.read_octet_string());
        d.value.assign(v.begin(), v.end());
        HPKI_TRY(o.expect_end());
        in.cert_digests.push_back(std::move(d));
      }
    }
    in.create_date = HPKI_TRY(read_time(p, f));
    in.valid_start = HPKI_TRY(read_time(p, f));
    in.valid_end = HPKI_TRY(read_time(p, f));
    HPKI_TRY(p.expect_end());
  }
  {
    auto p = HPKI_TRY(s.read_sequence());
    in.picture_type = HPKI_TRY(p.read_ia5_string());
    const auto data = HPKI_TRY(p.read_octet_string());
    if (data.size() > kMaxPictureSize) return fail(ErrorCode::kTooLarge, "seal picture too large");
    in.picture.assign(data.begin(), data.end());
    in.width_mm = HPKI_TRY(p.read_int64());
    in.height_mm = HPKI_TRY(p.read_int64());
    HPKI_TRY(p.expect_end());
  }
  if (auto e = HPKI_TRY(s.read_optional_constructed(der::kSequence))) {
    in.ext_datas = HPKI_TRY(read_ext_datas(std::move(*e)));
  }
  HPKI_TRY(s.expect_end());
  for (const std::string* t : {&in.es_id, &in.name, &in.vid, &in.picture_type}) {
    if (t->size() > kMaxTextLength) return fail(ErrorCode::kTooLarge, "seal text field too long");
  }
  return in;
}

Result<Seal> read_seal(der::Reader& outer) {
  const auto el = HPKI_TRY(outer.read_element(der::kSequence));
  der::Reader s(el.value, el.offset + (el.encoded.size() - el.value.size()), outer.depth() + 1);
  // v4: SES_SealInfo, OCTET STRING ...; v1: SES_SealInfo, SES_SignInfo. The seal info's shape
  // differs too (certListType, GeneralizedTime), so look past it first.
  Format f = Format::kV4;
  {
    der::Reader probe = s;
    HPKI_TRY(probe.read_element(der::kSequence));
    if (probe.peek_is(der::kSequence)) f = Format::kV1;
  }
  Seal seal;
  seal.format = f;
  seal.info = HPKI_TRY(read_seal_info(s, f, seal.info_der));
  der::Reader* sig = &s;
  std::optional<der::Reader> sign_info;
  if (f == Format::kV1) {
    sign_info = HPKI_TRY(s.read_sequence());
    sig = &*sign_info;
  }
  const auto cert = HPKI_TRY(sig->read_octet_string());
  seal.cert.assign(cert.begin(), cert.end());
  seal.sign_alg = HPKI_TRY(sig->read_oid());
  const auto bits = HPKI_TRY(sig->read_bit_string());
  if (bits.unused_bits != 0) return fail(ErrorCode::kMalformed, "signedValue has unused bits");
  seal.signed_value.assign(bits.bytes.begin(), bits.bytes.end());
  HPKI_TRY(sig->expect_end());
  HPKI_TRY(s.expect_end());
  seal.der.assign(el.encoded.begin(), el.encoded.end());
  return seal;
}

Result<Bytes> encode_seal(Format f, BytesView info_der, BytesView cert, const der::Oid& alg,
                          BytesView signed_value) {
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
    HPKI_TRY(s.add_raw(info_der));
    auto sign_part = [&](der::Writer& x) -> Result<void> {
      x.add_octet_string(cert);
      x.add_oid(alg);
      return x.add_bit_string(signed_value);
    };
    if (f == Format::kV1) return s.add_sequence(sign_part);
    return sign_part(s);
  }));
  return w.take();
}

Result<void> same_key(const crypto::Signer& signer, BytesView cert_der, std::string_view who) {
  if (signer.algorithm() != crypto::SignatureAlg::kSm2Sm3) {
    return fail(ErrorCode::kUnsupportedAlgorithm,
                std::string(who) +
                    ": GB/T 38540 seals are SM2 structures; an RSA or ECDSA seal is an image and a "
                    "record (docs/seals.md)");
  }
  auto cert = x509::Certificate::parse(cert_der);
  if (!cert) return fail(cert.error().with_context(std::string(who) + " certificate"));
  if ((*cert)->spki_der() != signer.public_key_der()) {
    return fail(ErrorCode::kKeyMismatch, std::string(who) + " certificate is not the key's");
  }
  return {};
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::ranges::transform(out, out.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<crypto::HashAlg> digest_type(std::string_view type) {
  const std::string t = lower(type);
  if (t == "sm3") return crypto::HashAlg::kSm3;
  if (t == "sha256" || t == "sha-256") return crypto::HashAlg::kSha256;
  if (t == "sha1" || t == "sha-1") return crypto::HashAlg::kSha1;
  return std::nullopt;
}

// Verifies an SM2 signature; signature values of 64 bytes (r || s, as some vendors store them)
// are converted to the DER SEQUENCE first.
bool sm2_verifies(BytesView spki, BytesView message, BytesView signature) {
  if (crypto::verify_signature(spki, crypto::SignatureAlg::kSm2Sm3, message, signature)) {
    return true;
  }
  if (signature.size() == 64) {
    auto der = ossl::ecdsa_sig_raw_to_der(signature);
    return der && crypto::verify_signature(spki, crypto::SignatureAlg::kSm2Sm3, message, *der);
  }
  return false;
}

void add(std::vector<Diagnostic>& d, std::string_view id, std::string detail) {
  d.push_back({std::string(id), std::move(detail)});
}

}  // namespace

// ---------------------------------------------------------------------------- seals

Result<Bytes> encode_seal_info(const SealInfo& info, Format format) {
  der::Writer w;
  HPKI_TRY(write_seal_info(w, info, format));
  return w.take();
}

Bytes maker_to_be_signed(BytesView info_der, BytesView cert, const der::Oid& alg) {
  der::Writer w;
  // GB/T 38540 7.1 (and GM/T 0031): the maker signs SEQUENCE { eSealInfo, cert, signAlgID }.
  w.add_sequence([&](der::Writer& s) {
    (void)s.add_raw(info_der);  // info_der is one element we encoded or decoded
    s.add_octet_string(cert);
    s.add_oid(alg);
  });
  return w.take();
}

Result<Seal> assemble_seal(Format format, const SealInfo& info, BytesView cert, const der::Oid& alg,
                           BytesView signed_value) {
  Seal seal;
  seal.format = format;
  seal.info = info;
  seal.info_der = HPKI_TRY(encode_seal_info(info, format));
  seal.cert.assign(cert.begin(), cert.end());
  seal.sign_alg = alg;
  seal.signed_value.assign(signed_value.begin(), signed_value.end());
  seal.der = HPKI_TRY(encode_seal(format, seal.info_der, cert, alg, signed_value));
  return seal;
}

Result<Seal> make_seal(SealInfo info, const crypto::Signer& maker, BytesView maker_cert) {
  HPKI_TRY(same_key(maker, maker_cert, "seal maker"));
  info.version = 4;
  if (info.name.empty() || info.es_id.empty()) {
    return fail(ErrorCode::kInvalidArgument, "a seal needs a name and an esID");
  }
  if (info.valid_end <= info.valid_start) {
    return fail(ErrorCode::kInvalidArgument, "the seal's validEnd is not after its validStart");
  }
  if ((info.cert_list_type == CertListType::kCertificates && info.certs.empty()) ||
      (info.cert_list_type == CertListType::kDigests && info.cert_digests.empty())) {
    return fail(ErrorCode::kInvalidArgument, "a seal lists at least one signer certificate");
  }
  if (info.picture.size() > kMaxPictureSize) {
    return fail(ErrorCode::kInvalidArgument, "the seal picture is larger than 1 MiB");
  }
  info.create_date = whole_seconds(info.create_date);
  info.valid_start = whole_seconds(info.valid_start);
  info.valid_end = whole_seconds(info.valid_end);
  const Bytes info_der = HPKI_TRY(encode_seal_info(info, Format::kV4));
  const Bytes tbs = maker_to_be_signed(info_der, maker_cert, kSm2Sm3);
  const Bytes sig = HPKI_TRY(maker.sign(tbs));
  return assemble_seal(Format::kV4, info, maker_cert, kSm2Sm3, sig);
}

Result<Seal> decode_seal(BytesView der) {
  if (der.size() > kMaxSealSize) return fail(ErrorCode::kTooLarge, "seal larger than 4 MiB");
  der::Reader r(der);
  auto seal = HPKI_TRY(read_seal(r));
  HPKI_TRY(r.expect_end());
  return seal;
}

// ---------------------------------------------------------------------------- signatures

Result<Bytes> encode_tbs_sign(const TbsSign& tbs, Format format) {
  HPKI_TRY(check_text("propertyInfo", tbs.property_info));
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
    s.add_integer(tbs.version);
    HPKI_TRY(s.add_raw(tbs.eseal.der));
    if (format == Format::kV4) {
      if (!tbs.time_info) return fail(ErrorCode::kInvalidArgument, "TBS_Sign needs timeInfo");
      HPKI_TRY(s.add_generalized_time(to_der_time(*tbs.time_info)));
    } else if (!tbs.time_info_raw.empty()) {
      HPKI_TRY(s.add_bit_string(tbs.time_info_raw));
    } else {
      if (!tbs.time_info) return fail(ErrorCode::kInvalidArgument, "TBS_Sign needs timeInfo");
      der::Writer t;
      HPKI_TRY(t.add_utc_time(to_der_time(*tbs.time_info)));
      HPKI_TRY(s.add_bit_string(t.view()));
    }
    HPKI_TRY(s.add_bit_string(tbs.data_hash));
    HPKI_TRY(s.add_ia5_string(tbs.property_info));
    if (format == Format::kV4) {
      if (!tbs.ext_datas.empty()) {
        HPKI_TRY(s.add_explicit(
            0, [&](der::Writer& x) -> Result<void> { return write_ext_datas(x, tbs.ext_datas); }));
      }
    } else {
      s.add_octet_string(tbs.cert);
      s.add_oid(tbs.signature_alg);
    }
    return {};
  }));
  return w.take();
}

Result<SesSignature> assemble_signature(Format format, const TbsSign& tbs, BytesView cert,
                                        const der::Oid& alg, BytesView signature,
                                        std::optional<BytesView> timestamp) {
  SesSignature sig;
  sig.format = format;
  sig.tbs = tbs;
  if (format == Format::kV1) {
    sig.tbs.cert.assign(cert.begin(), cert.end());
    sig.tbs.signature_alg = alg;
  }
  sig.tbs_der = HPKI_TRY(encode_tbs_sign(sig.tbs, format));
  sig.cert.assign(cert.begin(), cert.end());
  sig.signature_alg = alg;
  sig.signature.assign(signature.begin(), signature.end());
  if (timestamp) sig.timestamp = Bytes(timestamp->begin(), timestamp->end());
  der::Writer w;
  HPKI_TRY(w.add_sequence([&](der::Writer& s) -> Result<void> {
    HPKI_TRY(s.add_raw(sig.tbs_der));
    if (format == Format::kV4) {
      s.add_octet_string(cert);
      s.add_oid(alg);
    }
    HPKI_TRY(s.add_bit_string(signature));
    if (format == Format::kV4 && timestamp) {
      HPKI_TRY(s.add_explicit(
          0, [&](der::Writer& x) -> Result<void> { return x.add_bit_string(*timestamp); }));
    }
    return {};
  }));
  sig.der = w.take();
  return sig;
}

Result<SesSignature> make_signature(const Seal& seal, BytesView data, const crypto::Signer& signer,
                                    BytesView signer_cert, const SignatureRequest& req) {
  HPKI_TRY(same_key(signer, signer_cert, "signer"));
  if (seal.format != Format::kV4) {
    return fail(ErrorCode::kInvalidArgument, "hpki makes stamps with version 4 seals only");
  }
  TbsSign tbs;
  tbs.version = 4;  // GB/T 38540: the seal's version
  tbs.eseal = seal;
  tbs.time_info = whole_seconds(req.time_info);
  tbs.data_hash = HPKI_TRY(crypto::digest(crypto::HashAlg::kSm3, data));
  tbs.property_info = req.property_info;
  tbs.ext_datas = req.ext_datas;
  const Bytes tbs_der = HPKI_TRY(encode_tbs_sign(tbs, Format::kV4));
  const Bytes value = HPKI_TRY(signer.sign(tbs_der));
  std::optional<Bytes> token;
  // GB/T 38540: timeStamp is a token over the signature value.
  if (req.timestamp) token = HPKI_TRY(req.timestamp(crypto::HashAlg::kSm3, value));
  std::optional<BytesView> tv;
  if (token) tv = *token;
  return assemble_signature(Format::kV4, tbs, signer_cert, kSm2Sm3, value, tv);
}

Result<SesSignature> decode_signature(BytesView der) {
  if (der.size() > kMaxSignatureSize) {
    return fail(ErrorCode::kTooLarge, "SES_Signature larger than 8 MiB");
  }
  der::Reader r(der);
  const auto el = HPKI_TRY(r.read_element(der::kSequence));
  HPKI_TRY(r.expect_end());
  der::Reader s(el.value, el.encoded.size() - el.value.size(), 1);
  SesSignature sig;
  const auto tbs_el = HPKI_TRY(s.read_element(der::kSequence));
  sig.tbs_der.assign(tbs_el.encoded.begin(), tbs_el.encoded.end());
  der::Reader t(tbs_el.value, tbs_el.offset + (tbs_el.encoded.size() - tbs_el.value.size()), 2);
  TbsSign& tbs = sig.tbs;
  tbs.version = HPKI_TRY(t.read_int64());
  tbs.eseal = HPKI_TRY(read_seal(t));
  // v4 timeInfo is a GeneralizedTime, v1 a BIT STRING.
  sig.format = t.peek_is(der::kBitString) ? Format::kV1 : Format::kV4;
  if (sig.format == Format::kV4) {
    tbs.time_info = HPKI_TRY(checked_time(HPKI_TRY(t.read_generalized_time())));
  } else {
    const auto bits = HPKI_TRY(t.read_bit_string());
    tbs.time_info_raw.assign(bits.bytes.begin(), bits.bytes.end());
    der::Reader inner(bits.bytes);
    if (auto u = inner.read_utc_time(); u && inner.at_end()) {
      tbs.time_info = HPKI_TRY(checked_time(*u));
    } else if (auto g = der::decode_utc_time(bits.bytes)) {
      tbs.time_info = HPKI_TRY(checked_time(*g));
    }  // else: a time-stamp token (no time of its own here)
  }
  const auto hash = HPKI_TRY(t.read_bit_string());
  if (hash.unused_bits != 0) return fail(ErrorCode::kMalformed, "dataHash has unused bits");
  tbs.data_hash.assign(hash.bytes.begin(), hash.bytes.end());
  tbs.property_info = HPKI_TRY(t.read_ia5_string());
  if (tbs.property_info.size() > kMaxTextLength) {
    return fail(ErrorCode::kTooLarge, "propertyInfo too long");
  }
  if (sig.format == Format::kV4) {
    if (auto e = HPKI_TRY(t.read_optional_explicit(0))) {
      tbs.ext_datas = HPKI_TRY(read_ext_datas(HPKI_TRY(e->read_sequence())));
      HPKI_TRY(e->expect_end());
    }
  } else {
    const auto c = HPKI_TRY(t.read_octet_string());
    tbs.cert.assign(c.begin(), c.end());
    tbs.signature_alg = HPKI_TRY(t.read_oid());
  }
  HPKI_TRY(t.expect_end());
  if (sig.format == Format::kV4) {
    const auto c = HPKI_TRY(s.read_octet_string());
    sig.cert.assign(c.begin(), c.end());
    sig.signature_alg = HPKI_TRY(s.read_oid());
  } else {
    sig.cert = tbs.cert;
    sig.signature_alg = tbs.signature_alg;
  }
  const auto value = HPKI_TRY(s.read_bit_string());
  if (value.unused_bits != 0) return fail(ErrorCode::kMalformed, "signature has unused bits");
  sig.signature.assign(value.bytes.begin(), value.bytes.end());
  if (sig.format == Format::kV4) {
    if (auto ts = HPKI_TRY(s.read_optional_explicit(0))) {
      const auto tok = HPKI_TRY(ts->read_bit_string());
      if (tok.unused_bits != 0) return fail(ErrorCode::kMalformed, "timeStamp has unused bits");
      sig.timestamp = Bytes(tok.bytes.begin(), tok.bytes.end());
      HPKI_TRY(ts->expect_end());
    }
  }
  HPKI_TRY(s.expect_end());
  sig.der.assign(el.encoded.begin(), el.encoded.end());
  return sig;
}

// ---------------------------------------------------------------------------- verification

bool SealReport::has(std::string_view id) const noexcept {
  return std::ranges::any_of(diagnostics, [&](const Diagnostic& d) { return d.id == id; });
}

bool SignatureReport::has(std::string_view id) const noexcept {
  return std::ranges::any_of(diagnostics, [&](const Diagnostic& d) { return d.id == id; });
}

bool seal_allows(const SealInfo& info, BytesView cert_der) {
  if (info.cert_list_type == CertListType::kCertificates) {
    return std::ranges::any_of(info.certs,
                               [&](const Bytes& c) { return std::ranges::equal(c, cert_der); });
  }
  return std::ranges::any_of(info.cert_digests, [&](const CertDigest& d) {
    const auto alg = digest_type(d.type);
    if (!alg) return false;
    auto h = crypto::digest(*alg, cert_der);
    return h && *h == d.value;
  });
}

SealReport verify_seal(const Seal& seal, const SealCheck& check) {
  SealReport rep;
  auto& d = rep.diagnostics;
  const SealInfo& in = seal.info;
  if (in.header_id != "ES") add(d, diag::kHeaderInvalid, "SES_Header.id is not \"ES\"");
  if (seal.format == Format::kV4 && in.version != 4) {
    add(d, diag::kHeaderInvalid,
        "SES_Header.version is " + std::to_string(in.version) + ", not 4 (GB/T 38540)");
  }
  // The maker signature.
  if (seal.sign_alg != kSm2Sm3) {
    add(d, diag::kMakerAlgorithmUnsupported, "signAlgID " + seal.sign_alg.to_string());
  } else if (auto cert = x509::Certificate::parse(seal.cert); !cert) {
    add(d, diag::kMakerCertificateInvalid, cert.error().to_string());
  } else {
    const BytesView spki = (*cert)->spki_der();
    // GB/T 38540 7.1: SEQUENCE { eSealInfo, cert, signAlgID }; ofdrw signs DER(SES_SealInfo).
    if (sm2_verifies(spki, maker_to_be_signed(seal.info_der, seal.cert, seal.sign_alg),
                     seal.signed_value)) {
      rep.maker_signed = MakerSignedBytes::kInfoCertAlg;
    } else if (sm2_verifies(spki, seal.info_der, seal.signed_value)) {
      rep.maker_signed = MakerSignedBytes::kSealInfoOnly;
    } else {
      add(d, diag::kMakerSignatureInvalid,
          "the maker's SM2 signature verifies over neither SEQUENCE {sealInfo, cert, signAlgID} "
          "nor the sealInfo");
    }
  }
  // The validity period.
  if (check.at < in.valid_start) {
    add(d, diag::kNotYetValid, "the seal is valid from " + format_rfc3339(in.valid_start));
  } else if (check.at > in.valid_end) {
    add(d, diag::kExpired, "the seal expired on " + format_rfc3339(in.valid_end));
  }
  // Who may use it.
  const bool empty_list =
      in.cert_list_type == CertListType::kCertificates ? in.certs.empty() : in.cert_digests.empty();
  if (empty_list) add(d, diag::kCertListInvalid, "the seal lists no certificate");
  if (check.signer_cert && !seal_allows(in, *check.signer_cert)) {
    add(d, diag::kSignerNotAllowed,
        in.cert_list_type == CertListType::kCertificates
            ? "the signer's certificate is not in the seal's certificate list"
            : "the signer's certificate digest is not in the seal's digest list");
  }
  rep.ok = d.empty();
  return rep;
}

SignatureReport verify_signature(const SesSignature& sig, BytesView data) {
  SignatureReport rep;
  auto& d = rep.diagnostics;
  rep.signing_time = sig.tbs.time_info;
  // dataHash = SM3(data).
  auto h = crypto::digest(crypto::HashAlg::kSm3, data);
  if (!h || *h != sig.tbs.data_hash) {
    add(d, diag::kDataHashMismatch, "dataHash is not the SM3 of the data");
  }
  // The signer's signature over TBS_Sign.
  if (sig.signature_alg != kSm2Sm3) {
    add(d, diag::kSignatureAlgorithmUnsupported, "signatureAlgID " + sig.signature_alg.to_string());
  } else if (auto cert = x509::Certificate::parse(sig.cert); !cert) {
    add(d, diag::kSignerCertificateInvalid, cert.error().to_string());
  } else if (!sm2_verifies((*cert)->spki_der(), sig.tbs_der, sig.signature)) {
    add(d, diag::kSignatureInvalid, "the signer's SM2 signature over TBS_Sign does not verify");
  }
  if (sig.format == Format::kV4 && sig.tbs.version != sig.tbs.eseal.info.version) {
    add(d, diag::kVersionMismatch,
        "TBS_Sign.version " + std::to_string(sig.tbs.version) + " is not the seal's");
  }
  // The seal, at the signing time, for this signer.
  if (!sig.tbs.time_info) {
    add(d, diag::kNoSigningTime, "timeInfo holds no time");
  }
  rep.seal = verify_seal(sig.tbs.eseal, {.at = sig.tbs.time_info.value_or(TimePoint{}),
                                         .signer_cert = BytesView(sig.cert)});
  for (const auto& x : rep.seal.diagnostics) {
    if (!sig.tbs.time_info && (x.id == diag::kNotYetValid || x.id == diag::kExpired)) continue;
    d.push_back(x);
  }
  // The timestamp: its imprint must be the digest of the signature value.
  if (sig.timestamp) {
    auto sd = x509::cms::parse_signed_data(*sig.timestamp);
    auto info = sd ? x509::tsp::parse_tst_info(sd->content.value_or(Bytes{}))
                   : Result<x509::tsp::TstInfo>(std::unexpected(sd.error()));
    if (!info) {
      add(d, diag::kTimestampInvalid, info.error().to_string());
    } else {
      bool bound = false;
      for (auto alg : {crypto::HashAlg::kSm3, crypto::HashAlg::kSha256}) {
        if (info->message_imprint.hash_algorithm != x509::cms::hash_oid(alg)) continue;
        auto th = crypto::digest(alg, sig.signature);
        bound = th && *th == info->message_imprint.hashed_message;
      }
      if (!bound) {
        add(d, diag::kTimestampInvalid, "the token's imprint is not the signature value's digest");
      } else {
        rep.timestamp_time = info->gen_time;
      }
    }
  }
  rep.ok = d.empty();
  return rep;
}

}  // namespace hpki::seal
