#include "ca/ca_service.h"

#include <nlohmann/json.hpp>

#include "ca/crash.h"
#include "core/encoding.h"
#include "core/log.h"
#include "core/pem.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "crypto/pkcs12.h"
#include "der/oids.h"
#include "x509/csr.h"
#include "x509/spki.h"

namespace hpki::ca {
namespace {

constexpr std::string_view kInitActor = "hpki-init";
using store::CaRole;
using store::CertStatus;

std::string family_prefix(CaFamily f) { return std::string(store::to_string(f)); }

std::string key_type_name(const crypto::KeySpec& k) { return crypto::key_spec_name(k); }

const char* family_title(CaFamily f) {
  switch (f) {
    case CaFamily::kRsa:
      return "RSA";
    case CaFamily::kEcdsa:
      return "ECDSA";
    case CaFamily::kSm2:
      return "SM2";
  }
  return "";
}

struct FamilyKeys {
  crypto::KeySpec root, issuing, leaf;
};

FamilyKeys keys_of(CaFamily f) {
  using crypto::KeyType;
  switch (f) {
    case CaFamily::kRsa:
      return {{KeyType::kRsa, 3072}, {KeyType::kRsa, 2048}, {KeyType::kRsa, 2048}};
    case CaFamily::kEcdsa:
      return {{KeyType::kEcP384, 0}, {KeyType::kEcP256, 0}, {KeyType::kEcP256, 0}};
    case CaFamily::kSm2:
      return {{KeyType::kSm2, 0}, {KeyType::kSm2, 0}, {KeyType::kSm2, 0}};
  }
  return {};
}

CaFamily family_for_key(const crypto::KeySpec& k, bool have_ecdsa) {
  switch (k.type) {
    case crypto::KeyType::kSm2:
      return CaFamily::kSm2;
    case crypto::KeyType::kRsa:
      return CaFamily::kRsa;
    default:
      return have_ecdsa ? CaFamily::kEcdsa : CaFamily::kRsa;
  }
}

store::SubjectKind kind_for_profile(std::string_view profile) {
  if (profile.starts_with("staff")) return store::SubjectKind::kStaff;
  if (profile.starts_with("org")) return store::SubjectKind::kOrganization;
  return store::SubjectKind::kDevice;
}

// Fills empty subject fields from the CSR's subject.
void merge_csr_subject(x509::SubjectData& s, const x509::Name& n) {
  auto take = [&](std::string& field, const der::Oid& oid) {
    if (field.empty()) field = n.get(oid);
  };
  if (s.country.empty()) s.country = n.get(der::oids::kCountryName);
  take(s.province, der::oids::kStateOrProvinceName);
  take(s.city, der::oids::kLocalityName);
  take(s.organization, der::oids::kOrganizationName);
  take(s.department, der::oids::kOrganizationalUnitName);
  take(s.common_name, der::oids::kCommonName);
  take(s.email, der::oids::kEmailAddress);
}

// A SubjectData back from an issued certificate (renew / re-key / modify keep the subject).
x509::SubjectData subject_from_cert(const x509::Certificate& c) {
  x509::SubjectData s;
  s.country.clear();
  merge_csr_subject(s, c.subject());
  if (s.country.empty()) s.country = "CN";
  if (const auto* e = c.find_extension(der::oids::kSubjectAltName)) {
    if (auto names = x509::parse_general_names(e->value)) {
      for (const auto& g : *names) {
        switch (g.type) {
          case x509::GeneralName::Type::kDns:
            s.dns_names.push_back(g.text);
            break;
          case x509::GeneralName::Type::kRfc822:
            s.emails.push_back(g.text);
            break;
          case x509::GeneralName::Type::kUri:
            s.uris.push_back(g.text);
            break;
          default:
            break;
        }
      }
    }
  }
  // IP SANs: the parser keeps bytes only; render them.
  if (const auto* e = c.find_extension(der::oids::kSubjectAltName)) {
    if (auto names = x509::parse_general_names(e->value)) {
      for (const auto& g : *names) {
        if (g.type != x509::GeneralName::Type::kIp) continue;
        std::string text;
        if (g.ip.size() == 4) {
          text = std::to_string(g.ip[0]) + "." + std::to_string(g.ip[1]) + "." +
                 std::to_string(g.ip[2]) + "." + std::to_string(g.ip[3]);
        } else if (g.ip.size() == 16) {
          for (std::size_t i = 0; i < 16; i += 2) {
            if (i) text += ':';
            text += hex_encode(BytesView(g.ip).subspan(i, 2));
          }
        }
        if (!text.empty()) s.ip_addresses.push_back(text);
      }
    }
  }
  // Identifiers carried in the certificate.
  if (const auto* e = c.find_extension(der::oids::kGmIdentifyCode)) {
    if (auto id = x509::parse_identify_code(e->value)) s.identifiers["id_number"] = id->value;
  }
  if (const auto* e = c.find_extension(der::oids::kGmResidentIdCardNumber)) {
    if (auto v = x509::parse_printable_identifier(e->value)) s.identifiers["id_number"] = *v;
  }
  for (const auto& oid : {der::oids::kGmOrganizationCode, der::oids::kGmUnifiedSocialCreditCode}) {
    if (const auto* e = c.find_extension(oid)) {
      if (auto v = x509::parse_printable_identifier(e->value)) s.identifiers["org_code"] = *v;
    }
  }
  if (const auto* e = c.find_extension(der::oids::kGmInsuranceNumber)) {
    if (auto v = x509::parse_printable_identifier(e->value)) s.identifiers["insurance_number"] = *v;
  }
  return s;
}

std::string rfc3339(TimePoint t) { return format_rfc3339(t); }

}  // namespace

std::string ca_id(CaFamily family, CaRole role) {
  return family_prefix(family) + "-" + std::string(store::to_string(role));
}

std::string_view CertStatusInfo::word() const {
  switch (status) {
    case CertStatus::kRevoked:
    case CertStatus::kNeverDelivered:
      return "revoked";
    case CertStatus::kHold:
      return "hold";
    case CertStatus::kIssuing:
      return "issuing";
    case CertStatus::kIssued:
      return "good";
  }
  return "unknown";
}

Result<std::string> normalize_serial(std::string_view serial) {
  std::string out;
  for (char c : serial) {
    if (c == ':') continue;
    if (std::isxdigit(static_cast<unsigned char>(c)) == 0) {
      return fail(ErrorCode::kInvalidArgument,
                  "serial '" + std::string(serial) + "' is not hexadecimal");
    }
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (out.starts_with("0x")) out = out.substr(2);
  while (out.size() > 1 && out[0] == '0') out.erase(0, 1);
  if (out.empty()) return fail(ErrorCode::kInvalidArgument, "empty serial");
  return out;
}

crypto::KeyStore& CaService::keys_for(std::string_view key_ref) {
  if (key_ref.starts_with("pkcs11:") && d_.hsm_keys != nullptr) return *d_.hsm_keys;
  return *d_.file_keys;
}

Result<std::unique_ptr<crypto::Signer>> CaService::ca_signer(const store::CaRecord& ca) {
  return keys_for(ca.key_ref)
      .signer(crypto::KeyRef{ca.key_ref}, std::nullopt, d_.home->base.sm2.distinguishing_id);
}

Result<void> CaService::audit(store::Tx& tx, const std::string& actor, std::string_view action,
                              const std::string& object, std::string_view outcome,
                              const std::string& details, const std::string& org) {
  if (d_.audit == nullptr) return {};
  audit::Event e;
  e.actor = actor;
  e.action = std::string(action);
  e.object = object;
  e.outcome = std::string(outcome);
  e.details = details;
  e.org = org;
  HPKI_TRY(d_.audit->append(tx, e));
  return {};
}

Result<void> CaService::check_requester(const x509::Profile& profile, const Requester& by) {
  if (!by.role.empty() && profile.allows_requester(by.role)) return {};
  std::string who;
  for (const auto& r : profile.requesters) who += (who.empty() ? "" : ", ") + r;
  return fail(ErrorCode::kPermissionDenied,
              "certificates of profile " + profile.name + " are requested and managed by " + who +
                  " only" + (by.role.empty() ? std::string() : ", not " + by.role));
}

Result<void> CaService::check_requester(const store::CertificateRecord& rec,
                                        const Requester& by) const {
  if (auto it = d_.profiles->find(rec.profile); it != d_.profiles->end())
    return check_requester(it->second, by);
  if (by.role == kAdminRole) return {};
  return fail(ErrorCode::kPermissionDenied,
              "certificate " + rec.serial + " has profile '" + rec.profile +
                  "', which this home no longer has: only an admin manages it");
}

const x509::PermittedNames* CaService::permitted_names(const std::string& org) const {
  auto it = d_.home->organizations.find(org);
  return it == d_.home->organizations.end() ? nullptr : &it->second.permitted;
}

CaService::CaService(CaDeps deps)
    : d_(std::move(deps)), batcher_(std::make_unique<store::CommitBatcher>(*d_.store)) {}

Result<void> CaService::record_event(const audit::Event& e) {
  if (d_.audit == nullptr) return {};
  return batcher_->run([&](store::Tx& tx) -> Result<void> {
    HPKI_TRY(d_.audit->append(tx, e));
    return {};
  });
}

void CaService::record_event_async(audit::Event e, std::function<void(Result<void>)> done) {
  begin_async();  // drain_async() waits for it too
  auto end = [this, done = std::move(done)](Result<void> r) {
    end_async_call("audit", [&] { done(std::move(r)); });
  };
  if (d_.audit == nullptr) return post([end]() mutable { end({}); });
  batcher_->submit(
      [this, e = std::move(e)](store::Tx& tx) -> Result<void> {
        HPKI_TRY(d_.audit->append(tx, e));
        return {};
      },
      [this, end](Result<void> r) {
        post([end, r = std::move(r)]() mutable { end(std::move(r)); });
      });
}

Result<std::vector<store::CaRecord>> CaService::list_cas() {
  return d_.store->read_value<std::vector<store::CaRecord>>(
      [](store::Tx& tx) { return tx.list_cas(); });
}

Result<std::vector<Bytes>> CaService::chain(CaFamily family) {
  return chain_of(ca_id(family, CaRole::kIssuing));
}

Result<std::vector<Bytes>> CaService::chain_of(const std::string& id) {
  // CA certificates never change once created: chains are cached after the first lookup.
  {
    std::lock_guard lock(*cache_mu_);
    if (auto it = chain_cache_.find(id); it != chain_cache_.end()) return it->second;
  }
  auto chain =
      d_.store->read_value<std::vector<Bytes>>([&](store::Tx& tx) -> Result<std::vector<Bytes>> {
        std::vector<Bytes> out;
        auto issuing = tx.get_ca(id);
        if (!issuing) {
          return fail(ErrorCode::kNotFound,
                      "no CA " + id + " in this home (hpki ca init --families ...)");
        }
        out.push_back(issuing->certificate);
        std::optional<std::string> parent = issuing->parent_id;
        while (parent) {
          auto p = HPKI_TRY(tx.get_ca(*parent));
          out.push_back(p.certificate);
          parent = p.parent_id;
        }
        return out;
      });
  if (chain) {
    std::lock_guard lock(*cache_mu_);
    chain_cache_.insert_or_assign(id, *chain);
  }
  return chain;
}

Result<CaService::IssuerCtx> CaService::issuer_for(CaFamily family) {
  IssuerCtx ctx;
  const std::string id = ca_id(family, CaRole::kIssuing);
  {
    std::lock_guard lock(*cache_mu_);
    if (auto it = issuer_cache_.find(id); it != issuer_cache_.end()) return it->second;
  }
  std::optional<store::CaRecord> cached;
  {
    std::lock_guard lock(*cache_mu_);
    if (auto it = ca_cache_.find(id); it != ca_cache_.end()) cached = it->second;
  }
  auto rec =
      cached
          ? Result<store::CaRecord>(std::move(*cached))
          : d_.store->transact_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(id); });
  if (rec && !cached) {
    std::lock_guard lock(*cache_mu_);
    ca_cache_.insert_or_assign(id, *rec);
  }
  if (!rec) {
    return fail(ErrorCode::kNotFound, "no " + family_prefix(family) +
                                          " issuing CA in this home (hpki ca init --families " +
                                          family_prefix(family) + ")");
  }
  ctx.record = std::move(*rec);
  ctx.cert = HPKI_TRY(x509::Certificate::parse(ctx.record.certificate));
  auto ski = x509::key_identifier(ctx.cert->spki_der());
  ctx.info = x509::IssuerInfo{ctx.cert->subject(), HPKI_TRY(std::move(ski)), ctx.record.id};
  ctx.signer = HPKI_TRY(ca_signer(ctx.record));
  std::lock_guard lock(*cache_mu_);
  issuer_cache_.insert_or_assign(id, ctx);
  return ctx;
}

