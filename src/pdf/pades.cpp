#include "pdf/pades.h"

#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "crypto/digest.h"
#include "der/oids.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::pdf {
namespace {

constexpr std::string_view kDocTimestampSubFilter = "ETSI.RFC3161";

// The certificates the validation data must cover: the signer's, its chain, and the TSA's of
// a signatureTimeStampToken (the CMS's own certificates first, then the token's).
Result<std::vector<x509::CertificatePtr>> certificates_of(BytesView cms,
                                                          const sign::SigningIdentity& id) {
  std::vector<x509::CertificatePtr> out{id.certificate};
  out.insert(out.end(), id.chain.begin(), id.chain.end());
  const auto sd = HPKI_TRY(x509::cms::parse_signed_data(cms));
  if (sd.signers.empty()) return out;
  if (const auto* attr = sd.signers.front().find_unsigned(der::oids::kAaTimeStampToken);
      attr != nullptr) {
    for (const auto& token : attr->values) {
      const auto tsd = HPKI_TRY(x509::cms::parse_signed_data(token));
      out.insert(out.end(), tsd.certificates.begin(), tsd.certificates.end());
    }
  }
  // Each certificate once.
  std::vector<x509::CertificatePtr> unique;
  for (const auto& c : out) {
    if (std::ranges::none_of(unique, [&](const auto& u) { return u->der() == c->der(); }))
      unique.push_back(c);
  }
  return unique;
}

}  // namespace

std::string_view level_name(Level l) noexcept {
  switch (l) {
    case Level::kBB:
      return "b-b";
    case Level::kBT:
      return "b-t";
    case Level::kBLT:
      return "b-lt";
    case Level::kBLTA:
      return "b-lta";
  }
  return "b-b";
}

Result<Level> parse_level(std::string_view s) {
  std::string lower(s);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (Level l : {Level::kBB, Level::kBT, Level::kBLT, Level::kBLTA}) {
    if (lower == level_name(l)) return l;
  }
  return fail(ErrorCode::kInvalidArgument,
              "level must be b-b, b-t, b-lt or b-lta, not '" + std::string(s) + "'");
}

Result<Bytes> sign_with_cms(BytesView pdf, const FieldSpec& field, crypto::HashAlg hash,
                            const CmsFn& cms) {
  if (!cms) return fail(ErrorCode::kInvalidArgument, "no CMS signer");
  auto prepared = HPKI_TRY(prepare(pdf, field));
  const Bytes digest = HPKI_TRY(byte_range_digest(prepared, hash));
  const Bytes der = HPKI_TRY(cms(hash, digest));
  return finish(std::move(prepared), der);
}

Result<Bytes> add_document_timestamp(BytesView pdf, const sign::DigestTimestampFn& timestamp,
                                     std::size_t capacity) {
  if (!timestamp) return fail(ErrorCode::kInvalidArgument, "a document timestamp needs a TSA");
  FieldSpec f;
  f.sub_filter = std::string(kDocTimestampSubFilter);
  f.contents_capacity = capacity;
  return sign_with_cms(pdf, f, crypto::HashAlg::kSha256,
                       [&](crypto::HashAlg h, BytesView digest) { return timestamp(h, digest); });
}

