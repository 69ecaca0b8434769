// `hpki crl generate` (publish a CRL now and write it to a file, for offline distribution) and
// `hpki crl show` (print and optionally verify any CRL file).
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "der/oids.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/extensions.h"

namespace hpki::cli {
namespace {

std::int64_t crl_number_value(const x509::Crl& crl, const der::Oid& oid) {
  const auto* e = crl.find_extension(oid);
  if (e == nullptr) return -1;
  auto n = x509::parse_crl_number(e->value);
  if (!n || n->size() > 7) return -1;
  std::int64_t v = 0;
  for (auto b : *n) v = v * 256 + b;
  return v;
}

}  // namespace

void add_crl_commands(CLI::App& app, Context& ctx) {
  auto* group = app.add_subcommand("crl", "certificate revocation lists");
  group->require_subcommand(1);

  struct GenerateArgs {
    std::string ca, out;
    bool delta = false, der = false, pem = false;
    std::optional<std::int64_t> shard;
  };
  auto g = std::make_shared<GenerateArgs>();
  auto* gen = group->add_subcommand(
      "generate", "sign and publish a new CRL of a CA now and write it to a file (offline use)");
  gen->add_option("--ca", g->ca, "CA id, e.g. rsa-issuing or sm2-root")->required();
  gen->add_flag("--delta", g->delta, "a delta CRL against the newest complete CRL");
  gen->add_option("--shard", g->shard, "the shard, when [ca] crl_shards > 1 (issuing CAs)");
  gen->add_option("--out", g->out, "output file")->required();
  auto* der_flag = gen->add_flag("--der", g->der, "write DER");
  gen->add_flag("--pem", g->pem, "write PEM (the default)")->excludes(der_flag);
  gen->callback([&ctx, g] {
    run_command(ctx, [&]() -> Result<int> {
      auto rt = HPKI_TRY(open_runtime(ctx));
      auto pub = make_crl_publisher(*rt);
      auto scope = HPKI_TRY(pub->scope_for(g->ca, g->shard));
      auto rec = HPKI_TRY(pub->generate(scope, g->delta));
      if (g->der) {
        HPKI_TRY(write_output_file(g->out, rec.der));
      } else {
        HPKI_TRY(write_output_file(g->out, as_bytes(pem_encode("X509 CRL", rec.der))));
      }
      if (ctx.json) {
        nlohmann::json j{{"name", rec.name},
                         {"ca", rec.ca_id},
                         {"delta", rec.delta},
                         {"crl_number", rec.crl_number},
                         {"entries", rec.entries},
                         {"this_update", format_rfc3339(rec.this_update)},
                         {"next_update", format_rfc3339(rec.next_update)},
                         {"url", pub->url_of(scope, rec.delta)},
                         {"out", g->out}};
        if (scope.shard) j["shard"] = *scope.shard;
        if (rec.base_crl_number) j["base_crl_number"] = *rec.base_crl_number;
        ctx.out << j.dump() << "\n";
      } else {
        ctx.out << rec.name << " number " << rec.crl_number << ": " << rec.entries
                << " entries, next update " << format_rfc3339(rec.next_update) << " -> " << g->out
                << "\n";
      }
      return kExitOk;
    });
  });

  struct ShowArgs {
    std::string file, issuer;
  };
  auto s = std::make_shared<ShowArgs>();
  auto* show = group->add_subcommand("show", "print a CRL (PEM or DER); check it with --issuer");
  show->add_option("file", s->file, "CRL file")->required();
  show->add_option("--issuer", s->issuer,
                   "issuer certificate: verify the signature (SM2 with the standard ID); exit 1 "
                   "when it does not verify");
  show->callback([&ctx, s] {
    run_command(ctx, [&]() -> Result<int> {
      auto data = HPKI_TRY(read_input_file(s->file, x509::kMaxCrlSize));
      auto crl = HPKI_TRY(x509::Crl::parse_any(data));
      std::optional<bool> valid;
      std::string why;
      if (!s->issuer.empty()) {
        auto cert = HPKI_TRY(x509::Certificate::parse_any(HPKI_TRY(read_input_file(s->issuer))));
        auto v = crl->verify_signature(cert->spki_der());
        valid = v.has_value() && crl->issuer() == cert->subject();
        if (!v)
          why = v.error().to_string();
        else if (!*valid)
          why = "issuer name differs from the certificate's subject";
      }
      const auto number = crl_number_value(*crl, der::oids::kCrlNumber);
      const auto base = crl_number_value(*crl, der::oids::kDeltaCrlIndicator);
      if (ctx.json) {
        nlohmann::json entries = nlohmann::json::array();
        for (const auto& e : crl->revoked()) {
          nlohmann::json j{{"serial", hex_encode(e.serial)},
                           {"revocation_date", format_rfc3339(e.revocation_date)}};
          if (e.reason) j["reason"] = x509::reason_name(*e.reason);
          if (e.invalidity_date) j["invalidity_date"] = format_rfc3339(*e.invalidity_date);
          entries.push_back(std::move(j));
        }
        nlohmann::json j{{"issuer", x509::to_string(crl->issuer())},
                         {"this_update", format_rfc3339(crl->this_update())},
                         {"crl_number", number},
                         {"delta", crl->is_delta()},
                         {"entries", entries}};
        if (crl->next_update()) j["next_update"] = format_rfc3339(*crl->next_update());
        if (crl->is_delta()) j["base_crl_number"] = base;
        if (valid) j["signature_valid"] = *valid;
        ctx.out << j.dump() << "\n";
      } else {
        ctx.out << "issuer:      " << x509::to_string(crl->issuer()) << "\n"
                << "this update: " << format_rfc3339(crl->this_update()) << "\n";
        if (crl->next_update())
          ctx.out << "next update: " << format_rfc3339(*crl->next_update()) << "\n";
        ctx.out << "crl number:  " << number << "\n";
        if (crl->is_delta()) ctx.out << "delta of:    " << base << "\n";
        if (const auto* idp = crl->find_extension(der::oids::kIssuingDistributionPoint)) {
          if (auto v = x509::parse_issuing_distribution_point(idp->value); v) {
            for (const auto& n : v->full_name) ctx.out << "scope:       " << n.text << "\n";
          }
        }
        ctx.out << "entries:     " << crl->revoked().size() << "\n";
        for (const auto& e : crl->revoked()) {
          ctx.out << "  " << hex_encode(e.serial) << " " << format_rfc3339(e.revocation_date);
          if (e.reason) ctx.out << " " << x509::reason_name(*e.reason);
          ctx.out << "\n";
        }
        if (valid) {
          ctx.out << "signature:   " << (*valid ? "valid" : "INVALID: " + why) << "\n";
        }
      }
      return valid.value_or(true) ? kExitOk : kExitNegative;
    });
  });
}

}  // namespace hpki::cli