Result<std::optional<store::SubjectRecord>> CaService::subject_for(const std::string& profile,
                                                                   const x509::SubjectData& s) {
  if (d_.pii == nullptr) return std::optional<store::SubjectRecord>{};
  store::SubjectRecord rec;
  rec.kind = kind_for_profile(profile);
  rec.name = s.common_name;
  rec.org = s.organization;
  rec.dept = s.department;
  rec.province = s.province;
  rec.city = s.city;
  rec.email = s.email.empty() && !s.emails.empty() ? s.emails.front() : s.email;
  rec.dns = s.dns_names;
  auto get = [&](const char* k) {
    auto it = s.identifiers.find(k);
    return it == s.identifiers.end() ? std::string() : it->second;
  };
  rec.staff_no = get("staff_no");
  rec.licence_no = get("licence_no");
  rec.org_code = get("org_code");
  std::string id_number = get("id_number");
  if (!id_number.empty()) {
    rec.id_number_enc = HPKI_TRY(d_.pii->encrypt(normalize_identifier(id_number)));
    rec.id_number_hash = HPKI_TRY(d_.pii->lookup_hash(id_number));
  }
  return std::optional<store::SubjectRecord>{std::move(rec)};
}

Result<std::int64_t> CaService::upsert_subject(store::Tx& tx, const store::SubjectRecord& rec) {
  if (rec.id_number_hash) {
    // Issue 16: looked up within the subject's organization only — another organization's
    // record with the same identity number is never touched (nor revealed).
    if (auto existing = HPKI_TRY(tx.find_subject_by_id_hash(rec.org, *rec.id_number_hash))) {
      store::SubjectRecord upd = rec;
      upd.id = existing->id;
      HPKI_TRY(tx.update_subject(upd));
      return existing->id;
    }
  }
  return tx.insert_subject(rec);
}

