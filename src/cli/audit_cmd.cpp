#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "core/encoding.h"

namespace hpki::cli {

void add_audit_commands(CLI::App& app, Context& ctx) {
  auto* audit = app.add_subcommand("audit", "the tamper-evident audit log");
  audit->require_subcommand(1);

  auto* verify = audit->add_subcommand(
      "verify", "check the whole audit log offline; report the first bad entry");
  verify->callback([&ctx] {
    run_command(ctx, [&]() -> Result<int> {
      auto rt = HPKI_TRY(open_runtime(ctx));
      audit::VerifyOptions o;
      o.resolve_key = [&](const KeyId& key_ref) {
        return rt->file_keys().public_key(crypto::to_key_ref(key_ref));
      };
      auto report = HPKI_TRY(rt->audit().verify(rt->store(), o));
      if (ctx.json) {
        nlohmann::json j{{"ok", report.ok()},
                         {"entries", report.entries_checked},
                         {"checkpoints", report.checkpoints_checked},
                         {"signatures_checked", report.signatures_checked},
                         {"unprotected_entries", report.unprotected_entries}};
        if (report.failure) {
          j["first_bad_seq"] = report.failure->seq;
          j["reason"] = report.failure->reason;
          j["message"] = report.failure->message;
        }
        ctx.out << j.dump() << "\n";
      } else if (report.ok()) {
        ctx.out << "audit log OK: " << report.entries_checked << " entries, "
                << report.checkpoints_checked << " checkpoints (signatures "
                << (report.signatures_checked ? "checked" : "not checked") << "), "
                << report.unprotected_entries << " entries after the last checkpoint\n";
      } else {
        ctx.out << "audit log BROKEN at entry " << report.failure->seq << ": "
                << report.failure->reason << ": " << report.failure->message << "\n";
      }
      return report.ok() ? kExitOk : kExitNegative;
    });
  });

  auto* cp = audit->add_subcommand("checkpoint",
                                   "sign the Merkle tree head of the log with the audit key");
  cp->callback([&ctx] {
    run_command(ctx, [&]() -> Result<int> {
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto signer = HPKI_TRY(rt->file_keys().signer(crypto::to_key_ref(ca::audit_key_id())));
      auto c = HPKI_TRY(rt->audit().checkpoint(rt->store(), *signer, ca::audit_key_id()));
      if (ctx.json) {
        ctx.out << nlohmann::json{{"seq", c.seq},
                                  {"root", hex_encode(c.root_hash)},
                                  {"signed_at", format_rfc3339(c.signed_at)}}
                       .dump()
                << "\n";
      } else {
        ctx.out << "checkpoint at entry " << c.seq << ": root " << hex_encode(c.root_hash) << "\n";
      }
      return kExitOk;
    });
  });

  struct ListArgs {
    std::int64_t from = 1;
    std::int64_t limit = 100;
  };
  auto a = std::make_shared<ListArgs>();
  auto* list = audit->add_subcommand("list", "show audit entries");
  list->add_option("--from", a->from, "first sequence number (default 1)");
  list->add_option("--limit", a->limit, "number of entries (default 100)");
  list->callback([&ctx, a] {
    run_command(ctx, [&]() -> Result<int> {
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto entries = HPKI_TRY(rt->audit().list(rt->store(), a->from, a->limit));
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : entries) {
        if (ctx.json) {
          j.push_back({{"seq", e.seq},
                       {"at", format_rfc3339(e.at)},
                       {"actor", e.actor},
                       {"action", e.action},
                       {"object", e.object},
                       {"outcome", e.outcome},
                       {"details", e.details},
                       {"hash", hex_encode(e.hash)}});
        } else {
          ctx.out << e.seq << "\t" << format_rfc3339(e.at) << "\t" << e.actor << "\t" << e.action
                  << "\t" << e.object << "\t" << e.outcome << "\n";
        }
      }
      if (ctx.json) ctx.out << j.dump() << "\n";
      return kExitOk;
    });
  });
}

}  // namespace hpki::cli
