#include "evidence/exporter.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "audit/audit_log.h"
#include "ca/keys.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "core/version.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "der/oids.h"
#include "pdf/verify.h"
#include "sign/sign_service.h"
#include "x509/cms.h"
#include "x509/crl.h"
#include "x509/extensions.h"
#include "x509/name.h"

namespace hpki::evidence {
namespace {

using json = nlohmann::json;

// A file name for the data member: the given name's safe characters, else "document.bin".
std::string member_file_name(std::string_view name) {
  const auto slash = name.find_last_of("/\\");
  if (slash != std::string_view::npos) name = name.substr(slash + 1);
  std::string out;
  for (char ch : name) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == '_';
    out += ok ? ch : '_';
  }
  while (!out.empty() && out.front() == '.') out.erase(out.begin());
  if (out.empty() || out.size() > 100) return "document.bin";
  return out;
}

Bytes as_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

}  // namespace

Result<ExportResult> Exporter::export_signature(const ExportRequest& r) {
  if (d_.runtime == nullptr || d_.tsa == nullptr || d_.crls == nullptr)
    return fail(ErrorCode::kInternal, "the evidence exporter lacks a dependency");
  auto& rt = *d_.runtime;
  const TimePoint now = rt.clock().now();

  // Trust anchors: this hpki's roots.
  std::vector<x509::CertificatePtr> roots;
  std::vector<store::CaRecord> cas;
  HPKI_TRY(rt.store().read([&](store::Tx& tx) -> Result<void> {
    cas = HPKI_TRY(tx.list_cas());
    return {};
  }));
  for (const auto& ca : cas)
    if (ca.role == store::CaRole::kRoot)
      roots.push_back(HPKI_TRY(x509::Certificate::parse(ca.certificate)));

  // A co-signing request: its result and document.
  std::optional<store::SigningRequestRecord> request;
  std::optional<Bytes> request_data;
  if (r.request_id) {
    auto got = rt.store().read_value<store::SigningRequestRecord>(
        [&](store::Tx& tx) { return tx.get_signing_request(*r.request_id); });
    if (!got || (r.org && got->org != *r.org))
      return fail(ErrorCode::kNotFound, "no signing request " + *r.request_id);
    if (got->state != "signed" || !got->result)
      return fail(ErrorCode::kBadState, "signing request " + *r.request_id + " is " + got->state +
                                            ", not signed: there is no signature to package");
    if (!r.signed_object.empty() && r.signed_object != *got->result)
      return fail(ErrorCode::kInvalidArgument,
                  "the signature given is not the result of signing request " + *r.request_id);
    if (got->format != "pdf" && got->format != "cms") request_data = got->document;
    request = std::move(*got);
  }
  // What was given: a CMS (DER or PEM) or a raw signature.
  Bytes signed_object = request ? *request->result : r.signed_object;
  const std::optional<Bytes>& given_data = r.data ? r.data : request_data;
  if (looks_like_pem(signed_object)) {
    const std::string text(signed_object.begin(), signed_object.end());
    auto blocks = HPKI_TRY(pem_decode_all(text));
    if (blocks.size() != 1)
      return fail(ErrorCode::kInvalidArgument, "the PEM input must hold exactly one CMS");
    signed_object = std::move(blocks.front().data);
  }
  // A certificate alone: it is the document and the object of the package.
  x509::CertificatePtr cert_only;
  if (r.serial) {
    if (!signed_object.empty())
      return fail(ErrorCode::kInvalidArgument, "give a signature or a serial, not both");
    auto v = rt.ca().show(*r.serial);
    if (!v || !v->record.der || (r.org && v->record.org != *r.org))
      return fail(ErrorCode::kNotFound, "no certificate " + r.serial->hex());
    cert_only = HPKI_TRY(x509::Certificate::parse(*v->record.der));
    signed_object = *v->record.der;
  }
  static constexpr std::string_view kPdfMagic = "%PDF-";
  const bool is_pdf = !cert_only && signed_object.size() > kPdfMagic.size() &&
                      std::equal(kPdfMagic.begin(), kPdfMagic.end(), signed_object.begin());
  const bool is_cms =
      !cert_only && !is_pdf && x509::cms::parse_signed_data(signed_object).has_value();
  if (!r.include_data && (cert_only || is_pdf || (is_cms && !given_data)))
    return fail(ErrorCode::kInvalidArgument,
                "the data is inside this signature (a PDF, an attached CMS): it cannot be exported "
                "as a hash only; sign detached for that");
  sign::VerifyRequest vr;
  vr.signature = signed_object;
  if (given_data) vr.content = BytesView(*given_data);
  if (is_cms) {
    vr.mode = sign::Mode::kCmsAttached;
    if (r.certificate) vr.signer_certificate = r.certificate;
  } else if (is_pdf || cert_only) {
    // below
  } else {
    if (!r.certificate || !given_data)
      return fail(ErrorCode::kInvalidArgument,
                  "not a CMS signature; a raw signature needs --cert and --data");
    vr.mode = sign::Mode::kRaw;
    vr.signer_certificate = r.certificate;
  }
  sign::TrustSettings trust;
  trust.anchors = roots;
  for (const auto& ca : cas)
    trust.intermediates.push_back(HPKI_TRY(x509::Certificate::parse(ca.certificate)));
  trust.now = now;
  x509::CertificatePtr signer;
  if (cert_only) {
    signer = cert_only;
  } else if (is_pdf) {
    // The first CMS signature of the PDF that verifies (PAdES; SM2 seal stamps carry their
    // signer inside the GB/T 38540 structure and are packaged by document only when another
    // signature names the signer).
    const auto rep = pdf::verify(signed_object, trust);
    for (const auto& s : rep.signatures) {
      if (s.cms && s.cms->signature_valid && s.cms->signer) {
        signer = s.cms->signer;
        break;
      }
    }
    if (!signer)
      return fail(ErrorCode::kBadSignature,
                  "the PDF has no CMS signature that verifies (" + rep.detail + ")");
  } else {
    const auto first = sign::verify(vr, trust);
    if (!first.signature_valid || !first.signer)
      return fail(ErrorCode::kBadSignature, "the signature does not verify (" +
                                                std::string(first.status) + ": " + first.detail +
                                                ")");
    signer = first.signer;
  }

  // The signer must be a certificate this hpki issued, of the caller's organization.
  auto view = rt.ca().show(signer->serial_number());
  if (!view || !view->record.der || *view->record.der != signer->der())
    return fail(ErrorCode::kNotFound, "the signer's certificate (serial " +
                                          signer->serial_number().hex() +
                                          ") was not issued by this hpki");
  if (r.org && view->record.org != *r.org) return fail(ErrorCode::kNotFound, "not found");
  const auto& rec = view->record;
  const auto signer_ca = HPKI_TRY(
      rt.store().read_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(rec.ca_id); }));
  const bool sm2 = signer_ca.family == store::CaFamily::kSm2;
  const crypto::HashAlg ts_hash = sm2 ? crypto::HashAlg::kSm3 : crypto::HashAlg::kSha256;

  // Certificates: the signer's chain, the audit signer and its chain, the TSA's chain.
  std::vector<Bytes> ca_certs;
  auto add_ca = [&](const Bytes& der) {
    if (der != signer->der() && std::ranges::find(ca_certs, der) == ca_certs.end())
      ca_certs.push_back(der);
  };
  for (const auto& der : HPKI_TRY(rt.ca().chain_of(rec.ca_id))) add_ca(der);
  const Bytes audit_cert = HPKI_TRY(rt.ca().audit_certificate(signer_ca.family));
  const std::string issuing = ca::ca_id(signer_ca.family, store::CaRole::kIssuing);
  for (const auto& der : HPKI_TRY(rt.ca().chain_of(issuing))) add_ca(der);
  if (auto tsa_chain = rt.ca().chain_of(ca::ca_id(signer_ca.family, store::CaRole::kTsa)))
    for (const auto& der : *tsa_chain) add_ca(der);

  // Fresh CRLs for every certificate that is not a root: a stored CRL newer than the
  // certificate's last status change and not expired, else a new one.
  std::vector<x509::CertificatePtr> covered{signer, HPKI_TRY(x509::Certificate::parse(audit_cert))};
  for (const auto& der : ca_certs) covered.push_back(HPKI_TRY(x509::Certificate::parse(der)));
  std::vector<Bytes> crl_ders;
  const auto scopes = HPKI_TRY(d_.crls->scopes());
  for (const auto& c : covered) {
    if (c->is_self_issued()) continue;
    std::optional<TimePoint> changed;
    if (auto v = rt.ca().show(c->serial_number()); v && v->record.der && *v->record.der == c->der())
      changed = v->record.updated_at;
    for (const auto& name : HPKI_TRY(revocation::crl_names_of(*c))) {
      std::optional<store::CrlRecord> latest;
      HPKI_TRY(rt.store().read([&](store::Tx& tx) -> Result<void> {
        latest = HPKI_TRY(tx.latest_crl(name, true));
        return {};
      }));
      if (!latest || latest->next_update <= now || (changed && latest->this_update < *changed)) {
        const auto scope = std::ranges::find_if(
            scopes, [&](const auto& s) { return revocation::crl_name(s, false) == name; });
        if (scope == scopes.end()) continue;
        latest = HPKI_TRY(d_.crls->generate(*scope, false));
      }
      if (std::ranges::find(crl_ders, latest->der) == crl_ders.end())
        crl_ders.push_back(latest->der);
    }
  }

  // Audit entries: the signer's certificate, its subject record, this signature.
  const std::string signature_object =
      "signature:" + hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, signed_object)));
  std::vector<std::string> objects{signature_object, rec.ca_id + "/" + rec.serial.hex()};
  if (rec.subject_id) objects.push_back("subject/" + std::to_string(*rec.subject_id));
  if (request) {
    objects.push_back(request->id);
    if (!request->device_id.empty()) objects.push_back(request->device_id);
  }
  std::vector<store::AuditRecord> entries;
  HPKI_TRY(rt.store().read([&](store::Tx& tx) -> Result<void> {
    entries = HPKI_TRY(tx.find_audit(objects, 1000));
    return {};
  }));
  std::optional<store::AuditCheckpoint> cp;
  HPKI_TRY(rt.store().read([&](store::Tx& tx) -> Result<void> {
    auto all = HPKI_TRY(tx.list_checkpoints());
    if (!all.empty()) cp = all.back();
    return {};
  }));
  const std::int64_t last_seq = entries.empty() ? 0 : entries.back().seq;
  // The checkpoint must cover the entries and be signed while the audit signer certificate was
  // valid (a checkpoint older than a newly issued audit-signer certificate would not verify).
  const auto audit_not_before =
      HPKI_TRY(x509::Certificate::parse(audit_cert))->validity().not_before;
  if (!cp || cp->seq < last_seq || cp->signed_at < audit_not_before) {
    auto audit_signer = HPKI_TRY(rt.file_keys().signer(crypto::to_key_ref(ca::audit_key_id())));
    cp = HPKI_TRY(rt.audit().checkpoint(rt.store(), *audit_signer, ca::audit_key_id()));
  }
  json entries_json = json::array();
  for (const auto& e : entries) {
    const auto proof = HPKI_TRY(rt.audit().inclusion_proof(rt.store(), e.seq, cp->tree_size));
    json path = json::array();
    for (const auto& h : proof.path) path.push_back(hex_encode(h));
    entries_json.push_back(
        {{"seq", e.seq},
         {"at", std::chrono::duration_cast<std::chrono::seconds>(e.at.time_since_epoch()).count()},
         {"actor", e.actor},
         {"action", e.action},
         {"object", e.object},
         {"outcome", e.outcome},
         {"details", e.details},
         {"hash_alg", e.hash_alg},
         {"prev_hash", hex_encode(e.prev_hash)},
         {"hash", hex_encode(e.hash)},
         {"org", e.org},
         {"proof",
          {{"leaf_index", proof.leaf_index}, {"tree_size", proof.tree_size}, {"path", path}}}});
  }
  const json checkpoint_json{
      {"seq", cp->seq},
      {"tree_size", cp->tree_size},
      {"root_hash", hex_encode(cp->root_hash)},
      {"signature", base64_encode(cp->signature)},
      {"key_ref", cp->key_ref.str()},
      {"signed_at",
       std::chrono::duration_cast<std::chrono::seconds>(cp->signed_at.time_since_epoch()).count()},
      {"hash_alg", crypto::hash_name(rt.audit().hash_alg())}};

  // The signer's identity record (identifiers masked) and certificate record.
  json identity{{"certificate",
                 {{"ca_id", rec.ca_id},
                  {"serial", rec.serial.hex()},
                  {"subject", rec.subject},
                  {"profile", rec.profile},
                  {"requested_by", rec.requested_by},
                  {"issued_at", format_rfc3339(rec.created_at)},
                  {"status", view->status ? std::string(view->status->word()) : "unknown"}}}};
  if (rec.subject_id) {
    if (auto s = rt.ca().get_subject(*rec.subject_id)) {
      identity["subject"] = {{"id", s->record.id},
                             {"name", s->record.name},
                             {"organization", s->record.org},
                             {"department", s->record.dept},
                             {"id_number_masked", s->id_number_masked},
                             {"staff_no", s->record.staff_no},
                             {"licence_no", s->record.licence_no},
                             {"recorded_at", format_rfc3339(s->record.created_at)}};
    }
  }

  // The members.
  Manifest m;
  const Bytes id_bytes = HPKI_TRY(crypto::random_bytes(16));
  m.id = hex_encode(id_bytes);
  m.created_at = format_rfc3339(now);
  m.hpki_version = std::string(version());
  m.signature_format = cert_only ? "certificate" : is_pdf ? "pdf" : (is_cms ? "cms" : "raw");
  m.timestamp_hash = std::string(crypto::hash_name(ts_hash));
  // The document: the given data, or the content of an attached CMS.
  Bytes document;
  if (is_pdf || cert_only) {
    document = signed_object;
  } else if (given_data) {
    document = *given_data;
  } else if (auto sd = x509::cms::parse_signed_data(signed_object); sd && sd->content) {
    document = *sd->content;
  }
  m.document.name = r.document_name;
  m.document.size = static_cast<std::int64_t>(document.size());
  m.document.sha256 = hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, document)));
  m.document.sm3 = hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSm3, document)));
  m.document.included =
      cert_only || is_pdf || (is_cms && !given_data) || (r.include_data && given_data.has_value());
  if (!r.include_data) m.document.size = -1;

  std::vector<PackageMember> members;
  if (!is_pdf && !cert_only && r.include_data && given_data)
    members.push_back(
        {std::string(role::kData), {"data/" + member_file_name(r.document_name), *given_data}});
  if (!cert_only)
    members.push_back({std::string(role::kSignature),
                       {is_pdf   ? "signature/document.pdf"
                        : is_cms ? "signature/signature.p7s"
                                 : "signature/signature.sig",
                        signed_object}});
  members.push_back({std::string(role::kSignerCertificate), {"certs/signer.cer", signer->der()}});
  members.push_back({std::string(role::kAuditCertificate), {"certs/audit.cer", audit_cert}});
  for (std::size_t i = 0; i < ca_certs.size(); ++i)
    members.push_back({std::string(role::kCaCertificate),
                       {"certs/ca-" + std::to_string(i + 1) + ".cer", ca_certs[i]}});
  for (std::size_t i = 0; i < crl_ders.size(); ++i)
    members.push_back({std::string(role::kCrl),
                       {"revocation/crl-" + std::to_string(i + 1) + ".crl", crl_ders[i]}});
  members.push_back(
      {std::string(role::kIdentityRecord), {"records/identity.json", as_bytes(identity.dump(2))}});
  if (request) {
    const json approval{
        {"request_id", request->id},
        {"organization", request->org},
        {"requested_by", request->created_by},
        {"requested_at", format_rfc3339(request->created_at)},
        {"format", request->format},
        {"summary",
         json::parse(request->summary.empty() ? "{}" : request->summary, nullptr, false)},
        {"document_sha256",
         hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, request->document)))},
        {"device_id", request->device_id},
        {"approval", request->approval},
        {"signing_time", request->signing_time ? format_rfc3339(*request->signing_time) : ""},
        {"signed_at", request->signed_at ? format_rfc3339(*request->signed_at) : ""},
        {"handwriting_sha256",
         request->handwriting
             ? hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, *request->handwriting)))
             : ""}};
    members.push_back({std::string(role::kApprovalRecord),
                       {"records/approval.json", as_bytes(approval.dump(2))}});
  }
  members.push_back(
      {std::string(role::kAuditEntries), {"audit/entries.json", as_bytes(entries_json.dump(2))}});
  members.push_back({std::string(role::kAuditCheckpoint),
                     {"audit/checkpoint.json", as_bytes(checkpoint_json.dump(2))}});

  // hpki's own check of everything but the package timestamp, kept in the package.
  const Bytes draft = HPKI_TRY(assemble(m, members, {}));
  Report report = verify(draft, {.anchors = roots, .now = now, .expect_package_timestamp = false});
  members.push_back({std::string(role::kValidationReport),
                     {"report/validation.json", as_bytes(report_json(report))}});

  const auto token_fn = tsa::local_token_fn(*d_.tsa, r.actor, rec.org, signer_ca.family);
  ExportResult out;
  out.package = HPKI_TRY(
      assemble(m, members, [&](crypto::HashAlg h, BytesView data) { return token_fn(h, data); }));
  out.id = m.id;
  out.report = verify(out.package, {.anchors = roots, .now = now});

  // Kept for renewal, with the export's audit entry, in one transaction.
  store::EvidenceRecord kept_rec;
  kept_rec.id = m.id;
  kept_rec.org = rec.org;
  kept_rec.serial = rec.serial.hex();
  kept_rec.package = out.package;
  const auto stamp = HPKI_TRY(stamp_info(out.report));
  kept_rec.tsa_until = stamp.tsa_until;
  kept_rec.stamped_at = stamp.stamped_at;
  audit::Event e;
  e.actor = r.actor;
  e.action = std::string(kExportAction);
  e.object = "evidence:" + m.id;
  e.outcome = std::string(audit::outcome::kSuccess);
  e.details = json{{"signature", signature_object},
                   {"serial", rec.serial.hex()},
                   {"ca_id", rec.ca_id},
                   {"verdict", verdict_name(out.report.verdict)},
                   {"package_sha256",
                    hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, out.package)))}}
                  .dump();
  e.org = rec.org;
  HPKI_TRY(rt.store().transact([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(tx.insert_evidence(kept_rec));
    HPKI_TRY(rt.audit().append(tx, e));
    return {};
  }));
  return out;
}