// One issuance between the pipeline's steps (run_pipeline runs them in a row; issue_async
// hands them from thread to thread).
struct CaService::Issuance {
  const x509::Profile* profile = nullptr;
  IssuerCtx issuer;
  x509::SubjectData subject;
  std::optional<Bytes> request;
  std::optional<int> days;
  std::vector<x509::Extension> requested;
  std::string actor;
  std::string step;  // "issue", "renew", ...
  std::optional<store::CertificateRecord> supersede;
  std::optional<store::SubjectRecord> subject_rec;
  std::optional<crypto::KeySpec> key;
  x509::IssueParams p;
  Bytes tbs;
  store::CertificateRecord rec;
  int attempt = 0;  // reservations tried (a serial taken already: another one)
  Bytes der;        // the signed certificate
};

Result<std::unique_ptr<CaService::Issuance>> CaService::start_issuance(
    const x509::Profile& profile, IssuerCtx issuer, const x509::SubjectData& subject, Bytes spki,
    std::optional<Bytes> request, std::optional<int> days, std::vector<x509::Extension> requested,
    const std::string& actor, std::string_view action,
    std::optional<store::CertificateRecord> supersede, bool internal) {
  auto is = std::make_unique<Issuance>();
  is->profile = &profile;
  is->issuer = std::move(issuer);
  is->subject = subject;
  is->request = std::move(request);
  is->days = days;
  is->requested = std::move(requested);
  is->actor = actor;
  is->step = std::string(action);
  is->supersede = std::move(supersede);
  // CA, OCSP and TSA certificates (created by init) have no subject record.
  // The subject record is written in the reservation's unit of work (step 3), so that an
  // issuance costs no transaction of its own for it.
  if (actor != kInitActor) is->subject_rec = HPKI_TRY(subject_for(profile.name, subject));
  if (auto key = x509::spki_key_spec(spki)) is->key = *key;
  x509::IssueParams& p = is->p;
  p.profile = is->profile;
  p.subject = is->subject;
  p.subject_spki = std::move(spki);
  p.not_before = std::chrono::floor<std::chrono::seconds>(d_.clock->now());
  p.validity_days = days;
  p.issuer = &is->issuer.info;
  p.requested_extensions = is->requested;
  // hpki's own certificates (IssueRequest::internal_spki) may name anything; requests are held
  // to their organization's names.
  static const x509::PermittedNames kAnyName{.dns = {}, .ip = {}, .any = true};
  p.permitted_names = internal ? &kAnyName : permitted_names(is->subject.organization);
  return is;
}

Result<void> CaService::draw_serial(Issuance& is) {
  x509::IssueParams& p = is.p;
  const IssuerCtx& issuer = is.issuer;
  p.serial = HPKI_TRY(x509::generate_serial(*d_.random));
  // The CRL shard (issue 6) follows from the serial; with partitioned CRLs an issuing CA's
  // certificates name their shard's CRL in cRLDistributionPoints ("{shard}"). A root's CRL
  // (covering the CAs it certified) is never partitioned.
  const auto shard =
      static_cast<std::int64_t>(p.serial.back() % static_cast<unsigned>(d_.home->ca.crl_shards));
  p.crl_shard.reset();
  if (d_.home->ca.crl_shards > 1 && issuer.record.role != CaRole::kRoot) p.crl_shard = shard;
  is.tbs = HPKI_TRY(x509::build_tbs_certificate(p, d_.home->build, issuer.signer->algorithm()));
  const int d = is.days.value_or(is.profile->default_days);
  store::CertificateRecord& rec = is.rec;
  rec = store::CertificateRecord{};
  rec.ca_id = issuer.record.id;
  rec.serial = hex_encode(p.serial);
  rec.subject = x509::to_string(HPKI_TRY(x509::subject_name(p)));
  rec.org = is.subject.organization;
  rec.dept = is.subject.department;
  rec.subject_id = std::nullopt;  // set in the reservation unit
  rec.profile = is.profile->name;
  rec.not_before = p.not_before;
  rec.not_after = p.not_before + std::chrono::days(d) - std::chrono::seconds(1);
  rec.tbs_hash = HPKI_TRY(crypto::digest(crypto::HashAlg::kSha256, is.tbs));
  rec.request = is.request;
  rec.key_type = is.key ? key_type_name(*is.key) : "unknown";
  rec.requested_by = is.actor;
  rec.crl_shard = shard;
  ++is.attempt;
  return {};
}

store::CommitBatcher::Unit CaService::reserve_unit(Issuance& is) {
  return [this, &is](store::Tx& tx) -> Result<void> {
    is.rec.subject_id = std::nullopt;
    if (is.subject_rec && !is.subject_rec->id_number_hash) {
      // A new subject record (no identity number to find an existing one by): written with
      // the reservation in one step (one round trip on PostgreSQL).
      is.rec.subject_id = HPKI_TRY(tx.reserve_certificate_with_subject(is.rec, *is.subject_rec));
      return {};
    }
    if (is.subject_rec) is.rec.subject_id = HPKI_TRY(upsert_subject(tx, *is.subject_rec));
    return tx.reserve_certificate(is.rec);
  };
}

bool CaService::retry_reservation(const Issuance& is, const Error& e) {
  // A serial drawn twice (a unique violation): draw another, a few times.
  return e.code() == ErrorCode::kConflict && is.attempt < 5;
}

Result<void> CaService::sign(Issuance& is) {
  x509::LintContext lint_ctx{.profile = is.profile,
                             .issuer = is.issuer.cert.get(),
                             .cabf_server = is.profile->cabf_server,
                             .health_oids = d_.home->build.health_oids};
  auto signed_cert = x509::lint_and_sign(is.tbs, lint_ctx, *is.issuer.signer);
  if (!signed_cert) {
    // Nothing was signed: record the serial as never delivered (and revoked, so status queries
    // for it are answered conservatively), then report the error.
    auto err = signed_cert.error();
    const store::CertificateRecord& rec = is.rec;
    (void)d_.store->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(
          tx.set_status(rec.ca_id, rec.serial, CertStatus::kNeverDelivered, CertStatus::kIssuing));
      HPKI_TRY(tx.insert_revocation({rec.ca_id, rec.serial, 0, d_.clock->now(), std::nullopt}));
      return audit(tx, is.actor, "cert." + is.step, rec.ca_id + "/" + rec.serial, "failure",
                   nlohmann::json{{"error", err.to_string()}}.dump(), rec.org);
    });
    return fail(err);
  }
  is.der = std::move(signed_cert->der);
  return {};
}

