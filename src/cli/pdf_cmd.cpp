// `hpki sign pdf` and `hpki verify pdf` (issue 20; docs/pdf.md):
//
//   hpki sign pdf --key ID --in IN.pdf --out OUT.pdf [--seal SEAL_ID | --image PNG]
//             [--page N --rect X,Y,W,H | --anchor TEXT] [--level b-b|b-t|b-lt|b-lta]
//             [--tsa URL [--tsa-cacert PEM]] [--crl FILE]... [--reason TEXT] [--location TEXT]
//             [--text LINE]... [--field NAME] [--certify 1|2|3] [--pkcs7] [--gmt0010]
//   hpki verify pdf FILE [--trust ROOT.pem]... [--intermediate FILE]... [--crl FILE]... [--json]
//
// sign pdf: a PAdES signature (pdf/pades.h) with a key the home holds (ID as for `hpki sign`);
// visible with a seal or an image at a rectangle (PDF points from the page's bottom-left) or
// centred on the first occurrence of --anchor on --page, with the signer's name and the time
// below it (--text replaces those lines); invisible with neither. B-T and above need --tsa;
// B-LT takes the CRLs from the home's store (hpki's own CAs) and --crl files.
// verify pdf exits 0 when every signature is valid, 1 when one is not, 2 on usage or input
// errors.
#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ca/runtime.h"
#include "cli/cli.h"
#include "cli/common.h"
#include "core/clock.h"
#include "der/oids.h"
#include "pdf/pades.h"
#include "pdf/validation_data.h"
#include "pdf/verify.h"
#include "revocation/store_designation.h"
#include "revocation/store_source.h"
#include "seal/service.h"
#include "x509/bundle.h"
#include "x509/crl.h"

