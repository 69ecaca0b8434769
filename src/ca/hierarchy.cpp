// Hierarchy creation (hpki ca init): per family a self-signed root, an issuing CA under it, and
// the OCSP responder and TSA certificates that hpki designates for that issuing CA.
#include <nlohmann/json.hpp>

#include "ca/ca_service.h"
#include "ca/detail/certificate_subject.h"
#include "ca/detail/job.h"
#include "core/encoding.h"

namespace hpki::ca {

using detail::family_prefix;
using detail::family_title;
using detail::key_type_name;
using store::CaRole;

namespace {
constexpr std::string_view kInitActor = "hpki-init";
constexpr std::string_view kAuditSignerProfile = "audit-signer";
}  // namespace

Result<void> CaService::init_hierarchy(const InitHierarchyOptions& o) {
  const auto& profiles = *d_.profiles;
  // The certificates of the hierarchy are hpki's own: requested as admin, no subject records.
  const Requester init_by{std::string(kInitActor), std::string(kAdminRole)};
  // The audit checkpoint key, once per home.
  if (!d_.file_keys->public_key(crypto::to_key_ref(audit_key_id()))) {
    const crypto::KeySpec spec =
        d_.audit != nullptr && d_.audit->hash_alg() == crypto::HashAlg::kSha256
            ? crypto::KeySpec{crypto::KeyType::kEcP256, 0}
            : crypto::KeySpec{crypto::KeyType::kSm2, 0};
    const crypto::KeyRef audit_ref = HPKI_TRY(d_.file_keys->generate(spec, "audit"));
    const KeyId ref = HPKI_TRY(crypto::to_key_id(audit_ref));
    HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_key_ref({ref, "file", "audit", key_type_name(spec), {}}));
      return audit(tx, o.actor, audit::action::kKeyCreate, ref.str(), audit::outcome::kSuccess,
                   nlohmann::json{{"purpose", "audit checkpoints"}}.dump());
    }));
  }
  for (CaFamily fam : o.families) {
    const std::string root_id = ca_id(fam, CaRole::kRoot);
    auto exists = d_.store->transact_value<store::CaRecord>(
        [&](store::Tx& tx) { return tx.get_ca(root_id); });
    if (exists)
      return fail(ErrorCode::kAlreadyExists,
                  "the " + family_prefix(fam) + " hierarchy already exists");
    const detail::FamilyKeys ks = detail::keys_of(fam);
    crypto::KeyStore& store_for_family =
        (o.hsm && fam != CaFamily::kSm2 && d_.hsm_keys) ? *d_.hsm_keys : *d_.file_keys;
    const std::string sm2_id = d_.home->base.sm2.distinguishing_id;
    x509::SubjectData base;
    base.country = d_.home->ca.country;
    base.province = d_.home->ca.province;
    base.city = d_.home->ca.city;
    base.organization = d_.home->ca.organization;

    // Root (self-signed).
    const crypto::KeyRef root_ref = HPKI_TRY(store_for_family.generate(ks.root, root_id));
    const KeyId root_key = HPKI_TRY(crypto::to_key_id(root_ref));
    auto root_signer = HPKI_TRY(store_for_family.signer(root_ref, std::nullopt, sm2_id));
    x509::IssueParams rp;
    rp.profile = &profiles.at("root-ca");
    rp.subject = base;
    rp.subject.common_name = d_.home->ca.organization + " " + family_title(fam) + " Root CA";
    rp.subject_spki = root_signer->public_key_der();
    rp.serial = HPKI_TRY(x509::generate_serial(*d_.random));
    rp.not_before = std::chrono::floor<std::chrono::seconds>(d_.clock->now());
    auto root_issued = HPKI_TRY(x509::issue_certificate(rp, d_.home->build, *root_signer));
    auto root_cert = HPKI_TRY(x509::Certificate::parse(root_issued.der));
    HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_key_ref(
          {root_key, std::string(store_for_family.kind()), root_id, key_type_name(ks.root), {}}));
      HPKI_TRY(tx.insert_ca({root_id,
                             fam,
                             CaRole::kRoot,
                             root_key,
                             root_issued.der,
                             std::nullopt,
                             x509::to_string(root_cert->subject()),
                             {}}));
      store::CertificateRecord rec;
      rec.ca_id = root_id;
      rec.serial = HPKI_TRY(Serial::from_octets(rp.serial));
      rec.subject = x509::to_string(root_cert->subject());
      rec.org = base.organization;
      rec.profile = "root-ca";
      rec.not_before = root_cert->validity().not_before;
      rec.not_after = root_cert->validity().not_after;
      rec.key_type = key_type_name(ks.root);
      rec.requested_by = o.actor;
      rec.status = store::CertStatus::kIssued;
      rec.der = root_issued.der;
      HPKI_TRY(tx.insert_certificate(rec));
      return audit(tx, o.actor, audit::action::kCaCreate, root_id, audit::outcome::kSuccess,
                   nlohmann::json{
                       {"subject", rec.subject}, {"key", rec.key_type}, {"key_ref", root_key.str()}}
                       .dump());
    }));

    // Issuing CA, signed by the root.
    const std::string issuing_id = ca_id(fam, CaRole::kIssuing);
    const crypto::KeyRef iss_ref = HPKI_TRY(store_for_family.generate(ks.issuing, issuing_id));
    const KeyId iss_key = HPKI_TRY(crypto::to_key_id(iss_ref));
    auto iss_pub = HPKI_TRY(store_for_family.public_key(iss_ref));
    IssuerCtx root_ctx;
    root_ctx.record = HPKI_TRY(d_.store->transact_value<store::CaRecord>(
        [&](store::Tx& tx) { return tx.get_ca(root_id); }));
    root_ctx.cert = root_cert;
    root_ctx.info = x509::IssuerInfo{
        root_cert->subject(), HPKI_TRY(x509::key_identifier(root_cert->spki_der())), root_id};
    root_ctx.signer = std::move(root_signer);
    x509::SubjectData iss_subject = base;
    iss_subject.common_name = d_.home->ca.organization + " " + family_title(fam) + " Issuing CA";
    // Issue through the pipeline (reserve, lint, sign, store, audit) under the root.
    auto iss_job = job(profiles.at("issuing-ca"), root_ctx, iss_subject, iss_pub, init_by, "issue");
    iss_job->subject_record = false;
    auto iss = HPKI_TRY(run_and_wait(std::move(iss_job)));
    HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_key_ref({iss_key,
                                  std::string(store_for_family.kind()),
                                  issuing_id,
                                  key_type_name(ks.issuing),
                                  {}}));
      auto c = HPKI_TRY(x509::Certificate::parse(iss.der));
      HPKI_TRY(tx.insert_ca({issuing_id,
                             fam,
                             CaRole::kIssuing,
                             iss_key,
                             iss.der,
                             root_id,
                             x509::to_string(c->subject()),
                             {}}));
      return audit(tx, o.actor, audit::action::kCaCreate, issuing_id, audit::outcome::kSuccess,
                   nlohmann::json{{"serial", iss.serial.hex()}, {"key_ref", iss_key.str()}}.dump());
    }));

    // OCSP responder and TSA certificates under the issuing CA.
    auto issuing_ctx = HPKI_TRY(issuer_for(fam));
    for (auto [role, profile_name, cn] :
         {std::tuple{CaRole::kOcsp, "ocsp-responder", "OCSP Responder"},
          std::tuple{CaRole::kTsa, "tsa", "Time Stamping Authority"}}) {
      const std::string id = ca_id(fam, role);
      const crypto::KeyRef ref = HPKI_TRY(store_for_family.generate(ks.leaf, id));
      const KeyId key = HPKI_TRY(crypto::to_key_id(ref));
      auto pub = HPKI_TRY(store_for_family.public_key(ref));
      x509::SubjectData s = base;
      s.common_name = d_.home->ca.organization + " " + family_title(fam) + " " + cn;
      auto leaf_job = job(profiles.at(profile_name), issuing_ctx, s, pub, init_by, "issue");
      leaf_job->subject_record = false;
      auto issued = HPKI_TRY(run_and_wait(std::move(leaf_job)));
      HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
        HPKI_TRY(tx.insert_key_ref(
            {key, std::string(store_for_family.kind()), id, key_type_name(ks.leaf), {}}));
        auto c = HPKI_TRY(x509::Certificate::parse(issued.der));
        HPKI_TRY(tx.insert_ca(
            {id, fam, role, key, issued.der, issuing_id, x509::to_string(c->subject()), {}}));
        return audit(tx, o.actor, audit::action::kCaCreate, id, audit::outcome::kSuccess,
                     nlohmann::json{{"serial", issued.serial.hex()}}.dump());
      }));
    }
  }
  return {};
}