store::CommitBatcher::Unit CaService::complete_unit(Issuance& is) {
  return [this, &is](store::Tx& tx) -> Result<void> {
    const store::CertificateRecord& rec = is.rec;
    HPKI_TRY(tx.complete_issuance(rec.ca_id, rec.serial, is.der));
    if (is.supersede) {
      auto cur = HPKI_TRY(tx.get_certificate(is.supersede->ca_id, is.supersede->serial));
      if (cur.status == CertStatus::kHold) HPKI_TRY(tx.delete_revocation(cur.ca_id, cur.serial));
      if (cur.status != CertStatus::kIssued && cur.status != CertStatus::kHold) {
        return fail(ErrorCode::kBadState, "certificate " + cur.serial + " is " +
                                              std::string(store::to_string(cur.status)));
      }
      HPKI_TRY(tx.insert_revocation({cur.ca_id, cur.serial,
                                     static_cast<int>(x509::RevocationReason::kSuperseded),
                                     d_.clock->now(), std::nullopt}));
      HPKI_TRY(tx.set_status(cur.ca_id, cur.serial, CertStatus::kRevoked, cur.status));
      HPKI_TRY(audit(
          tx, is.actor, audit::action::kCertRevoke, cur.ca_id + "/" + cur.serial, "success",
          nlohmann::json{{"reason", "superseded"}, {"superseded_by", rec.serial}}.dump(), cur.org));
    }
    crash_point(is.step + ".before_commit");
    return audit(tx, is.actor, "cert." + is.step, rec.ca_id + "/" + rec.serial, "success",
                 nlohmann::json{{"profile", is.profile->name},
                                {"subject", rec.subject},
                                {"not_after", rfc3339(rec.not_after)},
                                {"key", rec.key_type}}
                     .dump(),
                 rec.org);
  };
}

Result<IssueResult> CaService::finish(Issuance& is) {
  if (is.supersede) notify(is.supersede->ca_id, is.supersede->serial, "revoke");
  notify(is.rec.ca_id, is.rec.serial, is.step);
  IssueResult out;
  out.ca_id = is.rec.ca_id;
  out.serial = is.rec.serial;
  out.der = std::move(is.der);
  out.chain = HPKI_TRY(chain_of(is.issuer.record.id));
  out.not_after = is.rec.not_after;  // what build_tbs_certificate put in the certificate
  return out;
}

Result<IssueResult> CaService::run_pipeline(const x509::Profile& profile, IssuerCtx& issuer,
                                            const x509::SubjectData& subject, Bytes spki,
                                            std::optional<Bytes> request, std::optional<int> days,
                                            const std::vector<x509::Extension>& requested,
                                            const std::string& actor, std::string_view action,
                                            std::optional<store::CertificateRecord> supersede,
                                            bool internal) {
  auto is =
      HPKI_TRY(start_issuance(profile, issuer, subject, std::move(spki), std::move(request), days,
                              requested, actor, action, std::move(supersede), internal));
  // Steps 2-3: build the TBS with a fresh serial and reserve it durably: run() returns once the
  // (possibly shared) transaction holding the reservation has committed.
  for (;;) {
    HPKI_TRY(draw_serial(*is));
    auto reserved = batcher_->run(reserve_unit(*is));
    if (reserved) break;
    if (!retry_reservation(*is, reserved.error())) return fail(reserved.error());
  }
  crash_point(is->step + ".after_reserve");
  // Step 4: lint and sign.
  HPKI_TRY(sign(*is));
  crash_point(is->step + ".after_sign");
  // Step 5: store the certificate, (modify) revoke the old one, audit — one unit of work, in a
  // transaction shared with concurrent issuances (group commit).
  HPKI_TRY(batcher_->run(complete_unit(*is)));
  crash_point(is->step + ".after_commit");
  return finish(*is);
}

// Step 1 of issue(): the request checked, the subject key (CSR or generated), the issuing CA.
struct CaService::IssuePrep {
  const x509::Profile* profile = nullptr;
  x509::SubjectData subject;
  Bytes spki;
  std::optional<Bytes> request;
  std::vector<x509::Extension> requested;
  std::optional<crypto::PrivateKey> key;  // generated here (keygen)
  IssuerCtx issuer;
};

Result<CaService::IssuePrep> CaService::prepare_issue(const IssueRequest& r) {
  auto pit = d_.profiles->find(r.profile);
  if (pit == d_.profiles->end()) {
    std::string names;
    for (const auto& [n, _] : *d_.profiles) names += (names.empty() ? "" : ", ") + n;
    return fail(ErrorCode::kUnknownProfile,
                "unknown profile '" + r.profile + "' (available: " + names + ")");
  }
  IssuePrep prep;
  prep.profile = &pit->second;
  if (prep.profile->kind != x509::CertKind::kEndEntity) {
    return fail(ErrorCode::kPolicyRefused,
                "profile " + r.profile + " is for CA certificates (created by ca init)");
  }
  HPKI_TRY(check_requester(*prep.profile, r.requester));
  prep.subject = r.subject.data;
  if (r.csr && r.keygen)
    return fail(ErrorCode::kInvalidArgument, "give either a CSR or key generation, not both");
  if (r.csr) {
    auto csr = x509::CertificationRequest::parse_any(*r.csr);
    if (!csr)
      return fail(Error{
          csr.error().code() == ErrorCode::kTooLarge ? ErrorCode::kTooLarge : ErrorCode::kBadCsr,
          csr.error().detail()});
    HPKI_TRY((*csr)->verify_pop(d_.home->base.sm2.distinguishing_id));
    prep.spki = (*csr)->spki_der();
    prep.request = (*csr)->der();
    prep.requested = (*csr)->requested_extensions();
    merge_csr_subject(prep.subject, (*csr)->subject());
  } else if (r.keygen) {
    prep.key = HPKI_TRY(crypto::PrivateKey::generate(r.keygen->spec));
    prep.spki = prep.key->public_key_der();
  } else if (r.internal_spki) {
    prep.spki = *r.internal_spki;
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "a CSR or key generation (--keygen --alg ALG) is required");
  }
  if (prep.subject.country.empty()) prep.subject.country = "CN";
  auto spec = x509::spki_key_spec(prep.spki);
  if (!spec) return fail(Error{ErrorCode::kBadCsr, "subject key: " + spec.error().detail()});
  CaFamily family;
  if (r.family) {
    family = *r.family;
  } else {
    auto have = d_.store->read_value<store::CaRecord>(
        [&](store::Tx& tx) { return tx.get_ca(ca_id(CaFamily::kEcdsa, CaRole::kIssuing)); });
    family = family_for_key(*spec, have.has_value());
  }
  // GM/T 0015 / issue 16: the SM2 hierarchy certifies SM2 keys only, and an SM2 key only under
  // it (RSA and ECDSA CAs may certify each other's key types, as the web PKI does).
  if ((family == CaFamily::kSm2) != (spec->type == crypto::KeyType::kSm2)) {
    return fail(ErrorCode::kPolicyRefused,
                "a " + crypto::key_spec_name(*spec) + " key cannot be certified by the " +
                    family_prefix(family) + " CA (SM2 keys go to the sm2 family only)");
  }
  prep.issuer = HPKI_TRY(issuer_for(family));
  return prep;
}