namespace hpki::cli {
namespace {

struct SignPdfArgs {
  std::string key, cert, chain, in, out, image, seal, rect, anchor, level = "b-b", tsa, tsa_cacert,
                                                                    reason, location, field;
  std::vector<std::string> text, crls;
  int page = 0;  // 0: not given (1, or with --anchor the first page that has it)
  int certify = 0;
  bool pkcs7 = false, gmt0010 = false;
};

// "X,Y,W,H" in PDF points: four finite numbers, W and H positive.
Result<pdf::Rect> parse_rect(const std::string& s) {
  double v[4] = {0, 0, 0, 0};
  std::size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    const auto comma = s.find(',', pos);
    const std::string part =
        s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const char* b = part.data();
    const char* e = b + part.size();
    auto [p, ec] = std::from_chars(b, e, v[i]);
    if (part.empty() || ec != std::errc{} || p != e || (i == 3) != (comma == std::string::npos))
      return fail(ErrorCode::kInvalidArgument, "--rect must be X,Y,W,H in points, not '" + s + "'");
    pos = comma + 1;
  }
  if (v[2] <= 0 || v[3] <= 0 || v[0] < 0 || v[1] < 0 || v[2] > 14400 || v[3] > 14400)
    return fail(ErrorCode::kInvalidArgument,
                "--rect: X and Y must be >= 0, W and H in (0, 14400] points");
  return pdf::Rect{v[0], v[1], v[2], v[3]};
}

Result<int> run_sign_pdf(Context& ctx, const SignPdfArgs& a) {
  pdf::PadesOptions o;
  o.level = HPKI_TRY(pdf::parse_level(a.level));
  if (o.level != pdf::Level::kBB && a.tsa.empty())
    return fail(ErrorCode::kInvalidArgument, "--level " + a.level + " needs --tsa URL");
  if (a.certify < 0 || a.certify > 3)
    return fail(ErrorCode::kInvalidArgument, "--certify must be 1, 2 or 3");
  if (!a.seal.empty() && !a.image.empty())
    return fail(ErrorCode::kInvalidArgument, "--seal and --image exclude each other");
  if (!a.rect.empty() && !a.anchor.empty())
    return fail(ErrorCode::kInvalidArgument, "--rect and --anchor exclude each other");
  if (a.page < 0) return fail(ErrorCode::kInvalidArgument, "--page must be 1 or more");
  const Bytes input = HPKI_TRY(read_input_file(a.in, pdf::kMaxPdfSize));

  auto rt = HPKI_TRY(open_runtime(ctx));
  auto key = HPKI_TRY(open_signing_key(ctx, *rt, a.key, a.cert, a.chain));
  const sign::SigningIdentity id = key.identity();
  const TimePoint now = rt->clock().now();

  pdf::FieldSpec& f = o.field;
  f.field_name = a.field;
  if (a.pkcs7) f.sub_filter = "adbe.pkcs7.detached";
  f.name = id.certificate->subject().get(der::oids::kCommonName);
  f.reason = a.reason;
  f.location = a.location;
  f.signing_time = now;
  if (a.certify != 0) f.docmdp = a.certify;
  f.appearance.page = a.page != 0 ? a.page : (a.anchor.empty() ? 1 : 0);
  if (!a.rect.empty()) f.appearance.rect = HPKI_TRY(parse_rect(a.rect));
  if (!a.anchor.empty()) f.appearance.anchor = a.anchor;
  if (!a.image.empty()) f.appearance.png = HPKI_TRY(read_input_file(a.image, pdf::kMaxImageSize));
  // A seal of the key's organization: active, valid now, this certificate allowed (the seal
  // service's check); its image is the appearance, sized as the seal says (mm) unless --rect.
  std::optional<seal::SealUse> use;
  if (!a.seal.empty()) {
    if (a.rect.empty() && a.anchor.empty())
      return fail(ErrorCode::kInvalidArgument, "--seal needs --rect or --anchor (where it goes)");
    seal::Service seals(rt->store(), rt->audit(), rt->clock());
    use = HPKI_TRY(seals.lookup_for_signing(
        a.seal, *id.certificate,
        key.org.empty() ? std::nullopt : std::optional<std::string>(key.org)));
    f.appearance.png = use->record.image;
    if (f.appearance.anchor) {
      constexpr double kPointsPerMm = 72.0 / 25.4;
      f.appearance.rect = pdf::Rect{0, 0, static_cast<double>(use->record.width_mm) * kPointsPerMm,
                                    static_cast<double>(use->record.height_mm) * kPointsPerMm};
    }
  }
  if (f.appearance.rect || f.appearance.anchor) {
    f.appearance.text_lines = a.text;
    if (a.text.empty()) {
      f.appearance.text_lines = {f.name, format_rfc3339(now)};
    }
  }
  o.gmt0010 = a.gmt0010;
  if (!a.tsa.empty()) o.timestamp = http_digest_timestamp(a.tsa, a.tsa_cacert);
  pdf::ValidationSources vs;
  vs.store = &rt->store();
  vs.crls = HPKI_TRY(read_crls(a.crls));
  o.validation_data = pdf::crl_validation_data(std::move(vs));

  if (use && use->seal) {
    // An SM2 seal: a GB/T 38540 SES_Signature in /Contents (pdf/pades.h stamp_with_seal).
    if (o.level == pdf::Level::kBLT || o.level == pdf::Level::kBLTA)
      return fail(ErrorCode::kInvalidArgument,
                  "an SM2 seal stamp (GB/T 38540) is b-b, or b-t with --tsa; not " + a.level);
    seal::TimestampFn ts;
    if (o.timestamp) ts = sign::timestamp_over_digest(o.timestamp);
    const Bytes out =
        HPKI_TRY(pdf::stamp_with_seal(input, o.field, *use->seal, *id.signer, *id.certificate, ts));
    HPKI_TRY(write_output_file(a.out, out));
    ctx.out << "stamped " << a.in << " with seal " << use->record.id << " '" << use->record.name
            << "' (GB/T 38540 SES_Signature, sm2-sm3" << (ts ? ", timestamp" : "")
            << "), written to " << a.out << "\n";
    return kExitOk;
  }
  auto out = HPKI_TRY(pdf::sign_pades(input, id, o));
  HPKI_TRY(write_output_file(a.out, out.pdf));
  ctx.out << "signed " << a.in << " (PAdES " << pdf::level_name(o.level) << ", "
          << crypto::signature_alg_name(out.signature_alg);
  if (out.timestamp_time) ctx.out << ", timestamp " << format_rfc3339(*out.timestamp_time);
  if (out.dss_entries != 0) ctx.out << ", DSS with " << out.dss_entries << " entries";
  if (out.doc_timestamp_time)
    ctx.out << ", document timestamp " << format_rfc3339(*out.doc_timestamp_time);
  ctx.out << "), written to " << a.out << "\n";
  return kExitOk;
}

struct VerifyPdfArgs {
  std::string in;
  std::vector<std::string> trust, intermediates, crls;
  bool require_revocation = false, no_changes = false;
};

// hpki's store as a revocation source of `verify pdf`: a certificate revoked only after the
// signing time is good there, and reported as sign.revoked_after_signing so that the
// signature's report carries the note (sign/sign_service.h).
class SigningTimeStoreSource final : public x509::RevocationSource {
 public:
  explicit SigningTimeStoreSource(store::Store& s) : inner_(s) {}
  [[nodiscard]] x509::RevocationAnswer check(const x509::RevocationQuery& q) const override {
    auto a = inner_.check(q);
    if (a.status == x509::RevocationStatus::kGood && a.diag == revocation::diag::kStoreRevokedLater)
      a.diag = sign::diag::kRevokedAfterSigning;
    return a;
  }