RenewalPolicy renewal_policy(const ca::EvidenceSettings& s) {
  return {.renew_before = std::chrono::days(s.renew_before_days),
          .max_age = std::chrono::days(s.max_age_days),
          .min_gap = std::chrono::seconds(s.check_interval_seconds)};
}

Result<StampInfo> stamp_info(const Report& r) {
  if (r.package_timestamps.empty() || r.package_timestamps.back().status != Verdict::kValid)
    return fail(ErrorCode::kBadState, "the package's timestamp chain does not verify");
  const auto& last = r.package_timestamps.back();
  return StampInfo{.tsa_until = HPKI_TRY(parse_rfc3339(last.tsa_valid_until)),
                   .stamped_at = HPKI_TRY(parse_rfc3339(last.time))};
}

Result<store::EvidenceRecord> Exporter::kept(std::string_view id,
                                             const std::optional<std::string>& org) {
  auto rec = HPKI_TRY(d_.runtime->store().read_value<store::EvidenceRecord>(
      [&](store::Tx& tx) { return tx.get_evidence(id); }));
  if (org && rec.org != *org)
    return fail(ErrorCode::kNotFound, "no evidence package " + std::string(id));
  return rec;
}

Result<std::size_t> Exporter::renew_due(std::int64_t limit) {
  if (d_.runtime == nullptr || d_.tsa == nullptr)
    return fail(ErrorCode::kInternal, "the evidence exporter lacks a dependency");
  auto& rt = *d_.runtime;
  const TimePoint now = rt.clock().now();
  std::vector<store::EvidenceRecord> due;
  HPKI_TRY(rt.store().read([&](store::Tx& tx) -> Result<void> {
    due = HPKI_TRY(tx.due_evidence(now + d_.policy.renew_before,
                                   d_.policy.max_age.count() > 0
                                       ? std::optional<TimePoint>(now - d_.policy.max_age)
                                       : std::nullopt,
                                   now - d_.policy.min_gap, limit));
    return {};
  }));
  std::vector<x509::CertificatePtr> roots;
  std::vector<store::CaRecord> cas;
  HPKI_TRY(rt.store().read([&](store::Tx& tx) -> Result<void> {
    cas = HPKI_TRY(tx.list_cas());
    return {};
  }));
  for (const auto& ca : cas)
    if (ca.role == store::CaRole::kRoot)
      roots.push_back(HPKI_TRY(x509::Certificate::parse(ca.certificate)));
  std::size_t renewed = 0;
  std::optional<Error> first_error;
  for (auto& d : due) {
    auto one = [&]() -> Result<void> {
      // The TSA of the signer's family (its CA record), as at export.
      std::optional<store::CaFamily> family;
      if (auto serial = Serial::parse(d.serial)) {
        if (auto v = rt.ca().show(*serial)) {
          auto ca = rt.store().read_value<store::CaRecord>(
              [&](store::Tx& tx) { return tx.get_ca(v->record.ca_id); });
          if (ca) family = ca->family;
        }
      }
      const auto token_fn = tsa::local_token_fn(*d_.tsa, "evidence-renewal", d.org, family);
      const Bytes renewed_package = HPKI_TRY(renew(
          d.package, [&](crypto::HashAlg h, BytesView data) { return token_fn(h, data); }, roots));
      const Report r = verify(renewed_package, {.anchors = roots, .now = now});
      store::EvidenceRecord next = d;
      next.package = renewed_package;
      next.renewals = d.renewals + 1;
      const auto stamp = HPKI_TRY(stamp_info(r));
      next.tsa_until = stamp.tsa_until;
      next.stamped_at = stamp.stamped_at;
      // The TSA certificate itself ends within renew_before (no newer TSA key yet): renewed again
      // after min_gap; the operator must give the TSA a new certificate.
      const bool tsa_ending = next.tsa_until <= now + d_.policy.renew_before;
      audit::Event e;
      e.actor = "evidence-renewal";
      e.action = std::string(kRenewAction);
      e.object = "evidence:" + d.id;
      e.outcome = std::string(audit::outcome::kSuccess);
      e.details =
          json{{"renewals", next.renewals},
               {"tsa_until", format_rfc3339(next.tsa_until)},
               {"tsa_certificate_ending", tsa_ending},
               {"package_sha256",
                hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, next.package)))}}
              .dump();
      e.org = d.org;
      return rt.store().transact([&](store::Tx& tx) -> Result<void> {
        HPKI_TRY(tx.update_evidence(next, d.renewals));
        HPKI_TRY(rt.audit().append(tx, e));
        return {};
      });
    };
    auto done = one();
    if (done) {
      ++renewed;
    } else if (done.error().code() != ErrorCode::kConflict && !first_error) {
      first_error = done.error();
    }
  }
  if (first_error) return fail(*first_error);
  return renewed;
}

}  // namespace hpki::evidence
