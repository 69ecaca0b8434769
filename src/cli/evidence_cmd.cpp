// `hpki evidence export|verify` (issue 21; docs/evidence.md): evidence packages of signatures,
// exported from this home's records and checked anywhere, offline, with only the roots.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/clock.h"
#include "evidence/container.h"
#include "evidence/exporter.h"
#include "evidence/package.h"
#include "evidence/report_pdf.h"
#include "x509/bundle.h"

namespace hpki::cli {
namespace {

struct ExportArgs {
  std::string in, data, cert, name, out, request_id, serial;
  bool hash_only = false;
};

struct VerifyArgs {
  std::string package, report, lang = "zh-CN", extract;
  std::vector<std::string> trust;
};

std::string cli_actor() {
  const char* user = std::getenv("USER");
  return "cli:" + std::string(user != nullptr ? user : "unknown");
}

// The verdict as the exit code: 0 valid, 1 invalid, 2 could not decide.
int exit_code_of(evidence::Verdict v) {
  switch (v) {
    case evidence::Verdict::kValid:
      return kExitOk;
    case evidence::Verdict::kInvalid:
      return kExitNegative;
    case evidence::Verdict::kIndeterminate:
      return kExitUsage;
  }
  return kExitUsage;
}

Result<int> run_export(Context& ctx, const ExportArgs& a) {
  evidence::ExportRequest req;
  if (a.in.empty() && a.request_id.empty() && a.serial.empty())
    return fail(ErrorCode::kInvalidArgument,
                "give the signature (--in), --request-id or a certificate's --serial");
  if (!a.serial.empty()) req.serial = HPKI_TRY(Serial::parse(a.serial));
  if (!a.in.empty()) req.signed_object = HPKI_TRY(read_input_file(a.in, 96u * 1024 * 1024));
  if (!a.request_id.empty()) req.request_id = a.request_id;
  if (!a.data.empty()) req.data = HPKI_TRY(read_input_file(a.data, 96u * 1024 * 1024));
  if (!a.cert.empty()) {
    auto certs = HPKI_TRY(read_certificates({a.cert}));
    if (certs.empty()) return fail(ErrorCode::kInvalidArgument, a.cert + " holds no certificate");
    req.certificate = certs.front();
  }
  req.document_name =
      !a.name.empty() ? a.name
                      : (!a.data.empty() ? std::filesystem::path(a.data).filename().string() : "");
  req.include_data = !a.hash_only;
  req.actor = cli_actor();
  auto rt = HPKI_TRY(open_runtime(ctx));
  auto crls = make_crl_publisher(*rt);
  auto tsa = HPKI_TRY(make_tsa(*rt));
  evidence::Exporter exporter({.runtime = rt.get(),
                               .tsa = tsa.get(),
                               .crls = crls.get(),
                               .policy = evidence::renewal_policy(rt->config().evidence)});
  auto out = HPKI_TRY(exporter.export_signature(req));
  tsa->stop();
  HPKI_TRY(write_output_file(a.out, out.package));
  if (ctx.json) {
    ctx.out << evidence::report_json(out.report);
  } else {
    ctx.out << "evidence package " << out.id << " written to " << a.out << " ("
            << out.package.size() << " bytes)\n"
            << "verdict at export: " << evidence::verdict_name(out.report.verdict) << "\n";
    for (const auto& r : out.report.reasons) ctx.out << "  reason: " << r << "\n";
  }
  return exit_code_of(out.report.verdict);
}

Result<int> run_verify(Context& ctx, const VerifyArgs& a) {
  const Bytes package =
      HPKI_TRY(read_input_file(a.package, evidence::zip::Limits{}.max_archive_size));
  if (a.trust.empty())
    return fail(ErrorCode::kInvalidArgument, "--trust ROOT.pem is required (the trust anchors)");
  const auto anchors = HPKI_TRY(read_certificates(a.trust));
  if (anchors.empty()) return fail(ErrorCode::kInvalidArgument, "--trust holds no certificate");
  std::optional<evidence::Language> lang;
  if (!a.report.empty()) {
    if (a.lang == "zh-CN" || a.lang == "zh") {
      lang = evidence::Language::kZhCn;
    } else if (a.lang == "en") {
      lang = evidence::Language::kEn;
    } else {
      return fail(ErrorCode::kInvalidArgument, "--lang is zh-CN or en");
    }
  }
  const auto report = evidence::verify(package, {.anchors = anchors, .now = SystemClock().now()});
  if (!a.extract.empty()) {
    // Only a container that reads by the rules is extracted (an unreadable one is already
    // reported as invalid).
    if (auto members = evidence::zip::read(package)) {
      std::error_code ec;
      std::filesystem::create_directories(a.extract, ec);
      if (ec) return fail(ErrorCode::kIo, "cannot create " + a.extract + ": " + ec.message());
      HPKI_TRY(evidence::zip::extract(*members, a.extract));
    } else {
      ctx.err << "hpki: not extracted: " << members.error().to_string() << "\n";
    }
  }
  if (lang) {
    const Bytes pdf = HPKI_TRY(evidence::render_report_pdf(report, *lang));
    HPKI_TRY(write_output_file(a.report, pdf));
  }
  if (ctx.json) {
    ctx.out << evidence::report_json(report);
  } else {
    ctx.out << evidence::report_text(report);
  }
  return exit_code_of(report.verdict);
}

}  // namespace

void add_evidence_commands(CLI::App& app, Context& ctx) {
  auto* ev = app.add_subcommand(
      "evidence",
      "evidence packages (举证): export a signature's proofs, verify a package offline");
  ev->require_subcommand(1);

  auto e = std::make_shared<ExportArgs>();
  auto* exp = ev->add_subcommand(
      "export", "package a signature with everything that proves it (needs this hpki's home)");
  exp->add_option("--in", e->in,
                  "the signature: a CMS (.p7s, DER or PEM), a raw signature or a signed PDF");
  exp->add_option("--serial", e->serial,
                  "a certificate of this home, without a signature: its issuance and status");
  exp->add_option("--request-id", e->request_id,
                  "a mobile co-signing request: its signature, document and approval record");
  exp->add_option("--data", e->data, "the signed data (detached CMS, raw signature)");
  exp->add_option("--cert", e->cert, "the signer's certificate (raw signatures)");
  exp->add_option("--name", e->name, "the document's name in the package (default: --data's)");
  exp->add_flag("--hash-only", e->hash_only,
                "export only the data's SHA-256 and SM3, not the data itself");
  exp->add_option("--out", e->out, "the package to write (ZIP)")->required();
  exp->callback([e, &ctx] { run_command(ctx, [&]() { return run_export(ctx, *e); }); });

  auto v = std::make_shared<VerifyArgs>();
  auto* ver = ev->add_subcommand(
      "verify", "check a package offline: exit 0 valid, 1 invalid, 2 could not decide");
  ver->add_option("package", v->package, "the evidence package (ZIP)")->required();
  ver->add_option("--trust", v->trust, "trust anchors (root certificates, PEM or DER)")->required();
  ver->add_option("--report", v->report, "write the human-readable report (PDF) here");
  ver->add_option("--lang", v->lang, "language of the PDF report: zh-CN (default) or en");
  ver->add_option("--extract", v->extract,
                  "also extract the members into this folder (for the openssl commands)");
  ver->callback([v, &ctx] { run_command(ctx, [&]() { return run_verify(ctx, *v); }); });
}

}  // namespace hpki::cli
