// `hpki cert lint FILE`: runs the lint rules of x509/lint.h on any certificate (ours or not),
// PEM (every CERTIFICATE block of a bundle) or DER. Exit 0 without error findings, 1 with any
// error finding (warnings alone: 0), 2 for unreadable or malformed input or an unknown profile.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "x509/certificate.h"
#include "x509/lint.h"
#include "x509/profile.h"

#ifndef HPKI_DEFAULT_PROFILES_DIR
#error "HPKI_DEFAULT_PROFILES_DIR must be defined by the build (src/cli/CMakeLists.txt)"
#endif

namespace hpki::cli {
namespace {

// Certificates and bundles are small; anything larger is not a certificate file.
constexpr std::uintmax_t kMaxInputSize = 16 * 1024 * 1024;

struct LintOptions {
  std::string file;
  std::string profile;
  std::string issuer;
  std::string profiles_dir;
};

Result<Bytes> read_input(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(ErrorCode::kNotFound, path + ": no such file");
  }
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(ErrorCode::kInvalidArgument, path + ": " + ec.message());
  if (size > kMaxInputSize) {
    return fail(ErrorCode::kTooLarge, path + ": " + std::to_string(size) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(kMaxInputSize));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kInvalidArgument, path + ": cannot be read");
  Bytes data(static_cast<std::size_t>(size));
  in.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!in) return fail(ErrorCode::kInvalidArgument, path + ": cannot be read");
  return data;
}

Result<std::vector<x509::CertificatePtr>> read_certificates(const std::string& path) {
  auto data = HPKI_TRY(read_input(path));
  auto certs = x509::Certificate::parse_all(data);
  if (!certs) return fail(certs.error().with_context(path));
  return *certs;
}

// --profiles-dir, else $HPKI_PROFILES, else <home>/profiles when it exists, else the
// repository's profiles/ directory compiled in.
std::filesystem::path profiles_dir(const LintOptions& o, const Context& ctx) {
  if (!o.profiles_dir.empty()) return o.profiles_dir;
  if (const char* env = std::getenv("HPKI_PROFILES"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  auto home = std::filesystem::path(ctx.home) / "profiles";
  if (std::filesystem::is_directory(home, ec)) return home;
  return HPKI_DEFAULT_PROFILES_DIR;
}

nlohmann::json findings_json(const std::vector<x509::Finding>& findings) {
  auto arr = nlohmann::json::array();
  for (const auto& f : findings) {
    arr.push_back({{"id", f.id},
                   {"severity", std::string(x509::severity_name(f.severity))},
                   {"source", f.source},
                   {"message", f.message}});
  }
  return arr;
}

Result<int> run_lint(const LintOptions& o, Context& ctx) {
  std::optional<x509::Profile> profile;
  if (!o.profile.empty()) {
    auto dir = profiles_dir(o, ctx);
    auto all = HPKI_TRY(x509::load_profiles(dir));
    auto it = all.find(o.profile);
    if (it == all.end()) {
      return fail(ErrorCode::kUnknownProfile, "no profile '" + o.profile + "' in " + dir.string());
    }
    profile = it->second;
  }
  x509::CertificatePtr issuer;
  if (!o.issuer.empty()) {
    auto certs = HPKI_TRY(read_certificates(o.issuer));
    issuer = certs.front();
  }
  auto certs = HPKI_TRY(read_certificates(o.file));

  x509::LintContext lint_ctx{.profile = profile ? &*profile : nullptr,
                             .issuer = issuer.get(),
                             .cabf_server = false,
                             .health_oids = {}};
  std::size_t errors = 0, warnings = 0, notices = 0;
  auto json = nlohmann::json::array();
  for (std::size_t i = 0; i < certs.size(); ++i) {
    const auto& cert = *certs[i];
    auto findings = x509::lint_certificate(cert, lint_ctx);
    for (const auto& f : findings) {
      switch (f.severity) {
        case x509::Severity::kError:
          ++errors;
          break;
        case x509::Severity::kWarning:
          ++warnings;
          break;
        case x509::Severity::kNotice:
          ++notices;
          break;
      }
    }
    if (ctx.json) {
      json.push_back({{"index", i},
                      {"subject", x509::to_string(cert.subject())},
                      {"serial", cert.serial_number().hex()},
                      {"sha256", cert.fingerprint_sha256()},
                      {"findings", findings_json(findings)}});
    } else {
      if (certs.size() > 1) {
        ctx.out << "certificate " << (i + 1) << "/" << certs.size() << ": "
                << x509::to_string(cert.subject()) << "\n";
      }
      ctx.out << x509::format_findings(findings);
    }
  }
  if (ctx.json) {
    ctx.out << json.dump(2) << "\n";
  } else {
    ctx.out << o.file << ": " << certs.size()
            << (certs.size() == 1 ? " certificate, " : " certificates, ") << errors
            << (errors == 1 ? " error, " : " errors, ") << warnings
            << (warnings == 1 ? " warning, " : " warnings, ") << notices
            << (notices == 1 ? " notice" : " notices") << "\n";
  }
  return errors > 0 ? kExitNegative : kExitOk;
}

}  // namespace

void add_cert_lint_command(CLI::App& cert, Context& ctx) {
  auto opts = std::make_shared<LintOptions>();
  auto* cmd = cert.add_subcommand(
      "lint", "lint certificates (PEM bundle or DER) against RFC 5280, CA/B Forum BR, profiles");
  cmd->add_option("FILE", opts->file, "certificate file (PEM, several blocks allowed, or DER)")
      ->required();
  cmd->add_option("--profile", opts->profile, "also check the rules of this profile");
  cmd->add_option("--issuer", opts->issuer, "issuing CA certificate (name and key id chaining)");
  cmd->add_option("--profiles-dir", opts->profiles_dir,
                  "profile directory (default $HPKI_PROFILES, else <home>/profiles, else the "
                  "repository's profiles/)");
  cmd->callback([opts, &ctx] { run_command(ctx, [&]() { return run_lint(*opts, ctx); }); });
}

}  // namespace hpki::cli
