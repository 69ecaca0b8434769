// The hpki command line. One file per command group (STYLE.md "Naming"); each command calls
// public service APIs only and writes to the injected streams, so tests can run it in-process.
//
// Exit codes (the contract later tooling relies on):
//   0  success (for checks: valid / no error findings)
//   1  a negative verdict: invalid signature or chain, lint errors
//   2  usage error or bad input (unreadable/malformed file, unknown option or profile)
//   3  operational failure (I/O, storage, key store, internal error)
// Every failure prints one line "hpki: <error-name>: <detail>" on the error stream.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "core/error.h"
#include "sign/sign_service.h"

namespace hpki::ca {
class Runtime;
}

namespace hpki::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitNegative = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitFailure = 3;

struct Context {
  std::ostream& out;
  std::ostream& err;
  std::string home;   // --home DIR (default $HPKI_HOME, else ./hpki-data)
  bool json = false;  // --json
  int exit_code = kExitOk;
};

// The exit code for an error (mapped once, here).
[[nodiscard]] int exit_code_for(const Error& e);

// Runs a command body: on error prints the one-line message and records the exit code.
void run_command(Context& ctx, const std::function<Result<int>()>& body);

// Command groups.
void add_version_commands(CLI::App& app, Context& ctx);
void add_cert_commands(CLI::App& app, Context& ctx);
void add_ca_commands(CLI::App& app, Context& ctx);
void add_audit_commands(CLI::App& app, Context& ctx);
// `hpki crl generate|show` (crl_cmd.cpp).
void add_crl_commands(CLI::App& app, Context& ctx);
// `hpki apikey ...` and `hpki operator ...` (apikey_cmd.cpp).
void add_apikey_commands(CLI::App& app, Context& ctx);
// `hpki verify cert` (verify_cmd.cpp): RFC 5280 path validation.
void add_verify_commands(CLI::App& app, Context& ctx);
// `hpki ts request|verify` (ts_cmd.cpp): RFC 3161 client and token verifier.
void add_ts_commands(CLI::App& app, Context& ctx);
// `hpki sign`, `hpki key import` and `hpki verify cms` (sign_cmd.cpp): signing service.
void add_sign_commands(CLI::App& app, Context& ctx);
void add_verify_cms_command(CLI::App& verify, Context& ctx);
// `hpki seal create|list|show|revoke` (seal_cmd.cpp): electronic seals.
void add_seal_commands(CLI::App& app, Context& ctx);
// hpki evidence export|verify (issue 21): evidence_cmd.cpp.
void add_evidence_commands(CLI::App& app, Context& ctx);
// `hpki sign pdf` and `hpki verify pdf` (pdf_cmd.cpp), under `sign` and `verify`.
void add_sign_pdf_command(CLI::App& sign, Context& ctx);
void add_verify_pdf_command(CLI::App& verify, Context& ctx);

// A key the home holds, for `hpki sign` and `hpki sign pdf` (sign_cmd.cpp): a registered key id
// (hpki key register) or a key reference file:NAME / pkcs11:LABEL with its certificate file;
// more certificates (the registration's, or `chain`) are the chain.
struct SigningKey {
  std::unique_ptr<crypto::Signer> signer;
  std::vector<x509::CertificatePtr> certificates;  // the signer's first
  std::string org;                                 // a registered key's organization
  [[nodiscard]] sign::SigningIdentity identity() const;
};
[[nodiscard]] Result<SigningKey> open_signing_key(Context& ctx, ca::Runtime& rt,
                                                  const std::string& key, const std::string& cert,
                                                  const std::string& chain);
// An RFC 3161 client (RFC 3161 3.4) for `--tsa URL`: the token over a digest, checked to
// answer the request (nonce); `cacert` trusts an https:// TSA's server certificate.
[[nodiscard]] sign::DigestTimestampFn http_digest_timestamp(std::string url, std::string cacert);

// `hpki cert lint` (cert_lint_cmd.cpp), registered under the `cert` group.
void add_cert_lint_command(CLI::App& cert, Context& ctx);

// Entry point used by main() and by in-process tests. `extra` registers command groups that
// live above the CLI layer (app/: `hpki serve`).
using Registrar = std::function<void(CLI::App&, Context&)>;
[[nodiscard]] int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
                      const std::vector<Registrar>& extra = {});

}  // namespace hpki::cli
