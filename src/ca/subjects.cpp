// Subject records (RA data from which certificate subjects are built), per organization.
#include <nlohmann/json.hpp>

#include "ca/ca_service.h"
#include "ca/detail/certificate_subject.h"

namespace hpki::ca {

namespace {

// The record of a subject (identity number encrypted, with its lookup hash).
Result<store::SubjectRecord> record_of(store::SubjectKind kind, const x509::SubjectData& s,
                                       const PiiProtector& pii) {
  store::SubjectRecord rec;
  rec.kind = kind;
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
    rec.id_number_enc = HPKI_TRY(pii.encrypt(normalize_identifier(id)));
    rec.id_number_hash = HPKI_TRY(pii.lookup_hash(id));
  }
  return rec;
}

}  // namespace

Result<std::optional<store::SubjectRecord>> CaService::subject_for(const std::string& profile,
                                                                   const x509::SubjectData& s) {
  if (d_.pii == nullptr) return std::optional<store::SubjectRecord>{};
  return std::optional<store::SubjectRecord>{
      HPKI_TRY(record_of(detail::kind_for_profile(profile), s, *d_.pii))};
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

Result<x509::SubjectData> CaService::subject_data(std::int64_t id) {
  if (d_.pii == nullptr) return fail(ErrorCode::kUnavailable, "personal-data key not available");
  const auto rec = HPKI_TRY(d_.store->read_value<store::SubjectRecord>(
      [&](store::Tx& tx) { return tx.get_subject(id); }));
  x509::SubjectData s;
  s.common_name = rec.name;
  s.organization = rec.org;
  s.department = rec.dept;
  s.province = rec.province;
  s.city = rec.city;
  if (!rec.email.empty()) s.emails.push_back(rec.email);
  s.dns_names = rec.dns;
  if (!rec.staff_no.empty()) s.identifiers["staff_no"] = rec.staff_no;
  if (!rec.licence_no.empty()) s.identifiers["licence_no"] = rec.licence_no;
  if (!rec.org_code.empty()) s.identifiers["org_code"] = rec.org_code;
  if (rec.id_number_enc) s.identifiers["id_number"] = HPKI_TRY(d_.pii->decrypt(*rec.id_number_enc));
  return s;
}

Result<store::SubjectRecord> CaService::subject_record(const SubjectChange& c) {
  if (d_.pii == nullptr) return fail(ErrorCode::kUnavailable, "personal-data key not available");
  if (c.data.common_name.empty())
    return fail(ErrorCode::kInvalidArgument, "a subject needs a name");
  return record_of(c.kind, c.data, *d_.pii);
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
        HPKI_TRY(
            audit(tx, actor, audit::action::kSubjectCreate, "subject/" + std::to_string(*id),
                  audit::outcome::kSuccess,
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
                 audit::outcome::kSuccess, nlohmann::json{{"org", rec.org}}.dump(), rec.org);
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
                 audit::outcome::kSuccess, "{}", org);
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

}  // namespace hpki::ca
