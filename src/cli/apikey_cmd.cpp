// `hpki apikey create|list|revoke` and `hpki operator add` (issue 5 "Authentication and roles").
#include <nlohmann/json.hpp>

#include <cstdlib>

#include "auth/credentials.h"
#include "cli/common.h"
#include "crypto/random.h"
#include "x509/certificate.h"

namespace hpki::cli {
namespace {

std::string cli_actor() {
  const char* user = std::getenv("USER");
  return "cli:" + std::string(user != nullptr ? user : "unknown");
}

std::optional<std::string> opt_org(const std::string& org) {
  if (org.empty()) return std::nullopt;
  return org;
}

}  // namespace

void add_apikey_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("apikey", "API keys for the REST API");
  group->require_subcommand(1);

  struct CreateArgs {
    std::string role;
    std::string org;
  };
  auto cargs = std::make_shared<CreateArgs>();
  auto* create = group->add_subcommand(
      "create", "create an API key; the key is printed once, alone on the last line");
  create->add_option("--role", cargs->role, "admin, ra_officer, auditor or integration")
      ->required();
  create->add_option("--org", cargs->org, "organization (required for ra_officer and integration)");
  create->callback([&ctx, cargs] {
    run_command(ctx, [&]() -> Result<int> {
      const auto role = HPKI_TRY(auth::parse_role(cargs->role));
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto pepper = HPKI_TRY(auth::load_or_create_pepper(auth::pepper_path(rt->config().keys_dir)));
      crypto::SystemRandom random;
      const auth::AuthContext ac{.store = rt->store(),
                                 .audit = rt->audit(),
                                 .pepper = pepper,
                                 .random = random,
                                 .clock = rt->clock()};
      auto k = HPKI_TRY(auth::create_api_key(ac, role, opt_org(cargs->org), cli_actor()));
      if (ctx.json) {
        ctx.out << nlohmann::json{{"id", k.id},
                                  {"role", auth::to_string(role)},
                                  {"org", cargs->org},
                                  {"key", k.key}}
                       .dump()
                << "\n";
      } else {
        ctx.err << "created API key " << k.id << " (role " << auth::to_string(role)
                << (cargs->org.empty() ? "" : ", org " + cargs->org)
                << "); the key below is shown only once\n";
        ctx.out << k.key << "\n";
      }
      return kExitOk;
    });
  });

  auto* list = group->add_subcommand("list", "list API keys and operator registrations");
  list->callback([&ctx] {
    run_command(ctx, [&]() -> Result<int> {
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto all = HPKI_TRY(auth::list_credentials(rt->store()));
      if (ctx.json) {
        nlohmann::json j = nlohmann::json::array();
        for (const auto& c : all) {
          j.push_back({{"id", c.id},
                       {"kind", auth::to_string(c.kind)},
                       {"role", auth::to_string(c.role)},
                       {"org", c.org},
                       {"created", format_rfc3339(c.created_at)},
                       {"revoked", c.revoked_at ? nlohmann::json(format_rfc3339(*c.revoked_at))
                                                : nlohmann::json(nullptr)}});
        }
        ctx.out << j.dump() << "\n";
      } else {
        for (const auto& c : all) {
          ctx.out << c.id << "\t" << auth::to_string(c.kind) << "\t" << auth::to_string(c.role)
                  << "\t" << (c.org.empty() ? "-" : c.org) << "\t" << format_rfc3339(c.created_at)
                  << "\t" << (c.revoked_at ? "revoked " + format_rfc3339(*c.revoked_at) : "active")
                  << "\n";
        }
      }
      return kExitOk;
    });
  });

  auto rid = std::make_shared<std::string>();
  auto* revoke =
      group->add_subcommand("revoke", "revoke an API key or operator registration by id");
  revoke->add_option("ID", *rid, "the id shown by create / list")->required();
  revoke->callback([&ctx, rid] {
    run_command(ctx, [&]() -> Result<int> {
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto pepper = HPKI_TRY(auth::load_or_create_pepper(auth::pepper_path(rt->config().keys_dir)));
      crypto::SystemRandom random;
      const auth::AuthContext ac{.store = rt->store(),
                                 .audit = rt->audit(),
                                 .pepper = pepper,
                                 .random = random,
                                 .clock = rt->clock()};
      HPKI_TRY(auth::revoke_credential(ac, *rid, cli_actor()));
      if (ctx.json) {
        ctx.out << nlohmann::json{{"id", *rid}, {"revoked", true}}.dump() << "\n";
      } else {
        ctx.out << "revoked " << *rid << "\n";
      }
      return kExitOk;
    });
  });

  auto* op = app.add_subcommand("operator", "operators authenticating with client certificates");
  op->require_subcommand(1);
  struct AddArgs {
    std::string cert;
    std::string role;
    std::string org;
  };
  auto aargs = std::make_shared<AddArgs>();
  auto* add = op->add_subcommand(
      "add", "register an operator certificate (issued by this hpki, profile operator)");
  add->add_option("--cert", aargs->cert, "the operator certificate (PEM or DER)")->required();
  add->add_option("--role", aargs->role, "admin, ra_officer, auditor or integration")->required();
  add->add_option("--org", aargs->org, "organization (required for ra_officer and integration)");
  add->callback([&ctx, aargs] {
    run_command(ctx, [&]() -> Result<int> {
      const auto role = HPKI_TRY(auth::parse_role(aargs->role));
      auto data = HPKI_TRY(read_input_file(aargs->cert));
      auto cert = HPKI_TRY(x509::Certificate::parse_any(data));
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto pepper = HPKI_TRY(auth::load_or_create_pepper(auth::pepper_path(rt->config().keys_dir)));
      crypto::SystemRandom random;
      const auth::AuthContext ac{.store = rt->store(),
                                 .audit = rt->audit(),
                                 .pepper = pepper,
                                 .random = random,
                                 .clock = rt->clock()};
      auto id =
          HPKI_TRY(auth::register_operator(ac, *cert, role, opt_org(aargs->org), cli_actor()));
      if (ctx.json) {
        ctx.out << nlohmann::json{{"id", id},
                                  {"role", auth::to_string(role)},
                                  {"org", aargs->org},
                                  {"serial", cert->serial_number().hex()},
                                  {"fingerprint", cert->fingerprint_sha256()}}
                       .dump()
                << "\n";
      } else {
        ctx.out << id << "\n";
      }
      return kExitOk;
    });
  });
}

}  // namespace hpki::cli
