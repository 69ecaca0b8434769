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
#include "core/error.h"

namespace hpki::cli {

// Opens the home given by --home (recovering crashed issuances). The key-store passphrase comes
// from the configured environment variable or file, else a prompt on the terminal.
[[nodiscard]] Result<std::unique_ptr<ca::Runtime>> open_runtime(Context& ctx);

// Reads a passphrase from the terminal without echo (kConfigMissing when stdin is not a tty).
[[nodiscard]] Result<SecretBytes> prompt_passphrase(const std::string& prompt, bool confirm);

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

}  // namespace hpki::cli