Result<void> CaService::package_key(IssueResult& out, const IssuePrep& prep,
                                    const IssueRequest& r) {
  if (!prep.key) return {};
  if (prep.key->spec().type == crypto::KeyType::kSm2) {
    auto pem = HPKI_TRY(prep.key->to_encrypted_pem(r.keygen->passphrase));
    out.key_package = to_bytes(pem);
    out.key_package_format = "pkcs8-pem";
  } else {
    out.key_package = HPKI_TRY(crypto::make_pkcs12(*prep.key, out.der, out.chain,
                                                   r.keygen->passphrase, prep.subject.common_name));
    out.key_package_format = "pkcs12";
  }
  return {};
}

Result<IssueResult> CaService::issue(const IssueRequest& r) {
  auto prep = HPKI_TRY(prepare_issue(r));
  auto out = HPKI_TRY(run_pipeline(*prep.profile, prep.issuer, prep.subject, prep.spki,
                                   prep.request, r.days, prep.requested, r.requester.actor, "issue",
                                   std::nullopt, r.internal_spki.has_value()));
  HPKI_TRY(package_key(out, prep, r));
  return out;
}

// issue() as a chain of tasks: no thread waits for a commit. Each step runs on the executor;
// the batcher's committer only hands over (its callbacks post the next step).
struct CaService::AsyncIssue {
  IssueRequest request;
  IssueDone done;  // emptied when called
  IssuePrep prep;
  std::unique_ptr<Issuance> is;
};

// A pipeline task: an exception ends the issuance with an internal error (once).
template <class F>
std::function<void()> CaService::guard(std::shared_ptr<AsyncIssue> job, F&& f) {
  return [this, job = std::move(job), f = std::forward<F>(f)]() mutable {
    try {
      f();
    } catch (const std::exception& e) {
      end_async(job, fail(ErrorCode::kInternal, std::string("issuance failed: ") + e.what()));
    }
  };
}

void CaService::set_executor(Executor e) { executor_ = std::move(e); }

void CaService::post(std::function<void()> task) {
  if (executor_) {
    executor_(std::move(task));
  } else {
    task();
  }
}

void CaService::issue_async(IssueRequest r, IssueDone done) {
  begin_async();
  auto job = std::make_shared<AsyncIssue>();
  job->request = std::move(r);
  job->done = std::move(done);
  post(guard(job, [this, job] {
    auto started = [&]() -> Result<void> {
      job->prep = HPKI_TRY(prepare_issue(job->request));
      const IssuePrep& prep = job->prep;
      job->is =
          HPKI_TRY(start_issuance(*prep.profile, prep.issuer, prep.subject, prep.spki, prep.request,
                                  job->request.days, prep.requested, job->request.requester.actor,
                                  "issue", std::nullopt, job->request.internal_spki.has_value()));
      return {};
    }();
    if (!started) return end_async(job, fail(started.error()));
    reserve_async(job);
  }));
}

void CaService::reserve_async(std::shared_ptr<AsyncIssue> job) {
  if (auto d = draw_serial(*job->is); !d) return end_async(job, fail(d.error()));
  batcher_->submit(reserve_unit(*job->is), [this, job](Result<void> reserved) {
    post(guard(job, [this, job, reserved = std::move(reserved)] {
      Issuance& is = *job->is;
      if (!reserved) {
        if (retry_reservation(is, reserved.error())) return reserve_async(job);
        return end_async(job, fail(reserved.error()));
      }
      crash_point(is.step + ".after_reserve");
      if (auto s = sign(is); !s) return end_async(job, fail(s.error()));
      crash_point(is.step + ".after_sign");
      batcher_->submit(complete_unit(is), [this, job](Result<void> completed) {
        post(guard(job, [this, job, completed = std::move(completed)] {
          if (!completed) return end_async(job, fail(completed.error()));
          crash_point(job->is->step + ".after_commit");
          auto out = finish(*job->is);
          if (out) {
            if (auto k = package_key(*out, job->prep, job->request); !k) out = fail(k.error());
          }
          end_async(job, std::move(out));
        }));
      });
    }));
  });
}

void CaService::end_async(const std::shared_ptr<AsyncIssue>& job, Result<IssueResult> out) {
  auto done = std::move(job->done);
  job->done = nullptr;
  if (!done) return;  // ended already (an exception after the end)
  end_async_call("issuance", [&] { done(std::move(out)); });
}

void CaService::begin_async() {
  std::lock_guard lock(async_mu_);
  ++async_in_flight_;
}

void CaService::end_async_call(std::string_view what, const std::function<void()>& complete) {
  try {
    complete();
  } catch (const std::exception& e) {
    log::error("{}: completion handler failed: {}", what, e.what());
  }
  std::lock_guard lock(async_mu_);
  if (--async_in_flight_ == 0) async_cv_.notify_all();
}

void CaService::drain_async() {
  std::unique_lock lock(async_mu_);
  async_cv_.wait(lock, [&] { return async_in_flight_ == 0; });
}

std::size_t CaService::async_in_flight() const {
  std::lock_guard lock(async_mu_);
  return async_in_flight_;
}

Result<store::CertificateRecord> CaService::find_one(std::string_view serial_in) {
  auto serial = HPKI_TRY(normalize_serial(serial_in));
  auto recs = HPKI_TRY(d_.store->transact_value<std::vector<store::CertificateRecord>>(
      [&](store::Tx& tx) { return tx.find_certificates_by_serial(serial); }));
  if (recs.empty()) return fail(ErrorCode::kNotFound, "no certificate with serial " + serial);
  if (recs.size() > 1)
    return fail(ErrorCode::kConflict, "serial " + serial + " exists under several CAs");
  return recs.front();
}

namespace {
Result<std::pair<const x509::Profile*, x509::CertificatePtr>> old_cert(
    const store::CertificateRecord& rec, const std::map<std::string, x509::Profile>& profiles) {
  if (!rec.der)
    return fail(ErrorCode::kBadState, "certificate " + rec.serial + " was never delivered");
  if (rec.status != CertStatus::kIssued && rec.status != CertStatus::kHold) {
    return fail(ErrorCode::kBadState,
                "certificate " + rec.serial + " is " + std::string(store::to_string(rec.status)));
  }
  auto it = profiles.find(rec.profile);
  if (it == profiles.end())
    return fail(ErrorCode::kUnknownProfile, "profile '" + rec.profile + "' no longer exists");
  auto cert = HPKI_TRY(x509::Certificate::parse(*rec.der));
  return std::pair{&it->second, cert};
}
}  // namespace

Result<IssueResult> CaService::renew(std::string_view serial, std::optional<int> days,
                                     const Requester& by) {
  auto rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(rec, by));
  auto [profile, cert] = HPKI_TRY(old_cert(rec, *d_.profiles));
  auto ca = HPKI_TRY(d_.store->transact_value<store::CaRecord>(
      [&](store::Tx& tx) { return tx.get_ca(rec.ca_id); }));
  auto issuer = HPKI_TRY(issuer_for(ca.family));
  auto subject = subject_from_cert(*cert);
  if (rec.subject_id && d_.pii) {
    // Identifiers not in the certificate (e.g. health extensions) come from the subject record.
    auto srec = d_.store->transact_value<store::SubjectRecord>(
        [&](store::Tx& tx) { return tx.get_subject(*rec.subject_id); });
    if (srec) {
      if (!srec->staff_no.empty()) subject.identifiers.try_emplace("staff_no", srec->staff_no);
      if (!srec->licence_no.empty())
        subject.identifiers.try_emplace("licence_no", srec->licence_no);
    }
  }
  return run_pipeline(*profile, issuer, subject, cert->spki_der(), rec.request, days, {}, by.actor,
                      "renew", std::nullopt);
}

