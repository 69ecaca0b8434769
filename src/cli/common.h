// Shared pieces of the CLI commands: opening the CA runtime from --home, passphrases, subject
// options, reading and writing files.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ca/runtime.h"
#include "cli/cli.h"
#include "core/bytes.h"
#include "core/clock.h"
#include "core/error.h"
#include "revocation/crl_publisher.h"
#include "store/store.h"
#include "tsa/tsa_service.h"
#include "x509/certificate.h"
#include "x509/crl.h"

namespace hpki::cli {

// Opens the home given by --home (recovering crashed issuances). The key-store passphrase comes
// from the configured environment variable or file, else a prompt on the terminal.
[[nodiscard]] Result<std::unique_ptr<ca::Runtime>> open_runtime(Context& ctx);

// For verification commands: the store of the home given by --home when there is one (an
// hpki.toml in it), to read what hpki itself designated (its OCSP responders and TSAs, issue 16);
// no key-store passphrase is needed. nullptr when there is no home there (verification then
// follows the RFC rules alone); an error when the home exists but its configuration or database
// cannot be opened. `clock` must outlive the store.
[[nodiscard]] Result<std::unique_ptr<store::Store>> open_home_store(const Context& ctx,
                                                                    const Clock& clock);

// Reads a passphrase from the terminal without echo (kConfigMissing when stdin is not a tty).
[[nodiscard]] Result<SecretBytes> prompt_passphrase(const std::string& prompt, bool confirm);

// The certificates (PEM or DER bundles) and the CRLs of the given files, in order; an error
// names the file.
[[nodiscard]] Result<std::vector<x509::CertificatePtr>> read_certificates(
    const std::vector<std::string>& files);
[[nodiscard]] Result<std::vector<x509::CrlPtr>> read_crls(const std::vector<std::string>& files);

[[nodiscard]] Result<Bytes> read_input_file(const std::string& path,
                                            std::size_t limit = 16 * 1024 * 1024);
// Writes atomically (temp + rename) with `mode`; refuses to overwrite unless `overwrite`.
[[nodiscard]] Result<void> write_output_file(
    const std::string& path, BytesView data, bool overwrite = true,
    std::filesystem::perms mode = std::filesystem::perms::owner_read |
                                  std::filesystem::perms::owner_write |
                                  std::filesystem::perms::group_read |
                                  std::filesystem::perms::others_read);

// Subject options shared by issue and modify.
struct SubjectOptions {
  std::string name, org, dept, province, city, country, email;
  std::vector<std::string> dns, ip;
  std::string id_number, staff_no, licence_no, org_code, insurance_number, institution_code;
  void add_to(CLI::App* cmd);
  [[nodiscard]] ca::SubjectInput to_input() const;
};

// The profiles shipped with hpki (source tree), or $HPKI_PROFILES.
[[nodiscard]] std::filesystem::path default_profiles_dir();

[[nodiscard]] std::string pem_chain(const std::vector<Bytes>& ders);

// The CRL publisher settings of a home: [ca] base_url and crl_shards, [crl].
[[nodiscard]] revocation::CrlPublisherOptions crl_options(const ca::HomeConfig& h);
// A CRL publisher over the runtime's store and CA keys (not started).
[[nodiscard]] std::unique_ptr<revocation::CrlPublisher> make_crl_publisher(ca::Runtime& rt);
// For lifecycle commands: with [crl] regenerate_on_revoke, the affected CRLs are published
// right after each committed revocation, hold or release of this process (a failure is logged,
// the change itself stands). Keep the returned publisher alive while using `rt`.
[[nodiscard]] std::unique_ptr<revocation::CrlPublisher> publish_crls_on_change(ca::Runtime& rt);

// This home's TSA in process (the [tsa] settings; tokens share the CA's group commits): for
// `hpki serve` and for commands that time-stamp (evidence export). kNotFound without a TSA.
[[nodiscard]] Result<std::unique_ptr<tsa::TsaService>> make_tsa(ca::Runtime& rt);

}  // namespace hpki::cli