 private:
  revocation::StoreRevocationSource inner_;
};

Result<int> run_verify_pdf(Context& ctx, const VerifyPdfArgs& a) {
  const Bytes input = HPKI_TRY(read_input_file(a.in, pdf::kMaxPdfSize));
  sign::TrustSettings t;
  t.anchors = HPKI_TRY(read_certificates(a.trust));
  t.intermediates = HPKI_TRY(read_certificates(a.intermediates));
  t.crls = HPKI_TRY(read_crls(a.crls));
  const SystemClock clock;
  t.now = clock.now();
  // With an hpki home: its TSA designations, its revocation records, and (without --trust) its
  // own CA certificates as the trust anchors and intermediates.
  auto home_store = HPKI_TRY(open_home_store(ctx, clock));
  std::optional<revocation::StoreDesignationSource> designation;
  std::optional<SigningTimeStoreSource> revocations;
  if (home_store) {
    t.designation = &designation.emplace(*home_store);
    t.revocation_sources.push_back(&revocations.emplace(*home_store));
    if (a.trust.empty()) {
      std::vector<store::CaRecord> cas;
      HPKI_TRY(home_store->read([&](store::Tx& tx) -> Result<void> {
        cas = HPKI_TRY(tx.list_cas());
        return {};
      }));
      for (const auto& ca : cas) {
        auto cert = HPKI_TRY(x509::Certificate::parse(ca.certificate));
        (ca.parent_id ? t.intermediates : t.anchors).push_back(cert);
      }
    }
  }
  if (t.anchors.empty())
    return fail(ErrorCode::kInvalidArgument,
                "no trust anchor: give --trust ROOT.pem, or run it with an hpki home");
  t.require_revocation = a.require_revocation ? std::optional<bool>(true) : std::nullopt;
  pdf::VerifyPdfOptions o;
  o.analyze_changes = !a.no_changes;
  const auto report = pdf::verify(input, t, o);
  if (report.status == pdf::diag::kMalformed || report.status == pdf::diag::kTooLarge)
    return fail(
        report.status == pdf::diag::kTooLarge ? ErrorCode::kTooLarge : ErrorCode::kMalformed,
        a.in + ": " + report.detail);
  ctx.out << (ctx.json ? pdf::verify_report_json(report) : pdf::verify_report_text(report));
  return report.valid ? kExitOk : kExitNegative;
}

}  // namespace