Result<IssueResult> CaService::rekey(std::string_view serial, std::optional<Bytes> csr,
                                     std::optional<KeygenOptions> keygen, const Requester& by) {
  auto rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(rec, by));
  auto [profile, cert] = HPKI_TRY(old_cert(rec, *d_.profiles));
  IssueRequest r;
  r.profile = profile->name;
  auto ca = HPKI_TRY(d_.store->transact_value<store::CaRecord>(
      [&](store::Tx& tx) { return tx.get_ca(rec.ca_id); }));
  r.family = ca.family;
  r.csr = std::move(csr);
  r.keygen = std::move(keygen);
  r.subject.data = subject_from_cert(*cert);
  r.requester = by;
  if (r.csr) {
    // The subject stays that of the certificate, whatever the new CSR says.
    auto parsed = x509::CertificationRequest::parse_any(*r.csr);
    if (parsed && (*parsed)->spki_der() == cert->spki_der()) {
      return fail(ErrorCode::kPolicyRefused,
                  "re-key needs a new key; the CSR has the certificate's key (use renew)");
    }
  }
  return issue(r);
}

Result<IssueResult> CaService::modify(std::string_view serial, const SubjectInput& changes,
                                      const Requester& by) {
  auto rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(rec, by));
  auto [profile, cert] = HPKI_TRY(old_cert(rec, *d_.profiles));
  auto ca = HPKI_TRY(d_.store->transact_value<store::CaRecord>(
      [&](store::Tx& tx) { return tx.get_ca(rec.ca_id); }));
  auto issuer = HPKI_TRY(issuer_for(ca.family));
  x509::SubjectData s = subject_from_cert(*cert);
  const auto& c = changes.data;
  auto set = [](std::string& field, const std::string& v) {
    if (!v.empty()) field = v;
  };
  set(s.country, c.country);
  set(s.province, c.province);
  set(s.city, c.city);
  set(s.organization, c.organization);
  set(s.department, c.department);
  set(s.common_name, c.common_name);
  set(s.email, c.email);
  if (!c.dns_names.empty()) s.dns_names = c.dns_names;
  if (!c.ip_addresses.empty()) s.ip_addresses = c.ip_addresses;
  if (!c.emails.empty()) s.emails = c.emails;
  for (const auto& [k, v] : c.identifiers) s.identifiers[k] = v;
  return run_pipeline(*profile, issuer, s, cert->spki_der(), rec.request, std::nullopt, {},
                      by.actor, "modify", rec);
}

Result<CertStatusInfo> CaService::status_in(store::Tx& tx, const store::CertificateRecord& rec) {
  CertStatusInfo info;
  info.ca_id = rec.ca_id;
  info.serial = rec.serial;
  info.status = rec.status;
  if (auto rev = HPKI_TRY(tx.find_revocation(rec.ca_id, rec.serial))) {
    info.reason = static_cast<x509::RevocationReason>(rev->reason);
    info.revoked_at = rev->revoked_at;
    info.invalidity_date = rev->invalidity_date;
  }
  return info;
}

void CaService::notify(const std::string& ca_id, const std::string& serial,
                       std::string action) const {
  if (d_.on_status_change) d_.on_status_change(StatusChange{ca_id, serial, std::move(action)});
}

Result<CertStatusInfo> CaService::revoke(std::string_view serial, x509::RevocationReason reason,
                                         std::optional<TimePoint> invalidity_date,
                                         const Requester& by) {
  auto rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(rec, by));
  if (reason == x509::RevocationReason::kCertificateHold) return hold(serial, by);
  if (reason == x509::RevocationReason::kRemoveFromCrl) {
    return fail(ErrorCode::kInvalidArgument,
                "removeFromCRL is not a revocation reason (use release)");
  }
  if (invalidity_date && *invalidity_date > d_.clock->now()) {
    return fail(ErrorCode::kInvalidArgument, "invalidity date is in the future");
  }
  auto out = d_.store->transact_value<CertStatusInfo>([&](store::Tx& tx) -> Result<CertStatusInfo> {
    auto cur = HPKI_TRY(tx.get_certificate(rec.ca_id, rec.serial));
    if (cur.status == CertStatus::kHold) {
      HPKI_TRY(tx.delete_revocation(cur.ca_id, cur.serial));
    } else if (cur.status != CertStatus::kIssued) {
      return fail(ErrorCode::kBadState, "certificate " + cur.serial + " is already " +
                                            std::string(store::to_string(cur.status)));
    }
    HPKI_TRY(tx.insert_revocation(
        {cur.ca_id, cur.serial, static_cast<int>(reason), d_.clock->now(), invalidity_date}));
    HPKI_TRY(tx.set_status(cur.ca_id, cur.serial, CertStatus::kRevoked, cur.status));
    HPKI_TRY(audit(tx, by.actor, audit::action::kCertRevoke, cur.ca_id + "/" + cur.serial,
                   "success", nlohmann::json{{"reason", x509::reason_name(reason)}}.dump(),
                   cur.org));
    crash_point("revoke.before_commit");
    cur.status = CertStatus::kRevoked;
    return status_in(tx, cur);
  });
  crash_point("revoke.after_commit");
  if (out) notify(rec.ca_id, rec.serial, "revoke");
  return out;
}

Result<CertStatusInfo> CaService::hold(std::string_view serial, const Requester& by) {
  auto rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(rec, by));
  auto out = d_.store->transact_value<CertStatusInfo>([&](store::Tx& tx) -> Result<CertStatusInfo> {
    auto cur = HPKI_TRY(tx.get_certificate(rec.ca_id, rec.serial));
    if (cur.status != CertStatus::kIssued) {
      return fail(ErrorCode::kBadState, "only a good certificate can be put on hold; " +
                                            cur.serial + " is " +
                                            std::string(store::to_string(cur.status)));
    }
    HPKI_TRY(tx.insert_revocation({cur.ca_id, cur.serial,
                                   static_cast<int>(x509::RevocationReason::kCertificateHold),
                                   d_.clock->now(), std::nullopt}));
    HPKI_TRY(tx.set_status(cur.ca_id, cur.serial, CertStatus::kHold, CertStatus::kIssued));
    HPKI_TRY(audit(tx, by.actor, audit::action::kCertHold, cur.ca_id + "/" + cur.serial, "success",
                   "{}", cur.org));
    cur.status = CertStatus::kHold;
    return status_in(tx, cur);
  });
  if (out) notify(rec.ca_id, rec.serial, "hold");
  return out;
}