Result<PadesResult> sign_pades(BytesView pdf, const sign::SigningIdentity& id,
                               const PadesOptions& o) {
  if (id.signer == nullptr || !id.certificate)
    return fail(ErrorCode::kInvalidArgument, "no signing key or certificate");
  if (o.field.sub_filter == kDocTimestampSubFilter)
    return fail(ErrorCode::kInvalidArgument,
                "a signature cannot use the document-timestamp SubFilter ETSI.RFC3161");
  if (o.level != Level::kBB && !o.timestamp)
    return fail(ErrorCode::kInvalidArgument,
                std::string("PAdES ") + std::string(level_name(o.level)) + " needs a TSA");
  if ((o.level == Level::kBLT || o.level == Level::kBLTA) && !o.validation_data)
    return fail(ErrorCode::kInvalidArgument, std::string("PAdES ") +
                                                 std::string(level_name(o.level)) +
                                                 " needs validation data (CRLs / OCSP responses)");

  PadesResult out;
  out.signature_alg = id.signer->algorithm();
  const auto hash = crypto::signature_hash(out.signature_alg);
  sign::SignRequest req;
  req.mode = sign::Mode::kCmsDetached;
  req.omit_signing_time = true;  // ETSI EN 319 142-1 5.2.2: /M holds the claimed time
  req.signing_time = o.field.signing_time;
  req.gmt0010 = o.gmt0010;
  if (o.level != Level::kBB) req.timestamp = sign::timestamp_over_digest(o.timestamp);
  Bytes cms;
  out.pdf = HPKI_TRY(
      sign_with_cms(pdf, o.field, hash, [&](crypto::HashAlg, BytesView digest) -> Result<Bytes> {
        req.content_digest = Bytes(digest.begin(), digest.end());
        auto r = HPKI_TRY(sign::sign({}, id, req));
        out.timestamp_time = r.timestamp_time;
        cms = r.output;
        return r.output;
      }));
  if (o.level == Level::kBB || o.level == Level::kBT) return out;

  // B-LT: ETSI EN 319 142-1 5.4.2, the DSS with the validation data of signer and TSA.
  const auto certs = HPKI_TRY(certificates_of(cms, id));
  Dss dss = HPKI_TRY(o.validation_data(certs));
  for (const auto& c : certs) {
    if (std::ranges::find(dss.certs, c->der()) == dss.certs.end()) dss.certs.push_back(c->der());
  }
  out.dss_entries = dss.certs.size() + dss.crls.size() + dss.ocsps.size();
  out.pdf = HPKI_TRY(append_dss(out.pdf, dss));
  if (o.level == Level::kBLT) return out;

  // B-LTA: ETSI EN 319 142-1 5.4.3, a document timestamp over all of it.
  Bytes token;
  out.pdf = HPKI_TRY(add_document_timestamp(
      out.pdf,
      [&](crypto::HashAlg h, BytesView digest) -> Result<Bytes> {
        token = HPKI_TRY(o.timestamp(h, digest));
        return token;
      },
      o.doc_timestamp_capacity));
  const auto tsd = HPKI_TRY(x509::cms::parse_signed_data(token));
  const auto info = HPKI_TRY(x509::tsp::parse_tst_info(tsd.content.value_or(Bytes{})));
  out.doc_timestamp_time = info.gen_time;
  return out;
}

Result<Bytes> stamp_with_seal(BytesView pdf, FieldSpec field, const seal::Seal& seal,
                              const crypto::Signer& signer, const x509::Certificate& signer_cert,
                              const seal::TimestampFn& timestamp) {
  field.sub_filter = std::string(kSubFilterSes);
  auto prepared = HPKI_TRY(prepare(pdf, field));
  // TBS_Sign.dataHash = SM3 of the bytes the ByteRange covers (the two ranges in order).
  const auto& br = prepared.byte_range;
  Bytes data;
  data.reserve(br[1] + br[3]);
  const auto* base = prepared.pdf.data();
  data.insert(data.end(), base + br[0], base + br[0] + br[1]);
  data.insert(data.end(), base + br[2], base + br[2] + br[3]);
  seal::SignatureRequest req;
  req.time_info = std::chrono::time_point_cast<std::chrono::seconds>(field.signing_time);
  req.property_info = "PDF /ByteRange";  // IA5String: what the dataHash covers
  req.timestamp = timestamp;
  const auto sig = HPKI_TRY(seal::make_signature(seal, data, signer, signer_cert.der(), req));
  return finish(std::move(prepared), sig.der);
}

}  // namespace hpki::pdf
