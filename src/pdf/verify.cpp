#include "pdf/verify.h"

#include <nlohmann/json.hpp>

#include <sstream>

#include "core/encoding.h"
#include "pdf/detail/document_impl.h"
#include "pdf/detail/objects.h"
#include "pdf/sign.h"
#include "x509/cms.h"
#include "x509/crl.h"
#include "x509/name.h"
#include "x509/ocsp.h"
#include "x509/ocsp_source.h"
#include "x509/revocation.h"
#include "x509/tsp.h"

namespace hpki::pdf {
namespace {

constexpr std::size_t kMaxDssEntries = 1000;
constexpr std::size_t kMaxDssEntrySize = 1024 * 1024;

struct DssContent {
  DssReport report;
  std::vector<x509::CertificatePtr> certs;
  std::vector<x509::CrlPtr> crls;
  std::vector<x509::BasicOcspResponsePtr> ocsps;
};

// ETSI EN 319 142-1 5.4.2.2: the DSS dictionary's /Certs, /CRLs and /OCSPs arrays of streams.
DssContent read_dss(const Document& doc) {
  DssContent d;
  QPDF& q = *doc.impl().qpdf;
  auto each = [&](const char* key, const std::function<void(BytesView)>& use) {
    std::size_t n = 0;
    auto r = detail::guarded(std::string("/DSS ") + key, [&] {
      auto arr = detail::key_of(detail::key_of(q.getRoot(), "/DSS"), key);
      if (!arr.isArray()) return;
      for (auto& s : arr.getArrayAsVector()) {
        if (++n > kMaxDssEntries) break;
        if (!s.isStream()) {
          d.report.errors.push_back(std::string(key) + " entry is not a stream");
          continue;
        }
        auto data = s.getStreamData(qpdf_dl_generalized);
        if (data->getSize() > kMaxDssEntrySize) {
          d.report.errors.push_back(std::string(key) + " entry too large");
          continue;
        }
        use(BytesView(data->getBuffer(), data->getSize()));
      }
    });
    if (!r) d.report.errors.push_back(r.error().to_string());
  };
  auto r = detail::guarded("/DSS", [&] { d.report.present = q.getRoot().hasKey("/DSS"); });
  if (!r || !d.report.present) return d;
  each("/Certs", [&](BytesView b) {
    if (auto c = x509::Certificate::parse(b))
      d.certs.push_back(*c);
    else
      d.report.errors.push_back("/Certs: " + c.error().to_string());
  });
  each("/CRLs", [&](BytesView b) {
    if (auto c = x509::Crl::parse(b))
      d.crls.push_back(*c);
    else
      d.report.errors.push_back("/CRLs: " + c.error().to_string());
  });
  each("/OCSPs", [&](BytesView b) {
    auto o = x509::parse_ocsp_response(b);
    if (o && o->basic)
      d.ocsps.push_back(o->basic);
    else
      d.report.errors.push_back(
          "/OCSPs: " + (o ? std::string("not a basic OCSP response") : o.error().to_string()));
  });
  d.report.certificates = d.certs.size();
  d.report.crls = d.crls.size();
  d.report.ocsp_responses = d.ocsps.size();
  return d;
}

bool is_cms_subfilter(std::string_view s) {
  return s == "adbe.pkcs7.detached" || s == "ETSI.CAdES.detached";
}

std::string_view tsp_status(std::string_view detail) {
  namespace d = x509::tsp::diag;
  for (auto id : {d::kTsaNotDesignated, d::kNotGranted, d::kNotTstInfo, d::kImprintMismatch,
                  d::kTsaCertificate, d::kTsaNameMismatch, d::kChain}) {
    if (detail.find(id) != std::string_view::npos) return id;
  }
  return diag::kTimestampInvalid;
}

// The seal:: id constant equal to `id` (the report's ids are strings; ours are views of
// constants), seal.signature_invalid for an unknown one.
std::string_view stable_seal_id(std::string_view id) {
  namespace d = seal::diag;
  for (auto k : {d::kHeaderInvalid, d::kMakerCertificateInvalid, d::kMakerAlgorithmUnsupported,
                 d::kMakerSignatureInvalid, d::kNotYetValid, d::kExpired, d::kSignerNotAllowed,
                 d::kCertListInvalid, d::kSignerCertificateInvalid,
                 d::kSignatureAlgorithmUnsupported, d::kSignatureInvalid, d::kDataHashMismatch,
                 d::kVersionMismatch, d::kNoSigningTime, d::kTimestampInvalid, d::kRevoked}) {
    if (k == id) return k;
  }
  return d::kSignatureInvalid;
}

// An SM2 seal stamp (pdf/sign.h kSubFilterSes): the SES_Signature, then the signer's path at
// the signing time. Sets r.status to diag::kValid when both hold.
void check_stamp(const SignatureInfo& s, BytesView content, const sign::TrustSettings& trust,
                 const std::vector<x509::CertificatePtr>& pool, SignatureReport& r) {
  auto sig = seal::decode_signature(s.contents);
  if (!sig) {
    r.status = diag::kContentsInvalid;
    r.detail = "GBT38540.SES: " + sig.error().to_string();
    return;
  }
  SesReport rep;
  rep.stamp = seal::verify_signature(*sig, content);
  rep.seal_name = sig->tbs.eseal.info.name;
  rep.es_id = sig->tbs.eseal.info.es_id;
  auto cert = x509::Certificate::parse(sig->cert);
  if (cert) rep.signer = x509::to_string((*cert)->subject());
  if (!rep.stamp.ok) {
    const auto& first = rep.stamp.diagnostics.front();
    r.status = first.id == seal::diag::kDataHashMismatch ? diag::kDigestMismatch
                                                         : stable_seal_id(first.id);
    r.detail = first.detail;
    r.ses = std::move(rep);
    return;
  }
  if (!cert) {
    r.status = seal::diag::kSignerCertificateInvalid;
    r.detail = cert.error().to_string();
    r.ses = std::move(rep);
    return;
  }
  // The signing time: the token's genTime (its imprint was checked; its TSA chain here), else
  // the signer's claimed timeInfo.
  rep.validation_time = rep.stamp.signing_time.value_or(trust.now);
  rep.time_source = "time_info";
  if (sig->timestamp && rep.stamp.timestamp_time && !trust.anchors.empty()) {
    x509::tsp::TokenVerifyOptions o;
    o.data = BytesView(sig->signature);
    o.trust_anchors = trust.anchors;
    o.untrusted = pool;
    o.designation = trust.designation;
    if (auto tv = x509::tsp::verify_token(*sig->timestamp, o)) {
      rep.validation_time = tv->info.gen_time;
      rep.time_source = "timestamp";
    }
  }
  std::vector<x509::CertificatePtr> all = pool;
  all.insert(all.end(), trust.anchors.begin(), trust.anchors.end());
  const x509::CrlRevocationSource crls(trust.crls, all);
  x509::PathOptions po;
  po.at = rep.validation_time;
  po.key_policy.cache = trust.signature_cache;
  std::vector<const x509::RevocationSource*> sources = trust.revocation_sources;
  const bool have_revocation = !trust.crls.empty() || !sources.empty();
  // hpki's own records answer as of the signing time; the CRLs as they are now (a stamp of a
  // signer revoked since is reported revoked: stamps are judged conservatively).
  sources.push_back(&crls);
  const x509::CombinedRevocationSource chain_of(sources);
  if (have_revocation) po.revocation = &chain_of;
  po.require_revocation_status = trust.require_revocation.value_or(have_revocation);
  rep.path = x509::validate_path(*cert, pool, trust.anchors, po);
  if (!rep.path->valid) {
    r.status = rep.path->status;
    r.detail = rep.path->detail;
  } else {
    r.status = diag::kValid;
  }
  r.ses = std::move(rep);
}

void check_signature(const Document& doc, const sign::TrustSettings& trust,
                     const std::vector<x509::CertificatePtr>& pool, SignatureReport& r) {
  const auto& s = r.info;
  if (!s.byte_range) {
    r.status = diag::kByteRangeInvalid;
    r.detail = s.byte_range_error;
    return;
  }
  if (!s.contents_error.empty()) {
    r.status = diag::kContentsInvalid;
    r.detail = s.contents_error;
    return;
  }
  if (s.is_document_timestamp()) {
    const Bytes content = signed_bytes(doc, s);
    // ETSI EN 319 142-1 5.4.3: a document time-stamp is a TimeStampToken whose messageImprint
    // is the digest of the bytes the ByteRange covers.
    sign::TimestampReport ts;
    x509::tsp::TokenVerifyOptions o;
    o.data = BytesView(content);
    o.trust_anchors = trust.anchors;
    o.untrusted = pool;
    o.designation = trust.designation;
    if (trust.anchors.empty()) {
      ts.status = diag::kTimestampInvalid;
      ts.detail = "no trust anchor for the TSA";
    } else if (auto tv = x509::tsp::verify_token(s.contents, o)) {
      ts.valid = true;
      ts.status = diag::kValid;
      ts.gen_time = tv->info.gen_time;
      ts.tsa = x509::to_string(tv->tsa->subject());
    } else {
      ts.status = tsp_status(tv.error().detail());
      ts.detail = tv.error().to_string();
    }
    r.doc_timestamp = ts;
    if (!ts.valid) {
      r.status = ts.status == x509::tsp::diag::kImprintMismatch ? diag::kDigestMismatch
                                                                : diag::kTimestampInvalid;
      r.detail = ts.detail;
      return;
    }
  } else if (is_cms_subfilter(s.sub_filter)) {
    sign::VerifyRequest req;
    req.mode = sign::Mode::kCmsDetached;
    req.signature = s.contents;
    // The covered bytes are hashed where they lie (a CMS without signed attributes, which PDF
    // signatures do not use, needs the bytes themselves).
    req.content_digest = [&](crypto::HashAlg alg) { return signed_digest(doc, s, alg); };
    sign::TrustSettings t = trust;
    t.intermediates = pool;
    r.cms = sign::verify(req, t);
    if (!r.cms->valid) {
      r.status = r.cms->status == x509::cms::diag::kMessageDigestMismatch ? diag::kDigestMismatch
                                                                          : r.cms->status;
      r.detail = r.cms->detail;
      return;
    }
  } else if (s.sub_filter == kSubFilterSes) {
    check_stamp(s, signed_bytes(doc, s), trust, pool, r);
    if (!r.ses || r.status != diag::kValid) return;
  } else {
    r.status = diag::kUnsupportedSubFilter;
    r.detail = "/SubFilter '" + s.sub_filter + "' is not supported";
    return;
  }
  r.valid = true;
  r.status = diag::kValid;
}

std::string_view first_invalidating(const std::vector<Finding>& f, std::string* detail) {
  for (const auto& x : f) {
    if (x.invalidating) {
      *detail = x.detail;
      return x.id;
    }
  }
  return {};
}

}  // namespace

VerifyPdfReport verify(BytesView pdf, const sign::TrustSettings& trust,
                       const VerifyPdfOptions& options) {
  VerifyPdfReport rep;
  rep.size = pdf.size();
  auto doc = Document::open(pdf);
  if (!doc) {
    rep.status = doc.error().code() == ErrorCode::kTooLarge ? diag::kTooLarge : diag::kMalformed;
    rep.detail = doc.error().to_string();
    return rep;
  }
  rep.revisions = doc->revisions().size();
  rep.pages = doc->page_count();
  rep.qpdf_warnings = doc->warnings();
  auto sigs = extract_signatures(*doc);
  if (!sigs) {
    rep.status = sigs.error().code() == ErrorCode::kTooLarge ? diag::kTooLarge : diag::kMalformed;
    rep.detail = sigs.error().to_string();
    return rep;
  }
  if (sigs->empty()) {
    rep.status = diag::kNoSignatures;
    rep.detail = "the document has no signature";
    return rep;
  }

  DssContent dss;
  if (options.use_dss) dss = read_dss(*doc);
  rep.dss = dss.report;
  sign::TrustSettings t = trust;
  // DSS data helps; it never makes a revocation status required that `trust` did not.
  t.require_revocation =
      trust.require_revocation.value_or(!trust.crls.empty() || !trust.revocation_sources.empty());
  t.crls.insert(t.crls.end(), dss.crls.begin(), dss.crls.end());
  const x509::OcspRevocationSource ocsp(dss.ocsps);
  if (!dss.ocsps.empty()) t.revocation_sources.push_back(&ocsp);
  std::vector<x509::CertificatePtr> pool = trust.intermediates;
  pool.insert(pool.end(), dss.certs.begin(), dss.certs.end());

  std::optional<int> docmdp_in_force;
  for (std::size_t i = 0; i < sigs->size(); ++i) {
    SignatureReport r;
    r.info = std::move((*sigs)[i]);
    check_signature(*doc, t, pool, r);
    if (r.info.docmdp_p && r.info.byte_range) {
      // ISO 32000-1 12.8.2.2.1: the DocMDP signature is the first signed field.
      if (i != 0 || docmdp_in_force) {
        r.findings.push_back({diag::kCertificationNotFirst,
                              "a certification (DocMDP) signature that is not the first signature",
                              true});
      } else {
        docmdp_in_force = r.info.docmdp_p;
      }
    }
    if (r.info.byte_range && !r.info.covers_whole_file) {
      r.findings.push_back({diag::kNotWholeFile,
                            std::to_string(doc->bytes().size() - r.info.signed_end) +
                                " bytes of later revisions are not covered by this signature",
                            false});
      if (options.analyze_changes) {
        const auto& rev = doc->revisions().at(*r.info.revision);
        auto f = analyze_changes(*doc, rev.end, docmdp_in_force);
        if (f) {
          r.findings.insert(r.findings.end(), f->begin(), f->end());
        } else {
          r.findings.push_back({diag::kMalformed, f.error().to_string(), true});
        }
      }
    }
    std::string d;
    if (auto id = first_invalidating(r.findings, &d); r.valid && !id.empty()) {
      r.valid = false;
      r.status = id;
      r.detail = d;
    }
    rep.signatures.push_back(std::move(r));
  }
  rep.valid = true;
  rep.status = diag::kValid;
  for (const auto& r : rep.signatures) {
    if (!r.valid) {
      rep.valid = false;
      rep.status = r.status;
      rep.detail = "signature '" + r.info.field_name + "': " + r.detail;
      break;
    }
  }
  return rep;
}

std::string verify_report_json(const VerifyPdfReport& rep) {
  nlohmann::json j{{"valid", rep.valid}, {"status", rep.status},
                   {"size", rep.size},   {"revisions", rep.revisions},
                   {"pages", rep.pages}, {"qpdf_warnings", rep.qpdf_warnings}};
  if (!rep.detail.empty()) j["detail"] = rep.detail;
  nlohmann::json sigs = nlohmann::json::array();
  for (const auto& r : rep.signatures) {
    const auto& s = r.info;
    nlohmann::json o{{"field", s.field_name},
                     {"type", s.type},
                     {"filter", s.filter},
                     {"sub_filter", s.sub_filter},
                     {"valid", r.valid},
                     {"status", r.status},
                     {"covers_whole_file", s.covers_whole_file}};
    if (!r.detail.empty()) o["detail"] = r.detail;
    o["byte_range"] = s.byte_range_raw;
    if (s.revision) o["revision"] = *s.revision + 1;
    if (s.m) o["m"] = *s.m;
    if (s.name) o["name"] = *s.name;
    if (s.reason) o["reason"] = *s.reason;
    if (s.location) o["location"] = *s.location;
    if (s.docmdp_p) o["docmdp_p"] = *s.docmdp_p;
    if (r.cms) {
      auto c = nlohmann::json::parse(sign::verify_report_json(*r.cms), nullptr, false);
      if (!c.is_discarded()) o["cms"] = std::move(c);
    }
    if (r.doc_timestamp) {
      nlohmann::json t{{"valid", r.doc_timestamp->valid}, {"status", r.doc_timestamp->status}};
      if (r.doc_timestamp->gen_time) t["gen_time"] = format_rfc3339(*r.doc_timestamp->gen_time);
      if (!r.doc_timestamp->tsa.empty()) t["tsa"] = r.doc_timestamp->tsa;
      if (!r.doc_timestamp->detail.empty()) t["detail"] = r.doc_timestamp->detail;
      o["document_timestamp"] = std::move(t);
    }
    if (r.ses) {
      nlohmann::json t{{"ok", r.ses->stamp.ok},
                       {"seal_name", r.ses->seal_name},
                       {"es_id", r.ses->es_id},
                       {"signer", r.ses->signer},
                       {"time_source", r.ses->time_source},
                       {"validation_time", format_rfc3339(r.ses->validation_time)}};
      nlohmann::json d = nlohmann::json::array();
      for (const auto& x : r.ses->stamp.diagnostics)
        d.push_back({{"id", x.id}, {"detail", x.detail}});
      t["diagnostics"] = std::move(d);
      if (r.ses->stamp.signing_time) t["time_info"] = format_rfc3339(*r.ses->stamp.signing_time);
      if (r.ses->stamp.timestamp_time)
        t["timestamp_time"] = format_rfc3339(*r.ses->stamp.timestamp_time);
      if (r.ses->path) t["path"] = {{"valid", r.ses->path->valid}, {"status", r.ses->path->status}};
      o["seal_stamp"] = std::move(t);
    }
    nlohmann::json f = nlohmann::json::array();
    for (const auto& x : r.findings)
      f.push_back({{"id", x.id}, {"detail", x.detail}, {"invalidating", x.invalidating}});
    o["findings"] = std::move(f);
    sigs.push_back(std::move(o));
  }
  j["signatures"] = std::move(sigs);
  if (rep.dss.present) {
    j["dss"] = {{"certificates", rep.dss.certificates},
                {"crls", rep.dss.crls},
                {"ocsp_responses", rep.dss.ocsp_responses},
                {"errors", rep.dss.errors}};
  }
  // Names and reasons come from the file: invalid UTF-8 becomes U+FFFD, never an exception.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string verify_report_text(const VerifyPdfReport& rep) {
  std::ostringstream s;
  s << "PDF verification: " << (rep.valid ? "OK" : "FAILED") << " (" << rep.status << ")\n";
  if (!rep.detail.empty()) s << "detail: " << rep.detail << "\n";
  s << "file: " << rep.size << " bytes, " << rep.revisions << " revision(s), " << rep.pages
    << " page(s)";
  if (rep.qpdf_warnings > 0) s << ", " << rep.qpdf_warnings << " structure warning(s)";
  s << "\n";
  if (rep.dss.present) {
    s << "DSS: " << rep.dss.certificates << " certificate(s), " << rep.dss.crls << " CRL(s), "
      << rep.dss.ocsp_responses << " OCSP response(s)\n";
    for (const auto& e : rep.dss.errors) s << "  skipped: " << e << "\n";
  }
  std::size_t n = 0;
  for (const auto& r : rep.signatures) {
    const auto& i = r.info;
    s << "\nsignature " << ++n << " '" << i.field_name << "' (" << i.type << ", " << i.sub_filter
      << "): " << (r.valid ? "valid" : "INVALID") << " (" << r.status << ")\n";
    if (!r.detail.empty()) s << "  detail: " << r.detail << "\n";
    if (i.revision)
      s << "  signs revision " << *i.revision + 1 << " of " << rep.revisions
        << (i.covers_whole_file ? " (the whole file)" : "") << "\n";
    if (i.docmdp_p) s << "  certification, DocMDP P=" << *i.docmdp_p << "\n";
    if (i.reason) s << "  reason: " << *i.reason << "\n";
    if (i.location) s << "  location: " << *i.location << "\n";
    if (i.m) s << "  M: " << *i.m << "\n";
    if (r.doc_timestamp) {
      s << "  document timestamp: " << (r.doc_timestamp->valid ? "valid" : "INVALID") << " ("
        << r.doc_timestamp->status << ")";
      if (r.doc_timestamp->gen_time) s << " genTime " << format_rfc3339(*r.doc_timestamp->gen_time);
      if (!r.doc_timestamp->tsa.empty()) s << " by " << r.doc_timestamp->tsa;
      s << "\n";
    }
    if (r.ses) {
      s << "  seal stamp (GB/T 38540): seal '" << r.ses->seal_name << "' (esID " << r.ses->es_id
        << "), signer " << r.ses->signer << "\n";
      if (r.ses->stamp.signing_time)
        s << "  timeInfo: " << format_rfc3339(*r.ses->stamp.signing_time) << "\n";
      if (r.ses->stamp.timestamp_time)
        s << "  timestamp: " << format_rfc3339(*r.ses->stamp.timestamp_time) << "\n";
      for (const auto& d : r.ses->stamp.diagnostics)
        s << "  seal: " << d.id << ": " << d.detail << "\n";
      if (r.ses->path) {
        s << "  signer path at " << format_rfc3339(r.ses->validation_time) << " ("
          << r.ses->time_source << "): " << r.ses->path->status << "\n";
      }
    }
    for (const auto& f : r.findings)
      s << "  " << (f.invalidating ? "finding" : "note") << ": " << f.id << ": " << f.detail
        << "\n";
    if (r.cms) {
      std::istringstream lines(sign::verify_report_text(*r.cms));
      for (std::string line; std::getline(lines, line);) s << "  | " << line << "\n";
    }
  }
  return s.str();
}

}  // namespace hpki::pdf