Result<CertStatusInfo> CaService::release(std::string_view serial, const Requester& by) {
  auto rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(rec, by));
  auto out = d_.store->transact_value<CertStatusInfo>([&](store::Tx& tx) -> Result<CertStatusInfo> {
    auto cur = HPKI_TRY(tx.get_certificate(rec.ca_id, rec.serial));
    if (cur.status != CertStatus::kHold) {
      return fail(ErrorCode::kBadState, "certificate " + cur.serial + " is not on hold");
    }
    HPKI_TRY(tx.delete_revocation(cur.ca_id, cur.serial));
    HPKI_TRY(tx.set_status(cur.ca_id, cur.serial, CertStatus::kIssued, CertStatus::kHold));
    HPKI_TRY(audit(tx, by.actor, audit::action::kCertRelease, cur.ca_id + "/" + cur.serial,
                   "success", "{}", cur.org));
    cur.status = CertStatus::kIssued;
    return status_in(tx, cur);
  });
  if (out) notify(rec.ca_id, rec.serial, "release");
  return out;
}

Result<CertStatusInfo> CaService::status(std::string_view serial) {
  auto rec = HPKI_TRY(find_one(serial));
  return d_.store->transact_value<CertStatusInfo>(
      [&](store::Tx& tx) { return status_in(tx, rec); });
}

Result<CertView> CaService::show(std::string_view serial) {
  CertView v;
  v.record = HPKI_TRY(find_one(serial));
  v.status = HPKI_TRY(d_.store->transact_value<CertStatusInfo>(
      [&](store::Tx& tx) { return status_in(tx, v.record); }));
  if (v.record.subject_id && d_.pii) {
    auto s = d_.store->transact_value<store::SubjectRecord>(
        [&](store::Tx& tx) { return tx.get_subject(*v.record.subject_id); });
    if (s && s->id_number_enc) {
      if (auto id = d_.pii->decrypt(*s->id_number_enc))
        v.identifiers_masked["id_number"] = mask_identifier(*id);
    }
    if (s && !s->staff_no.empty()) v.identifiers_masked["staff_no"] = s->staff_no;
    if (s && !s->licence_no.empty()) v.identifiers_masked["licence_no"] = s->licence_no;
    if (s && !s->org_code.empty()) v.identifiers_masked["org_code"] = s->org_code;
  }
  return v;
}

Result<std::vector<store::CertificateRecord>> CaService::search(
    store::CertificateFilter f, std::optional<std::string> id_number) {
  if (id_number) {
    if (d_.pii == nullptr) return fail(ErrorCode::kUnavailable, "personal-data key not available");
    f.subject_id_number_hash = HPKI_TRY(d_.pii->lookup_hash(*id_number));
  }
  return d_.store->transact_value<std::vector<store::CertificateRecord>>(
      [&](store::Tx& tx) { return tx.search_certificates(f); });
}

Result<store::SubjectRecord> CaService::subject_record(const SubjectChange& c) {
  if (d_.pii == nullptr) return fail(ErrorCode::kUnavailable, "personal-data key not available");
  const auto& s = c.data;
  if (s.common_name.empty()) return fail(ErrorCode::kInvalidArgument, "a subject needs a name");
  store::SubjectRecord rec;
  rec.kind = c.kind;
  rec.name = s.common_name;
  rec.org = s.organization;
  rec.dept = s.department;
  rec.province = s.province;
  rec.city = s.city;
  rec.email = s.emails.empty() ? s.email : s.emails.front();
  rec.dns = s.dns_names;
  auto get = [&](const char* k) {
    auto it = s.identifiers.find(k);
    return it == s.identifiers.end() ? std::string() : it->second;
  };
  rec.staff_no = get("staff_no");
  rec.licence_no = get("licence_no");
  rec.org_code = get("org_code");
  if (auto id = get("id_number"); !id.empty()) {
    rec.id_number_enc = HPKI_TRY(d_.pii->encrypt(normalize_identifier(id)));
    rec.id_number_hash = HPKI_TRY(d_.pii->lookup_hash(id));
  }
  return rec;
}

SubjectView CaService::view_of(store::SubjectRecord r) const {
  SubjectView v;
  if (r.id_number_enc && d_.pii != nullptr) {
    if (auto id = d_.pii->decrypt(*r.id_number_enc)) v.id_number_masked = mask_identifier(*id);
  }
  r.id_number_enc.reset();
  r.id_number_hash.reset();
  v.record = std::move(r);
  return v;
}

Result<SubjectView> CaService::create_subject(const SubjectChange& s, const std::string& actor) {
  auto rec = HPKI_TRY(subject_record(s));
  rec.id =
      HPKI_TRY(d_.store->transact_value<std::int64_t>([&](store::Tx& tx) -> Result<std::int64_t> {
        auto id = tx.insert_subject(rec);
        if (!id) {
          if (id.error().code() == ErrorCode::kConflict) {
            return fail(ErrorCode::kAlreadyExists,
                        "a subject of " + rec.org + " with this identity number exists");
          }
          return fail(id.error());
        }
        HPKI_TRY(audit(
            tx, actor, audit::action::kSubjectCreate, "subject/" + std::to_string(*id), "success",
            nlohmann::json{{"kind", store::to_string(rec.kind)}, {"org", rec.org}}.dump(),
            rec.org));
        return *id;
      }));
  return view_of(std::move(rec));
}

Result<SubjectView> CaService::get_subject(std::int64_t id) {
  auto rec = HPKI_TRY(d_.store->transact_value<store::SubjectRecord>(
      [&](store::Tx& tx) { return tx.get_subject(id); }));
  return view_of(std::move(rec));
}

Result<SubjectView> CaService::update_subject(std::int64_t id, const SubjectChange& s,
                                              const std::string& actor) {
  auto rec = HPKI_TRY(subject_record(s));
  rec.id = id;
  HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
    auto old = HPKI_TRY(tx.get_subject(id));
    if (!rec.id_number_enc) {  // keep the identity number unless a new one is given
      rec.id_number_enc = old.id_number_enc;
      rec.id_number_hash = old.id_number_hash;
    }
    HPKI_TRY(tx.update_subject(rec));
    return audit(tx, actor, audit::action::kSubjectUpdate, "subject/" + std::to_string(id),
                 "success", nlohmann::json{{"org", rec.org}}.dump(), rec.org);
  }));
  return get_subject(id);
}

Result<void> CaService::delete_subject(std::int64_t id, const std::string& actor) {
  return d_.store->transact([&](store::Tx& tx) -> Result<void> {
    const auto org = HPKI_TRY(tx.get_subject(id)).org;
    auto r = tx.delete_subject(id);
    if (!r && r.error().code() == ErrorCode::kConflict) {
      return fail(ErrorCode::kConflict, "subject " + std::to_string(id) +
                                            " has certificates; revoke them, the record stays");
    }
    HPKI_TRY(std::move(r));
    return audit(tx, actor, audit::action::kSubjectDelete, "subject/" + std::to_string(id),
                 "success", "{}", org);
  });
}

Result<std::vector<SubjectView>> CaService::list_subjects(std::optional<store::SubjectKind> kind,
                                                          std::optional<std::string> org,
                                                          std::int64_t limit, std::int64_t offset) {
  auto recs = HPKI_TRY(d_.store->transact_value<std::vector<store::SubjectRecord>>(
      [&](store::Tx& tx) { return tx.list_subjects(kind, org, limit, offset); }));
  std::vector<SubjectView> out;
  for (auto& r : recs) out.push_back(view_of(std::move(r)));
  return out;
}