Result<Bytes> CaService::audit_certificate(CaFamily family) {
  auto pub = d_.file_keys->public_key(crypto::to_key_ref(audit_key_id()));
  if (!pub) return fail(ErrorCode::kNotFound, "this home has no audit checkpoint key");
  auto issuer = HPKI_TRY(issuer_for(family));
  store::CertificateFilter f;
  f.ca_id = issuer.record.id;
  f.profile = std::string(kAuditSignerProfile);
  f.statuses = {store::CertStatus::kIssued};
  f.not_after_from = d_.clock->now() + std::chrono::days(30);
  f.limit = 10;
  const auto found = HPKI_TRY(search(f));
  for (const auto& rec : found) {
    if (!rec.der) continue;
    auto c = x509::Certificate::parse(*rec.der);
    if (c && (*c)->spki_der() == *pub) return *rec.der;
  }
  const auto it = d_.profiles->find(std::string(kAuditSignerProfile));
  if (it == d_.profiles->end())
    return fail(ErrorCode::kUnknownProfile, "no profile audit-signer (profiles/audit-signer.toml)");
  x509::SubjectData s;
  s.country = d_.home->ca.country;
  s.province = d_.home->ca.province;
  s.city = d_.home->ca.city;
  s.organization = d_.home->ca.organization;
  s.common_name = d_.home->ca.organization + " " + detail::family_title(family) + " Audit Signer";
  const Requester by{std::string(kInitActor), std::string(kAdminRole)};
  auto j = job(it->second, std::move(issuer), s, *pub, by, "issue");
  j->subject_record = false;
  auto issued = HPKI_TRY(run_and_wait(std::move(j)));
  return issued.der;
}

}  // namespace hpki::ca
