#include <nlohmann/json.hpp>

#include <sstream>

#include "cli/common.h"

namespace hpki::cli {
namespace {

Result<std::vector<store::CaFamily>> parse_families(const std::string& list) {
  std::vector<store::CaFamily> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto f = store::parse_ca_family(item);
    if (!f)
      return fail(ErrorCode::kInvalidArgument, "unknown family '" + item + "' (rsa, ecdsa, sm2)");
    if (std::find(out.begin(), out.end(), *f) == out.end()) out.push_back(*f);
  }
  if (out.empty()) return fail(ErrorCode::kInvalidArgument, "no family given");
  return out;
}

}  // namespace

void add_ca_commands(CLI::App& app, Context& ctx) {
  auto* ca_cmd = app.add_subcommand("ca", "certificate authority hierarchies");
  ca_cmd->require_subcommand(1);

  struct InitArgs {
    std::string families = "rsa,sm2";
    std::string org = "hpki";
    std::string base_url = "http://127.0.0.1:8080";
    int crl_shards = 1;
    std::string database;
    std::string audit_hash = "sm3";
    bool hsm = false;
    std::string hsm_module = "/usr/lib/softhsm/libsofthsm2.so";
    std::string hsm_token;
    std::string passphrase_file;
    std::vector<std::string> org_dns;
    std::vector<std::string> org_ip;
  };
  auto args = std::make_shared<InitArgs>();
  auto* init = ca_cmd->add_subcommand(
      "init", "create a new hpki home with root, issuing, OCSP and TSA certificates");
  init->add_option("--families", args->families,
                   "comma-separated: rsa, ecdsa, sm2 (default rsa,sm2)");
  init->add_option("--org", args->org, "organization name in the CA certificates");
  init->add_option("--org-dns", args->org_dns,
                   "DNS names (and everything below them) that the organization's device and "
                   "SSL certificates may name; repeat or comma-separate")
      ->delimiter(',');
  init->add_option("--org-ip", args->org_ip,
                   "IP addresses or CIDR ranges that the organization's device and SSL "
                   "certificates may name; repeat or comma-separate")
      ->delimiter(',');
  init->add_option("--crl-shards", args->crl_shards,
                   "partitioned CRLs: number of CRL shards per issuing CA (default 1; fixed for "
                   "the certificates issued, see docs/operations.md)")
      ->check(CLI::Range(1, 4096));
  init->add_option("--base-url", args->base_url,
                   "public HTTP base URL for CRL / OCSP / CA certificate links");
  init->add_option("--database", args->database,
                   "database URL (default sqlite:hpki.db in the home)");
  init->add_option("--audit-hash", args->audit_hash, "audit chain hash: sm3 or sha256");
  init->add_flag("--hsm", args->hsm,
                 "put RSA/ECDSA CA keys on a PKCS#11 token (PIN from HPKI_PKCS11_PIN)");
  init->add_option("--hsm-module", args->hsm_module, "PKCS#11 module path");
  init->add_option("--hsm-token", args->hsm_token, "PKCS#11 token label");
  init->add_option("--passphrase-file", args->passphrase_file,
                   "DEMO ONLY: store the key-store passphrase in this file (0600) inside the home");
  init->callback([&ctx, args] {
    run_command(ctx, [&]() -> Result<int> {
      ca::InitOptions io;
      io.organization = args->org;
      io.organization_dns = args->org_dns;
      io.organization_ip = args->org_ip;
      io.base_url = args->base_url;
      io.crl_shards = args->crl_shards;
      io.database_url = args->database;
      if (args->audit_hash != "sm3" && args->audit_hash != "sha256") {
        return fail(ErrorCode::kInvalidArgument, "--audit-hash must be sm3 or sha256");
      }
      io.audit_hash =
          args->audit_hash == "sha256" ? crypto::HashAlg::kSha256 : crypto::HashAlg::kSm3;
      ca::InitHierarchyOptions ho;
      ho.families = HPKI_TRY(parse_families(args->families));
      if (args->hsm) {
        if (args->hsm_token.empty())
          return fail(ErrorCode::kInvalidArgument, "--hsm needs --hsm-token LABEL");
        io.keystore_type = "pkcs11";
        io.pkcs11_module = args->hsm_module;
        io.pkcs11_token = args->hsm_token;
        ho.hsm = true;
      }
      SecretBytes pass;
      if (const char* env = std::getenv("HPKI_PASSPHRASE"); env != nullptr && *env != '\0') {
        pass = SecretBytes(std::string_view(env));
      } else {
        pass = HPKI_TRY(prompt_passphrase("New key-store passphrase: ", true));
      }
      if (!args->passphrase_file.empty()) {
        // Written after init succeeds (below); the config refers to it by name.
        io.passphrase_file = std::filesystem::path(args->passphrase_file).filename().string();
      }
      auto pass_copy = pass.copy();
      auto rt =
          HPKI_TRY(ca::Runtime::init(ctx.home, io, ho, std::move(pass), default_profiles_dir()));
      if (!io.passphrase_file.empty()) {
        HPKI_TRY(write_output_file(
            (std::filesystem::path(ctx.home) / io.passphrase_file).string(), pass_copy.view(),
            false, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
      }
      auto cas = HPKI_TRY(rt->ca().list_cas());
      if (ctx.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : cas) j.push_back({{"id", c.id}, {"subject", c.subject}});
        ctx.out << nlohmann::json{{"home", ctx.home}, {"cas", j}}.dump() << "\n";
      } else {
        ctx.out << "created hpki home " << ctx.home << "\n";
        for (const auto& c : cas) ctx.out << "  " << c.id << "  " << c.subject << "\n";
      }
      return kExitOk;
    });
  });

  auto* list = ca_cmd->add_subcommand("list", "list the CAs of this home");
  list->callback([&ctx] {
    run_command(ctx, [&]() -> Result<int> {
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto cas = HPKI_TRY(rt->ca().list_cas());
      if (ctx.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : cas) {
          auto cert = x509::Certificate::parse(c.certificate);
          j.push_back({{"id", c.id},
                       {"family", store::to_string(c.family)},
                       {"role", store::to_string(c.role)},
                       {"subject", c.subject},
                       {"parent", c.parent_id.value_or("")},
                       {"key_ref", c.key_ref.str()},
                       {"not_after", cert ? format_rfc3339((*cert)->validity().not_after) : ""}});
        }
        ctx.out << j.dump() << "\n";
      } else {
        for (const auto& c : cas) {
          ctx.out << c.id << "\t" << store::to_string(c.family) << "\t" << store::to_string(c.role)
                  << "\t" << c.subject << "\n";
        }
      }
      return kExitOk;
    });
  });

  auto chain_family = std::make_shared<std::string>();
  auto chain_out = std::make_shared<std::string>("-");
  auto* chain = ca_cmd->add_subcommand(
      "chain", "write a family's CA chain as PEM (issuing CA first, root last)");
  chain->add_option("--family", *chain_family, "rsa, ecdsa or sm2")->required();
  chain->add_option("--out", *chain_out, "output file (default: standard output)");
  chain->callback([&ctx, chain_family, chain_out] {
    run_command(ctx, [&]() -> Result<int> {
      auto fam = store::parse_ca_family(*chain_family);
      if (!fam)
        return fail(ErrorCode::kInvalidArgument,
                    "unknown family '" + *chain_family + "' (rsa, ecdsa, sm2)");
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto ders = HPKI_TRY(rt->ca().chain(*fam));
      auto pem = pem_chain(ders);
      HPKI_TRY(write_output_file(*chain_out, as_bytes(pem)));
      return kExitOk;
    });
  });
}

}  // namespace hpki::cli