Result<int> CaService::recover(std::optional<int> grace_seconds) {
  const auto grace =
      std::chrono::seconds(grace_seconds.value_or(d_.home->ca.recovery_grace_seconds));
  const auto now = d_.clock->now();
  std::vector<std::pair<std::string, std::string>> resolved;
  auto n_out = d_.store->transact_value<int>([&](store::Tx& tx) -> Result<int> {
    int n = 0;
    resolved.clear();
    for (const auto& rec : HPKI_TRY(tx.list_issuing_without_der())) {
      if (rec.created_at > now - grace) continue;  // possibly in flight on another node
      HPKI_TRY(
          tx.set_status(rec.ca_id, rec.serial, CertStatus::kNeverDelivered, CertStatus::kIssuing));
      HPKI_TRY(tx.insert_revocation({rec.ca_id, rec.serial, 0, now, std::nullopt}));
      HPKI_TRY(audit(tx, "hpki", audit::action::kCertNeverDelivered, rec.ca_id + "/" + rec.serial,
                     "success", nlohmann::json{{"tbs_hash", hex_encode(rec.tbs_hash)}}.dump(),
                     rec.org));
      resolved.emplace_back(rec.ca_id, rec.serial);
      ++n;
    }
    return n;
  });
  if (n_out) {
    for (const auto& [ca, serial] : resolved) notify(ca, serial, "never_delivered");
  }
  return n_out;
}

Result<void> CaService::init_hierarchy(const InitHierarchyOptions& o) {
  const auto& profiles = *d_.profiles;
  // The audit checkpoint key, once per home.
  if (!d_.file_keys->public_key(crypto::KeyRef{std::string(kAuditKeyRef)})) {
    const crypto::KeySpec spec =
        d_.audit != nullptr && d_.audit->hash_alg() == crypto::HashAlg::kSha256
            ? crypto::KeySpec{crypto::KeyType::kEcP256, 0}
            : crypto::KeySpec{crypto::KeyType::kSm2, 0};
    auto ref = HPKI_TRY(d_.file_keys->generate(spec, "audit"));
    HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_key_ref({ref.id, "file", "audit", key_type_name(spec), {}}));
      return audit(tx, o.actor, audit::action::kKeyCreate, ref.id, "success",
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
    const FamilyKeys ks = keys_of(fam);
    crypto::KeyStore& store_for_family =
        (o.hsm && fam != CaFamily::kSm2 && d_.hsm_keys) ? *d_.hsm_keys : *d_.file_keys;
    const std::string sm2_id = d_.home->base.sm2.distinguishing_id;
    x509::SubjectData base;
    base.country = d_.home->ca.country;
    base.province = d_.home->ca.province;
    base.city = d_.home->ca.city;
    base.organization = d_.home->ca.organization;

    // Root (self-signed).
    auto root_ref = HPKI_TRY(store_for_family.generate(ks.root, root_id));
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
      HPKI_TRY(tx.insert_key_ref({root_ref.id,
                                  std::string(store_for_family.kind()),
                                  root_id,
                                  key_type_name(ks.root),
                                  {}}));
      HPKI_TRY(tx.insert_ca({root_id,
                             fam,
                             CaRole::kRoot,
                             root_ref.id,
                             root_issued.der,
                             std::nullopt,
                             x509::to_string(root_cert->subject()),
                             {}}));
      store::CertificateRecord rec;
      rec.ca_id = root_id;
      rec.serial = hex_encode(rp.serial);
      rec.subject = x509::to_string(root_cert->subject());
      rec.org = base.organization;
      rec.profile = "root-ca";
      rec.not_before = root_cert->validity().not_before;
      rec.not_after = root_cert->validity().not_after;
      rec.tbs_hash = root_issued.tbs_hash;
      rec.key_type = key_type_name(ks.root);
      rec.requested_by = o.actor;
      HPKI_TRY(tx.reserve_certificate(rec));
      HPKI_TRY(tx.complete_issuance(root_id, rec.serial, root_issued.der));
      return audit(
          tx, o.actor, audit::action::kCaCreate, root_id, "success",
          nlohmann::json{{"subject", rec.subject}, {"key", rec.key_type}, {"key_ref", root_ref.id}}
              .dump());
    }));

    // Issuing CA, signed by the root.
    const std::string issuing_id = ca_id(fam, CaRole::kIssuing);
    auto iss_ref = HPKI_TRY(store_for_family.generate(ks.issuing, issuing_id));
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
    auto iss = HPKI_TRY(run_pipeline(profiles.at("issuing-ca"), root_ctx, iss_subject, iss_pub,
                                     std::nullopt, std::nullopt, {}, std::string(kInitActor),
                                     "issue", std::nullopt));
    HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
      HPKI_TRY(tx.insert_key_ref({iss_ref.id,
                                  std::string(store_for_family.kind()),
                                  issuing_id,
                                  key_type_name(ks.issuing),
                                  {}}));
      auto c = HPKI_TRY(x509::Certificate::parse(iss.der));
      HPKI_TRY(tx.insert_ca({issuing_id,
                             fam,
                             CaRole::kIssuing,
                             iss_ref.id,
                             iss.der,
                             root_id,
                             x509::to_string(c->subject()),
                             {}}));
      return audit(tx, o.actor, audit::action::kCaCreate, issuing_id, "success",
                   nlohmann::json{{"serial", iss.serial}, {"key_ref", iss_ref.id}}.dump());
    }));

    // OCSP responder and TSA certificates under the issuing CA.
    auto issuing_ctx = HPKI_TRY(issuer_for(fam));
    for (auto [role, profile_name, cn] :
         {std::tuple{CaRole::kOcsp, "ocsp-responder", "OCSP Responder"},
          std::tuple{CaRole::kTsa, "tsa", "Time Stamping Authority"}}) {
      const std::string id = ca_id(fam, role);
      auto ref = HPKI_TRY(store_for_family.generate(ks.leaf, id));
      auto pub = HPKI_TRY(store_for_family.public_key(ref));
      x509::SubjectData s = base;
      s.common_name = d_.home->ca.organization + " " + family_title(fam) + " " + cn;
      auto issued =
          HPKI_TRY(run_pipeline(profiles.at(profile_name), issuing_ctx, s, pub, std::nullopt,
                                std::nullopt, {}, std::string(kInitActor), "issue", std::nullopt));
      HPKI_TRY(d_.store->transact([&](store::Tx& tx) -> Result<void> {
        HPKI_TRY(tx.insert_key_ref(
            {ref.id, std::string(store_for_family.kind()), id, key_type_name(ks.leaf), {}}));
        auto c = HPKI_TRY(x509::Certificate::parse(issued.der));
        HPKI_TRY(tx.insert_ca(
            {id, fam, role, ref.id, issued.der, issuing_id, x509::to_string(c->subject()), {}}));
        return audit(tx, o.actor, audit::action::kCaCreate, id, "success",
                     nlohmann::json{{"serial", issued.serial}}.dump());
      }));
    }
  }
  return {};
}

}  // namespace hpki::ca
