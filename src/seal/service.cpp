#include "seal/service.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "core/encoding.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "seal/png.h"

namespace hpki::seal {
namespace {

using nlohmann::json;

Result<std::string> family_of(const x509::Certificate& c) {
  const auto spec = crypto::key_spec_of(c.spki_der());
  if (!spec) return fail(spec.error().with_context("allowed certificate"));
  switch (spec->type) {
    case crypto::KeyType::kSm2:
      return std::string("sm2");
    case crypto::KeyType::kRsa:
      return std::string("rsa");
    case crypto::KeyType::kEcP256:
    case crypto::KeyType::kEcP384:
      return std::string("ecdsa");
  }
  return fail(ErrorCode::kUnsupportedAlgorithm, "allowed certificate: unknown key type");
}

std::unexpected<Error> bad(const std::string& field, const std::string& why) {
  return fail(ErrorCode::kInvalidArgument, "field '" + field + "' " + why);
}

Result<void> validate(const CreateRequest& r) {
  if (r.org.empty()) return bad("organization", "is empty");
  if (r.kind != kKindOrganization && r.kind != kKindPersonal && r.kind != kKindHandwriting) {
    return bad("kind", "must be organization, personal or handwriting");
  }
  if (r.name.empty() || r.name.size() > kMaxNameLength) {
    return bad("name", "must have 1.." + std::to_string(kMaxNameLength) + " bytes");
  }
  if (r.kind == kKindOrganization && r.subject_id) {
    return bad("subject_id", "is for personal seals and handwriting");
  }
  if (r.kind != kKindOrganization && !r.subject_id) {
    return bad("subject_id", "is required for a personal seal or handwriting");
  }
  for (auto [name, v] : {std::pair{"width_mm", r.width_mm}, std::pair{"height_mm", r.height_mm}}) {
    if (v < 1 || v > kMaxSizeMm) return bad(name, "must be 1.." + std::to_string(kMaxSizeMm));
  }
  if (r.valid_to <= r.valid_from) return bad("valid_to", "must be after valid_from");
  if (r.allowed.empty()) return bad("certificates", "must list at least one certificate");
  if (r.allowed.size() > kMaxAllowedCertificates) {
    return bad("certificates", "lists more than " + std::to_string(kMaxAllowedCertificates));
  }
  if (r.es_id.size() > kMaxTextLength) return bad("es_id", "is too long");
  return {};
}

Result<std::string> new_id() { return "seal-" + hex_encode(HPKI_TRY(crypto::random_bytes(8))); }

std::string error_id(std::string_view id, const std::string& detail) {
  return std::string(id) + ": " + detail;
}

}  // namespace

std::string Service::status_of(const store::SealRecord& r) const {
  if (r.state == kStateRevoked) return std::string(kStateRevoked);
  const TimePoint now = clock_.now();
  if (now > r.valid_to) return "expired";
  if (now < r.valid_from) return "not_yet_valid";
  return std::string(kStateActive);
}

Result<store::SealRecord> Service::get_scoped(store::Tx& tx, std::string_view id,
                                              const std::optional<std::string>& scope) const {
  auto r = tx.get_seal(id);
  if (!r) return fail(r.error());
  // Another organization's seal does not exist for this caller.
  if (scope && r->org != *scope) return fail(ErrorCode::kNotFound, "no seal " + std::string(id));
  return r;
}

Result<SealView> Service::create(const CreateRequest& req, const std::optional<Maker>& maker,
                                 std::string_view actor) {
  HPKI_TRY(validate(req));
  const auto png = check_png(req.image);
  if (!png) return fail(png.error().with_context("field 'image'"));
  std::string family;
  for (const auto& c : req.allowed) {
    const std::string f = HPKI_TRY(family_of(*c));
    if (!family.empty() && f != family) {
      return bad("certificates", "mixes key families (" + family + ", " + f + ")");
    }
    family = f;
  }
  store::SealRecord rec;
  rec.id = HPKI_TRY(new_id());
  rec.org = req.org;
  rec.kind = req.kind;
  rec.name = req.name;
  rec.subject_id = req.subject_id;
  rec.algorithm = family;
  rec.image = req.image;
  rec.width_mm = req.width_mm;
  rec.height_mm = req.height_mm;
  rec.valid_from = std::chrono::floor<std::chrono::seconds>(req.valid_from);
  rec.valid_to = std::chrono::floor<std::chrono::seconds>(req.valid_to);
  rec.state = std::string(kStateActive);
  rec.created_by = std::string(actor);
  for (const auto& c : req.allowed) {
    rec.allowed_serials.push_back(c->serial_number().hex());
    rec.allowed_certs.push_back(base64_encode(c->der()));
  }
  // GB/T 38540: an SM2 organization or personal seal is an SESeal signed by the maker.
  if (family == "sm2" && req.kind != kKindHandwriting) {
    if (!maker || maker->signer == nullptr || !maker->certificate) {
      return bad("maker_key",
                 "is required for an SM2 seal (an SM2 key registered with `hpki key "
                 "register` for the organization)");
    }
    if (maker->org != req.org) {
      return fail(ErrorCode::kPermissionDenied,
                  "the maker key " + maker->key_id + " is not registered for " + req.org);
    }
    SealInfo in;
    in.vid = "hpki";
    in.es_id = req.es_id.empty() ? rec.id : req.es_id;
    in.type = req.kind == kKindOrganization ? kTypeOrganization : kTypePersonal;
    in.name = req.name;
    if (req.digest_list) {
      in.cert_list_type = CertListType::kDigests;
      for (const auto& c : req.allowed) {
        in.cert_digests.push_back(
            {"SM3", HPKI_TRY(crypto::digest(crypto::HashAlg::kSm3, c->der()))});
      }
    } else {
      for (const auto& c : req.allowed) in.certs.push_back(c->der());
    }
    in.create_date = clock_.now();
    in.valid_start = rec.valid_from;
    in.valid_end = rec.valid_to;
    in.picture_type = "PNG";
    in.picture = req.image;
    in.width_mm = req.width_mm;
    in.height_mm = req.height_mm;
    auto made = make_seal(std::move(in), *maker->signer, maker->certificate->der());
    if (!made) return fail(made.error().with_context("maker key " + maker->key_id));
    rec.es_id = made->info.es_id;
    rec.seal_der = made->der;
    rec.maker_key = maker->key_id;
  } else if (req.digest_list) {
    return bad("digest_list", "applies to SM2 organization and personal seals only");
  }
  HPKI_TRY(store_.transact([&](store::Tx& tx) -> Result<void> {
    if (rec.subject_id) {
      auto s = tx.get_subject(*rec.subject_id);
      // A subject of another organization is as unknown as a missing one.
      if (!s || s->org != rec.org) {
        return bad("subject_id",
                   std::to_string(*rec.subject_id) + " is not a subject of " + rec.org);
      }
    }
    HPKI_TRY(tx.insert_seal(rec));
    json d{{"kind", rec.kind},
           {"name", rec.name},
           {"algorithm", rec.algorithm},
           {"allowed_serials", rec.allowed_serials},
           {"valid_from", format_rfc3339(rec.valid_from)},
           {"valid_to", format_rfc3339(rec.valid_to)},
           {"image_sm3", hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSm3, rec.image)))}};
    if (rec.seal_der) {
      d["maker_key"] = rec.maker_key;
      d["seal_sm3"] = hex_encode(HPKI_TRY(crypto::digest(crypto::HashAlg::kSm3, *rec.seal_der)));
    }
    HPKI_TRY(audit_.append(tx, {.actor = std::string(actor),
                                .action = std::string(kActionCreate),
                                .object = "seal:" + rec.id,
                                .outcome = std::string(audit::outcome::kSuccess),
                                .details = d.dump(),
                                .org = rec.org}));
    return {};
  }));
  rec.created_at = std::chrono::floor<std::chrono::seconds>(clock_.now());
  rec.updated_at = rec.created_at;
  return SealView{rec, status_of(rec)};
}

