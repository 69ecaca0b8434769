// `hpki seal create|list|show|revoke` (docs/seals.md): electronic seals of the home's
// organizations through seal::Service.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/common.h"
#include "crypto/keystore.h"
#include "seal/png.h"
#include "seal/service.h"
#include "sign/key_registry.h"
#include "x509/bundle.h"

namespace hpki::cli {
namespace {

using nlohmann::json;

std::string seal_actor() {
  const char* user = std::getenv("USER");
  return "cli:" + std::string(user != nullptr ? user : "unknown");
}

struct CreateArgs {
  std::string org, kind = "organization", name, image, valid_from, valid_to, maker_key, es_id;
  std::vector<std::string> certs;
  std::int64_t subject = 0;
  std::int64_t width_mm = 40, height_mm = 40;
  int days = 365;
  bool digest_list = false;
};

struct ShowArgs {
  std::string id, image_out, seal_out;
};

struct ListArgs {
  std::string org;
  std::int64_t limit = 100, offset = 0;
};

struct RevokeArgs {
  std::string id, reason;
};

void print(Context& ctx, const seal::SealView& v) {
  if (ctx.json) {
    ctx.out << seal::seal_json(v, false) << "\n";
    return;
  }
  const auto& r = v.record;
  ctx.out << "id:           " << r.id << "\n"
          << "organization: " << r.org << "\n"
          << "kind:         " << r.kind << "\n"
          << "name:         " << r.name << "\n"
          << "algorithm:    " << r.algorithm << (r.es_id.empty() ? "" : " (GB/T 38540 SESeal)")
          << "\n"
          << "status:       " << v.status << "\n"
          << "valid:        " << format_rfc3339(r.valid_from) << " .. "
          << format_rfc3339(r.valid_to) << "\n";
  for (const auto& s : r.allowed_serials) ctx.out << "allowed:      " << s << "\n";
  if (r.revoked_at) {
    ctx.out << "revoked:      " << format_rfc3339(*r.revoked_at) << " (" << r.reason << ")\n";
  }
}

Result<int> run_create(Context& ctx, const CreateArgs& a) {
  seal::CreateRequest req;
  req.org = a.org;
  req.kind = a.kind;
  req.name = a.name;
  if (a.subject != 0) req.subject_id = a.subject;
  req.image = HPKI_TRY(read_input_file(a.image, seal::kMaxImageSize + 1));
  req.width_mm = a.width_mm;
  req.height_mm = a.height_mm;
  for (const auto& f : a.certs) {
    auto data = HPKI_TRY(read_input_file(f, x509::kMaxBundleSize));
    auto certs = x509::parse_certificate_bundle(data);
    if (!certs) return fail(certs.error().with_context(f));
    req.allowed.insert(req.allowed.end(), certs->begin(), certs->end());
  }
  req.digest_list = a.digest_list;
  req.es_id = a.es_id;
  auto rt = HPKI_TRY(open_runtime(ctx));
  req.valid_from = a.valid_from.empty() ? rt->clock().now() : HPKI_TRY(parse_rfc3339(a.valid_from));
  req.valid_to = a.valid_to.empty() ? req.valid_from + std::chrono::days(a.days)
                                    : HPKI_TRY(parse_rfc3339(a.valid_to));
  std::optional<seal::Maker> maker;
  std::unique_ptr<crypto::Signer> signer;
  if (!a.maker_key.empty()) {
    const sign::KeyRegistry registry(std::filesystem::path(ctx.home) / "signing-keys");
    auto reg = HPKI_TRY(registry.get(a.maker_key));
    auto* keys = HPKI_TRY(rt->keys_for(reg.key_ref));
    signer = HPKI_TRY(keys->signer(crypto::to_key_ref(reg.key_ref)));
    maker = seal::Maker{signer.get(), reg.certificates.front(), reg.id, reg.org};
  }
  seal::Service svc(rt->store(), rt->audit(), rt->clock());
  print(ctx, HPKI_TRY(svc.create(req, maker, seal_actor())));
  return kExitOk;
}

Result<int> run_list(Context& ctx, const ListArgs& a) {
  auto rt = HPKI_TRY(open_runtime(ctx));
  seal::Service svc(rt->store(), rt->audit(), rt->clock());
  std::optional<std::string> scope;
  if (!a.org.empty()) scope = a.org;
  const auto seals = HPKI_TRY(svc.list(scope, a.limit, a.offset));
  if (ctx.json) {
    json arr = json::array();
    for (const auto& v : seals) arr.push_back(json::parse(seal::seal_json(v, false)));
    ctx.out << arr.dump() << "\n";
    return kExitOk;
  }
  for (const auto& v : seals) {
    ctx.out << v.record.id << "\t" << v.record.org << "\t" << v.record.kind << "\t"
            << v.record.algorithm << "\t" << v.status << "\t" << format_rfc3339(v.record.valid_to)
            << "\t" << v.record.name << "\n";
  }
  return kExitOk;
}

Result<int> run_show(Context& ctx, const ShowArgs& a) {
  auto rt = HPKI_TRY(open_runtime(ctx));
  seal::Service svc(rt->store(), rt->audit(), rt->clock());
  const auto v = HPKI_TRY(svc.show(a.id, std::nullopt));
  if (!a.image_out.empty()) HPKI_TRY(write_output_file(a.image_out, v.record.image));
  if (!a.seal_out.empty()) {
    if (!v.record.seal_der) {
      return fail(ErrorCode::kNotFound, "seal " + v.record.id + " has no GB/T 38540 SESeal");
    }
    HPKI_TRY(write_output_file(a.seal_out, *v.record.seal_der));
  }
  print(ctx, v);
  return kExitOk;
}

Result<int> run_revoke(Context& ctx, const RevokeArgs& a) {
  auto rt = HPKI_TRY(open_runtime(ctx));
  seal::Service svc(rt->store(), rt->audit(), rt->clock());
  print(ctx, HPKI_TRY(svc.revoke(a.id, a.reason, std::nullopt, seal_actor())));
  return kExitOk;
}

}  // namespace

void add_seal_commands(CLI::App& app, Context& ctx) {
  auto* seal =
      app.add_subcommand("seal", "electronic seals and handwriting images (docs/seals.md)");
  seal->require_subcommand(1);

  auto c = std::make_shared<CreateArgs>();
  auto* create = seal->add_subcommand(
      "create", "create a seal: image + allowed certificates (+ a GB/T 38540 SESeal for SM2)");
  create->add_option("--org", c->org, "the organization")->required();
  create->add_option("--name", c->name, "the seal's name, e.g. 示例医院电子公章")->required();
  create->add_option("--image", c->image, "the seal image (PNG, at most 1 MiB)")->required();
  create->add_option("--cert", c->certs, "certificates allowed to use the seal (PEM)")->required();
  create->add_option("--kind", c->kind, "organization (default), personal or handwriting");
  create->add_option("--subject", c->subject, "the person's subject id (personal, handwriting)");
  create->add_option("--width-mm", c->width_mm, "display width in mm (default 40)");
  create->add_option("--height-mm", c->height_mm, "display height in mm (default 40)");
  create->add_option("--valid-from", c->valid_from, "RFC 3339 (default now)");
  create->add_option("--valid-to", c->valid_to, "RFC 3339 (default --days after valid-from)");
  create->add_option("--days", c->days, "validity in days when --valid-to is not given (365)");
  create->add_option("--maker-key", c->maker_key,
                     "the seal maker: an SM2 key registered with `hpki key register` for --org "
                     "(required for SM2 organization and personal seals)");
  create->add_flag("--digest-list", c->digest_list,
                   "SESeal: list SM3 digests of the certificates instead of the certificates");
  create->add_option("--es-id", c->es_id, "the GB/T 38540 esID (default: the seal id)");
  create->callback([c, &ctx] { run_command(ctx, [&]() { return run_create(ctx, *c); }); });

  auto l = std::make_shared<ListArgs>();
  auto* list = seal->add_subcommand("list", "list seals (oldest first)");
  list->add_option("--org", l->org, "only this organization's");
  list->add_option("--limit", l->limit, "at most this many (default 100)")
      ->check(CLI::Range(std::int64_t{1}, store::kMaxSearchLimit));
  list->add_option("--offset", l->offset, "skip this many")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  list->callback([l, &ctx] { run_command(ctx, [&]() { return run_list(ctx, *l); }); });

  auto s = std::make_shared<ShowArgs>();
  auto* show = seal->add_subcommand("show", "show a seal");
  show->add_option("ID", s->id, "the seal id")->required();
  show->add_option("--image-out", s->image_out, "write the image (PNG) here");
  show->add_option("--seal-out", s->seal_out, "write the GB/T 38540 SESeal (DER) here");
  show->callback([s, &ctx] { run_command(ctx, [&]() { return run_show(ctx, *s); }); });

  auto r = std::make_shared<RevokeArgs>();
  auto* revoke = seal->add_subcommand("revoke", "revoke a seal");
  revoke->add_option("ID", r->id, "the seal id")->required();
  revoke->add_option("--reason", r->reason, "why")->required();
  revoke->callback([r, &ctx] { run_command(ctx, [&]() { return run_revoke(ctx, *r); }); });
}

}  // namespace hpki::cli