void add_verify_pdf_command(CLI::App& verify, Context& ctx) {
  auto a = std::make_shared<VerifyPdfArgs>();
  auto* cmd = verify.add_subcommand(
      "pdf", "verify every signature of a PDF (exit 0 all valid, 1 one invalid, 2 usage or input)");
  cmd->add_option("FILE", a->in, "the PDF")->required();
  cmd->add_option("--trust", a->trust,
                  "trust anchor certificates (default with an hpki home: its CA certificates)");
  cmd->add_option("--intermediate", a->intermediates, "untrusted intermediate certificates");
  cmd->add_option("--crl", a->crls, "CRLs (newest); revocation is judged at the signing time");
  cmd->add_flag("--require-revocation", a->require_revocation,
                "every certificate of a path needs a revocation status");
  cmd->add_flag("--no-changes", a->no_changes,
                "skip the analysis of what changed after each signature");
  cmd->callback([a, &ctx] { run_command(ctx, [&]() { return run_verify_pdf(ctx, *a); }); });
}

void add_sign_pdf_command(CLI::App& sign, Context& ctx) {
  auto a = std::make_shared<SignPdfArgs>();
  auto* cmd = sign.add_subcommand(
      "pdf", "sign a PDF (PAdES, incremental update; visible with a seal or image, or invisible)");
  cmd->add_option("--key", a->key,
                  "a registered key id (hpki key register), or file:NAME / "
                  "pkcs11:LABEL with --cert")
      ->required();
  cmd->add_option("--cert", a->cert, "the key's certificate (more certificates = chain)");
  cmd->add_option("--chain", a->chain, "issuing CA certificates to include");
  cmd->add_option("--in", a->in, "the PDF to sign")->required();
  cmd->add_option("--out", a->out, "the signed PDF")->required();
  cmd->add_option("--seal", a->seal,
                  "a seal of the key's organization (hpki seal create): its image is shown; an "
                  "SM2 seal stamps a GB/T 38540 SES_Signature");
  cmd->add_option("--image", a->image, "a PNG (seal or handwritten signature) to show");
  cmd->add_option("--page", a->page,
                  "the page of the visible signature (1 = first; with --anchor default: the "
                  "first page that has the text)");
  cmd->add_option("--rect", a->rect, "X,Y,W,H in points from the page's bottom-left corner");
  cmd->add_option("--anchor", a->anchor, "centre the signature on this text of the page");
  cmd->add_option("--level", a->level, "PAdES level: b-b (default), b-t, b-lt, b-lta");
  cmd->add_option("--tsa", a->tsa, "RFC 3161 TSA URL (b-t and above)");
  cmd->add_option("--tsa-cacert", a->tsa_cacert, "https:// TSA: trust its server certificate")
      ->check(CLI::ExistingFile);
  cmd->add_option("--crl", a->crls, "CRLs for b-lt (besides the home's own)");
  cmd->add_option("--reason", a->reason, "the signature's /Reason");
  cmd->add_option("--location", a->location, "the signature's /Location");
  cmd->add_option("--text", a->text, "text lines under the image (default: name and time)");
  cmd->add_option("--field", a->field, "the signature field's name (default Signature1, ...)");
  cmd->add_option("--certify", a->certify,
                  "a certification signature (DocMDP): 1 no changes, 2 form filling and "
                  "signing, 3 also annotations");
  cmd->add_flag("--pkcs7", a->pkcs7,
                "SubFilter adbe.pkcs7.detached instead of ETSI.CAdES.detached");
  cmd->add_flag("--gmt0010", a->gmt0010, "GM/T 0010 OIDs in an SM2 CMS");
  cmd->callback([a, &ctx] { run_command(ctx, [&]() { return run_sign_pdf(ctx, *a); }); });
}

}  // namespace hpki::cli