Result<SealView> Service::show(std::string_view id, const std::optional<std::string>& scope) const {
  auto rec = HPKI_TRY(store_.read_value<store::SealRecord>(
      [&](store::Tx& tx) { return get_scoped(tx, id, scope); }));
  return SealView{rec, status_of(rec)};
}

Result<std::vector<SealView>> Service::list(const std::optional<std::string>& scope,
                                            std::int64_t limit, std::int64_t offset) const {
  auto recs = HPKI_TRY(store_.read_value<std::vector<store::SealRecord>>(
      [&](store::Tx& tx) { return tx.list_seals(scope.value_or(""), limit, offset, false); }));
  std::vector<SealView> out;
  out.reserve(recs.size());
  for (auto& r : recs) {
    std::string st = status_of(r);
    out.push_back({std::move(r), std::move(st)});
  }
  return out;
}

Result<SealView> Service::revoke(std::string_view id, std::string_view reason,
                                 const std::optional<std::string>& scope, std::string_view actor) {
  if (reason.size() > kMaxReasonLength) return bad("reason", "is too long");
  auto rec = HPKI_TRY(
      store_.transact_value<store::SealRecord>([&](store::Tx& tx) -> Result<store::SealRecord> {
        auto r = HPKI_TRY(get_scoped(tx, id, scope));
        if (r.state == kStateRevoked) {
          return fail(ErrorCode::kConflict, "seal " + r.id + " is already revoked");
        }
        r.state = std::string(kStateRevoked);
        r.revoked_at = std::chrono::floor<std::chrono::seconds>(clock_.now());
        r.reason = std::string(reason);
        HPKI_TRY(tx.update_seal(r));
        HPKI_TRY(audit_.append(tx, {.actor = std::string(actor),
                                    .action = std::string(kActionRevoke),
                                    .object = "seal:" + r.id,
                                    .outcome = std::string(audit::outcome::kSuccess),
                                    .details = json{{"reason", r.reason}}.dump(),
                                    .org = r.org}));
        return r;
      }));
  return SealView{rec, status_of(rec)};
}

