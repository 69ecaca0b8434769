#include "cli/cli.h"

#include <cstdlib>

namespace hpki::cli {

int exit_code_for(const Error& e) {
  switch (e.code()) {
    case ErrorCode::kBadSignature:
    case ErrorCode::kLintFailed:
    case ErrorCode::kRevoked:
    case ErrorCode::kAuditBroken:
      return kExitNegative;
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kUnsupported:
    case ErrorCode::kLimitExceeded:
    case ErrorCode::kMalformed:
    case ErrorCode::kTrailingData:
    case ErrorCode::kTooLarge:
    case ErrorCode::kUnexpectedType:
    case ErrorCode::kConfigInvalid:
    case ErrorCode::kConfigMissing:
    case ErrorCode::kUnsupportedAlgorithm:
    case ErrorCode::kBadPassphrase:
    case ErrorCode::kBadCertificate:
    case ErrorCode::kBadCsr:
    case ErrorCode::kBadCrl:
    case ErrorCode::kPolicyRefused:
    case ErrorCode::kUnknownProfile:
    case ErrorCode::kProofOfPossession:
    case ErrorCode::kBadState:
      return kExitUsage;
    default:
      return kExitFailure;
  }
}

void run_command(Context& ctx, const std::function<Result<int>()>& body) {
  auto r = body();
  if (r) {
    ctx.exit_code = *r;
    return;
  }
  ctx.err << "hpki: " << r.error().to_string() << "\n";
  ctx.exit_code = exit_code_for(r.error());
}

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
        const std::vector<Registrar>& extra) {
  CLI::App app{"hpki: certificate authority and trust services for hospitals"};
  app.require_subcommand(1);
  Context ctx{.out = out, .err = err, .home = {}, .json = false, .exit_code = kExitOk};
  if (const char* h = std::getenv("HPKI_HOME"); h != nullptr && *h != '\0') {
    ctx.home = h;
  } else {
    ctx.home = "hpki-data";
  }
  app.add_option("--home", ctx.home, "hpki home directory (default $HPKI_HOME, else ./hpki-data)");
  app.add_flag("--json", ctx.json, "machine-readable JSON output");
  app.fallthrough();

  add_version_commands(app, ctx);
  add_ca_commands(app, ctx);
  add_cert_commands(app, ctx);
  add_audit_commands(app, ctx);
  add_crl_commands(app, ctx);
  add_apikey_commands(app, ctx);
  add_verify_commands(app, ctx);
  add_sign_commands(app, ctx);
  add_ts_commands(app, ctx);
  add_seal_commands(app, ctx);
  add_evidence_commands(app, ctx);
  for (const auto& r : extra) r(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    err << "hpki: usage: " << e.what() << "\n";
    return kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace hpki::cli