Result<SealUse> Service::lookup_for_signing(std::string_view id, const x509::Certificate& signer,
                                            const std::optional<std::string>& scope) const {
  auto rec = store_.read_value<store::SealRecord>(
      [&](store::Tx& tx) { return get_scoped(tx, id, scope); });
  if (!rec) {
    if (rec.error().code() == ErrorCode::kNotFound) {
      return fail(ErrorCode::kNotFound, error_id(diag::kNotFound, "no seal " + std::string(id)));
    }
    return fail(rec.error());
  }
  const std::string status = status_of(*rec);
  if (status == kStateRevoked) {
    return fail(ErrorCode::kRevoked, error_id(diag::kRevoked, "seal " + rec->id + " is revoked"));
  }
  if (status == "expired") {
    return fail(ErrorCode::kBadState, error_id(diag::kExpired, "seal " + rec->id + " expired on " +
                                                                   format_rfc3339(rec->valid_to)));
  }
  if (status == "not_yet_valid") {
    return fail(ErrorCode::kBadState,
                error_id(diag::kNotYetValid,
                         "seal " + rec->id + " is valid from " + format_rfc3339(rec->valid_from)));
  }
  const std::string mine = base64_encode(signer.der());
  if (std::ranges::find(rec->allowed_certs, mine) == rec->allowed_certs.end()) {
    return fail(ErrorCode::kPermissionDenied,
                error_id(diag::kSignerNotAllowed, "certificate " + signer.serial_number().hex() +
                                                      " may not use seal " + rec->id));
  }
  SealUse use{*rec, std::nullopt};
  if (rec->seal_der) {
    auto s = decode_seal(*rec->seal_der);
    if (!s) return fail(s.error().with_context("stored seal " + rec->id));
    const auto rep = verify_seal(*s, {.at = clock_.now(), .signer_cert = BytesView(signer.der())});
    if (!rep.ok) {
      const auto& d = rep.diagnostics.front();
      return fail(
          d.id == diag::kSignerNotAllowed ? ErrorCode::kPermissionDenied : ErrorCode::kBadSignature,
          error_id(d.id, d.detail));
    }
    use.seal = std::move(*s);
  }
  return use;
}

std::string seal_json(const SealView& v, bool with_image) {
  const auto& r = v.record;
  json j{{"id", r.id},
         {"organization", r.org},
         {"kind", r.kind},
         {"name", r.name},
         {"subject_id", r.subject_id ? json(*r.subject_id) : json(nullptr)},
         {"algorithm", r.algorithm},
         {"width_mm", r.width_mm},
         {"height_mm", r.height_mm},
         {"es_id", r.es_id},
         {"maker_key", r.maker_key},
         {"allowed_serials", r.allowed_serials},
         {"valid_from", format_rfc3339(r.valid_from)},
         {"valid_to", format_rfc3339(r.valid_to)},
         {"state", r.state},
         {"status", v.status},
         {"revoked_at", r.revoked_at ? json(format_rfc3339(*r.revoked_at)) : json(nullptr)},
         {"reason", r.reason},
         {"created_by", r.created_by},
         {"created_at", format_rfc3339(r.created_at)},
         {"has_seal", r.seal_der.has_value() || !r.es_id.empty()}};
  if (with_image) {
    j["image"] = base64_encode(r.image);
    j["seal"] = r.seal_der ? json(base64_encode(*r.seal_der)) : json(nullptr);
  }
  return j.dump();
}

}  // namespace hpki::seal
