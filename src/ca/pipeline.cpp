// The issuance pipeline (ca_service.h): one driver for every issuance. Steps run as tasks on the
// executor; the group-commit batcher hands the commit's outcome back; the synchronous calls are
// the same tasks plus a wait.
#include <future>
#include <tuple>

#include <nlohmann/json.hpp>

#include "ca/ca_service.h"
#include "ca/detail/certificate_subject.h"
#include "ca/detail/job.h"
#include "core/crash.h"
#include "core/encoding.h"
#include "core/log.h"
#include "crypto/key.h"
#include "crypto/pkcs12.h"
#include "x509/csr.h"
#include "x509/spki.h"

namespace hpki::ca {

using detail::family_prefix;
using store::CaRole;
using store::CertStatus;

namespace {
constexpr int kMaxSerialAttempts = 5;

// The audit action of an issuance step.
std::string_view cert_action(std::string_view step) {
  if (step == "renew") return audit::action::kCertRenew;
  if (step == "rekey") return audit::action::kCertRekey;
  if (step == "modify") return audit::action::kCertModify;
  return audit::action::kCertIssue;
}
}  // namespace

CaService::JobPtr CaService::job(const x509::Profile& profile, IssuerCtx issuer,
                                 x509::SubjectData subject, Bytes spki, const Requester& by,
                                 std::string action) {
  auto j = std::make_shared<Job>();
  j->profile = &profile;
  j->issuer = std::move(issuer);
  j->subject = std::move(subject);
  j->spki = std::move(spki);
  j->by = by;
  j->action = std::move(action);
  return j;
}

Result<CaService::JobPtr> CaService::job_for(const IssueRequest& r) {
  auto pit = d_.profiles->find(r.profile);
  if (pit == d_.profiles->end()) {
    std::string names;
    for (const auto& [n, _] : *d_.profiles) names += (names.empty() ? "" : ", ") + n;
    return fail(ErrorCode::kUnknownProfile,
                "unknown profile '" + r.profile + "' (available: " + names + ")");
  }
  const x509::Profile& profile = pit->second;
  if (profile.kind != x509::CertKind::kEndEntity) {
    return fail(ErrorCode::kPolicyRefused,
                "profile " + r.profile + " is for CA certificates (created by ca init)");
  }
  HPKI_TRY(check_requester(profile, r.requester));
  x509::SubjectData subject = r.subject.data;
  if (r.subject_id) subject = HPKI_TRY(subject_data(*r.subject_id));
  Bytes spki;
  std::optional<Bytes> request;
  std::vector<x509::Extension> requested;
  std::optional<crypto::PrivateKey> key;
  if (r.csr && r.keygen)
    return fail(ErrorCode::kInvalidArgument, "give either a CSR or key generation, not both");
  if (r.csr) {
    auto csr = x509::CertificationRequest::parse_any(*r.csr);
    if (!csr)
      return fail(Error{
          csr.error().code() == ErrorCode::kTooLarge ? ErrorCode::kTooLarge : ErrorCode::kBadCsr,
          csr.error().detail()});
    HPKI_TRY((*csr)->verify_pop(d_.home->base.sm2.distinguishing_id));
    spki = (*csr)->spki_der();
    request = (*csr)->der();
    requested = (*csr)->requested_extensions();
    detail::merge_csr_subject(subject, (*csr)->subject());
  } else if (r.keygen) {
    key = HPKI_TRY(crypto::PrivateKey::generate(r.keygen->spec));
    spki = key->public_key_der();
  } else if (r.internal_spki) {
    spki = *r.internal_spki;
  } else {
    return fail(ErrorCode::kInvalidArgument,
                "a CSR or key generation (--keygen --alg ALG) is required");
  }
  if (subject.country.empty()) subject.country = "CN";
  auto spec = x509::spki_key_spec(spki);
  if (!spec) return fail(Error{ErrorCode::kBadCsr, "subject key: " + spec.error().detail()});
  CaFamily family;
  if (r.family) {
    family = *r.family;
  } else {
    auto have = d_.store->read_value<store::CaRecord>(
        [&](store::Tx& tx) { return tx.get_ca(ca_id(CaFamily::kEcdsa, CaRole::kIssuing)); });
    family = detail::family_for_key(*spec, have.has_value());
  }
  // GM/T 0015 / issue 16: the SM2 hierarchy certifies SM2 keys only, and an SM2 key only under
  // it (RSA and ECDSA CAs may certify each other's key types, as the web PKI does).
  if ((family == CaFamily::kSm2) != (spec->type == crypto::KeyType::kSm2)) {
    return fail(ErrorCode::kPolicyRefused,
                "a " + crypto::key_spec_name(*spec) + " key cannot be certified by the " +
                    family_prefix(family) + " CA (SM2 keys go to the sm2 family only)");
  }
  auto j = job(profile, HPKI_TRY(issuer_for(family)), std::move(subject), std::move(spki),
               r.requester, "issue");
  j->request = std::move(request);
  j->requested = std::move(requested);
  if (r.subject_id) {
    j->subject_record = false;
    j->existing_subject = r.subject_id;
  }
  j->days = r.days;
  j->internal = r.internal_spki.has_value();
  j->key = std::move(key);
  if (r.keygen) j->key_passphrase = r.keygen->passphrase.copy();
  return j;
}

// Step 2: a serial, the TBS, lint, the signature. Nothing is written.
Result<void> CaService::sign(Job& j) {
  if (j.attempts == 0 && j.subject_record) {
    j.subject_rec = HPKI_TRY(subject_for(j.profile->name, j.subject));
  }
  ++j.attempts;
  const IssuerCtx& issuer = j.issuer;
  x509::IssueParams& p = j.params;
  p.profile = j.profile;
  p.subject = j.subject;
  p.subject_spki = j.spki;
  p.not_before = std::chrono::floor<std::chrono::seconds>(d_.clock->now());
  p.validity_days = j.days;
  p.issuer = &issuer.info;
  p.requested_extensions = j.requested;
  // hpki's own certificates may name anything; requests are held to their organization's names.
  static const x509::PermittedNames kAnyName{.dns = {}, .ip = {}, .any = true};
  p.permitted_names = j.internal ? &kAnyName : permitted_names(j.subject.organization);
  p.serial = HPKI_TRY(x509::generate_serial(*d_.random));
  // The CRL shard (issue 6) follows from the serial; with partitioned CRLs an issuing CA's
  // certificates name their shard's CRL in cRLDistributionPoints ("{shard}"). A root's CRL
  // (covering the CAs it certified) is never partitioned.
  const auto shard =
      static_cast<std::int64_t>(p.serial.back() % static_cast<unsigned>(d_.home->ca.crl_shards));
  p.crl_shard.reset();
  if (d_.home->ca.crl_shards > 1 && issuer.record.role != CaRole::kRoot) p.crl_shard = shard;
  const Bytes tbs =
      HPKI_TRY(x509::build_tbs_certificate(p, d_.home->build, issuer.signer->algorithm()));

  const int days = j.days.value_or(j.profile->default_days);
  store::CertificateRecord& rec = j.rec;
  rec = store::CertificateRecord{};
  rec.ca_id = issuer.record.id;
  rec.serial = HPKI_TRY(Serial::from_octets(p.serial));
  rec.subject = x509::to_string(HPKI_TRY(x509::subject_name(p)));
  rec.org = j.subject.organization;
  rec.dept = j.subject.department;
  rec.profile = j.profile->name;
  rec.status = CertStatus::kIssued;
  rec.not_before = p.not_before;
  rec.not_after = p.not_before + std::chrono::days(days) - std::chrono::seconds(1);
  rec.request = j.request;
  auto spec = x509::spki_key_spec(j.spki);
  rec.key_type = spec ? detail::key_type_name(*spec) : "unknown";
  rec.requested_by = j.by.actor;
  rec.crl_shard = shard;

  x509::LintContext lint_ctx{.profile = j.profile,
                             .issuer = issuer.cert.get(),
                             .cabf_server = j.profile->cabf_server,
                             .health_oids = d_.home->build.health_oids};
  j.der = HPKI_TRY(x509::lint_and_sign(tbs, lint_ctx, *issuer.signer)).der;
  rec.der = j.der;
  return {};
}

// Step 3: the certificate, its subject record, (modify) the old one superseded, the audit
// entry — one unit of work in a transaction shared with concurrent issuances. Safe to run again
// (the batcher reruns a unit alone when its shared transaction fails).
store::CommitBatcher::Unit CaService::commit_unit(Job& j) {
  return [this, &j](store::Tx& tx) -> Result<void> {
    store::CertificateRecord& rec = j.rec;
    rec.subject_id = j.existing_subject;
    j.serial_taken = false;
    auto taken = [&j](const Error& e) {
      j.serial_taken = e.code() == ErrorCode::kConflict;
      return fail(e);
    };
    if (j.subject_rec && !j.subject_rec->id_number_hash) {
      // A new subject record (no identity number to find an existing one by): written with
      // the certificate in one step (one statement, deferred in a pipelined round on
      // PostgreSQL). Its id is not needed here.
      if (auto in = tx.insert_certificate_with_new_subject(rec, *j.subject_rec); !in) {
        return taken(in.error());
      }
    } else {
      if (j.subject_rec) rec.subject_id = HPKI_TRY(upsert_subject(tx, *j.subject_rec));
      if (auto in = tx.insert_certificate(rec); !in) return taken(in.error());
    }
    if (j.supersede) {
      HPKI_TRY(transition(tx, *j.supersede,
                          {.change = Change::kRevoke,
                           .reason = x509::RevocationReason::kSuperseded,
                           .invalidity_date = std::nullopt,
                           .details = nlohmann::json{{"superseded_by", rec.serial.hex()}}.dump()},
                          j.by.actor));
    }
    crash_point(j.action + ".before_commit");
    return audit(tx, j.by.actor, cert_action(j.action), rec.ca_id + "/" + rec.serial.hex(),
                 audit::outcome::kSuccess,
                 nlohmann::json{{"profile", j.profile->name},
                                {"subject", rec.subject},
                                {"not_after", format_rfc3339(rec.not_after)},
                                {"key", rec.key_type}}
                     .dump(),
                 rec.org);
  };
}

// Step 4: listeners, the answer (and the key package of a server-generated key).
Result<IssueResult> CaService::finish(Job& j) {
  if (j.supersede) notify(j.supersede->ca_id, j.supersede->serial, "revoke");
  notify(j.rec.ca_id, j.rec.serial, j.action);
  IssueResult out;
  out.ca_id = j.rec.ca_id;
  out.serial = j.rec.serial;
  out.der = std::move(j.der);
  out.chain = HPKI_TRY(chain_of(j.issuer.record.id));
  out.not_after = j.rec.not_after;  // what build_tbs_certificate put in the certificate
  if (j.key) {
    if (j.key->spec().type == crypto::KeyType::kSm2) {
      auto pem = HPKI_TRY(j.key->to_encrypted_pem(*j.key_passphrase));
      out.key_package = to_bytes(pem);
      out.key_package_format = "pkcs8-pem";
    } else {
      out.key_package = HPKI_TRY(crypto::make_pkcs12(*j.key, out.der, out.chain, *j.key_passphrase,
                                                     j.subject.common_name));
      out.key_package_format = "pkcs12";
    }
  }
  return out;
}

// A pipeline task: an exception ends the issuance with an internal error (once).
template <class F>
std::function<void()> CaService::guard(JobPtr j, F&& f) {
  return [this, j = std::move(j), f = std::forward<F>(f)]() mutable {
    try {
      f();
    } catch (const std::exception& e) {
      end(j, fail(ErrorCode::kInternal, std::string("issuance failed: ") + e.what()));
    }
  };
}

void CaService::run(JobPtr j) {
  begin_async();
  post(guard(j, [this, j] { sign_and_commit(j); }));
}

void CaService::sign_and_commit(JobPtr j) {
  if (auto s = sign(*j); !s) {
    // Nothing was signed (lint, policy, the key store): audited like the refusal it is.
    if (j->attempts == 0 || d_.audit == nullptr) return end(j, fail(s.error()));
    audit::Event e{.actor = j->by.actor,
                   .action = std::string(cert_action(j->action)),
                   .object = j->issuer.record.id,
                   .outcome = std::string(audit::outcome::kFailure),
                   .details = nlohmann::json{{"error", s.error().to_string()}}.dump(),
                   .org = j->subject.organization};
    record_event_async(std::move(e),
                       [this, j, err = s.error()](Result<void>) { end(j, fail(err)); });
    return;
  }
  crash_point(j->action + ".after_sign");
  batcher_->submit(commit_unit(*j), [this, j](Result<void> committed) {
    post(guard(j, [this, j, committed = std::move(committed)] {
      if (!committed) {
        // A serial drawn twice (the unique constraint): the signed bytes never left the
        // process; draw another and sign again.
        if (j->serial_taken && j->attempts < kMaxSerialAttempts) return sign_and_commit(j);
        return end(j, fail(committed.error()));
      }
      crash_point(j->action + ".after_commit");
      end(j, finish(*j));
    }));
  });
}

void CaService::end(const JobPtr& j, Result<IssueResult> out) {
  auto done = std::move(j->done);
  j->done = nullptr;
  if (!done) return;  // ended already (an exception after the end)
  end_async_call("issuance", [&] { done(std::move(out)); });
}

Result<IssueResult> CaService::run_and_wait(JobPtr j) {
  auto answer = std::make_shared<std::promise<Result<IssueResult>>>();
  auto future = answer->get_future();
  j->done = [answer](Result<IssueResult> r) { answer->set_value(std::move(r)); };
  run(std::move(j));
  return future.get();
}

Result<IssueResult> CaService::issue(const IssueRequest& r) {
  return run_and_wait(HPKI_TRY(job_for(r)));
}

void CaService::issue_async(IssueRequest r, IssueDone done) {
  begin_async();
  auto request = std::make_shared<IssueRequest>(std::move(r));
  post([this, request, done = std::move(done)]() mutable {
    auto j = job_for(*request);
    if (!j) {
      end_async_call("issuance", [&] { done(fail(j.error())); });
      return;
    }
    (*j)->done = std::move(done);
    run(*j);
    end_async_call("issuance", [] {});  // the request's own count; run() holds the job's
  });
}

namespace {
// The certificate a lifecycle operation starts from: delivered, good or on hold, its profile.
Result<std::pair<const x509::Profile*, x509::CertificatePtr>> old_cert(
    const store::CertificateRecord& rec, const std::map<std::string, x509::Profile>& profiles) {
  if (!rec.der)
    return fail(ErrorCode::kBadState, "certificate " + rec.serial.hex() + " was never delivered");
  if (rec.status != CertStatus::kIssued && rec.status != CertStatus::kHold) {
    return fail(ErrorCode::kBadState, "certificate " + rec.serial.hex() + " is " +
                                          std::string(store::to_string(rec.status)));
  }
  auto it = profiles.find(rec.profile);
  if (it == profiles.end())
    return fail(ErrorCode::kUnknownProfile, "profile '" + rec.profile + "' no longer exists");
  auto cert = HPKI_TRY(x509::Certificate::parse(*rec.der));
  return std::pair{&it->second, cert};
}
}  // namespace

Result<CaService::Predecessor> CaService::predecessor(const Serial& serial, const Requester& by) {
  Predecessor p;
  p.rec = HPKI_TRY(find_one(serial));
  HPKI_TRY(check_requester(p.rec, by));
  std::tie(p.profile, p.cert) = HPKI_TRY(old_cert(p.rec, *d_.profiles));
  p.ca = HPKI_TRY(
      d_.store->read_value<store::CaRecord>([&](store::Tx& tx) { return tx.get_ca(p.rec.ca_id); }));
  return p;
}

Result<IssueResult> CaService::renew(const Serial& serial, std::optional<int> days,
                                     const Requester& by) {
  const Predecessor pre = HPKI_TRY(predecessor(serial, by));
  auto subject = detail::subject_from_cert(*pre.cert);
  if (pre.rec.subject_id && d_.pii) {
    // Identifiers not in the certificate (e.g. health extensions) come from the subject record.
    auto srec = d_.store->read_value<store::SubjectRecord>(
        [&](store::Tx& tx) { return tx.get_subject(*pre.rec.subject_id); });
    if (srec) {
      if (!srec->staff_no.empty()) subject.identifiers.try_emplace("staff_no", srec->staff_no);
      if (!srec->licence_no.empty())
        subject.identifiers.try_emplace("licence_no", srec->licence_no);
    }
  }
  auto j = job(*pre.profile, HPKI_TRY(issuer_for(pre.ca.family)), std::move(subject),
               pre.cert->spki_der(), by, "renew");
  j->request = pre.rec.request;
  j->days = days;
  return run_and_wait(std::move(j));
}

Result<IssueResult> CaService::rekey(const Serial& serial, std::optional<Bytes> csr,
                                     std::optional<KeygenOptions> keygen, const Requester& by) {
  const Predecessor pre = HPKI_TRY(predecessor(serial, by));
  IssueRequest r;
  r.profile = pre.profile->name;
  r.family = pre.ca.family;
  r.csr = std::move(csr);
  r.keygen = std::move(keygen);
  r.subject.data = detail::subject_from_cert(*pre.cert);
  r.requester = by;
  if (r.csr) {
    // The subject stays that of the certificate, whatever the new CSR says.
    auto parsed = x509::CertificationRequest::parse_any(*r.csr);
    if (parsed && (*parsed)->spki_der() == pre.cert->spki_der()) {
      return fail(ErrorCode::kPolicyRefused,
                  "re-key needs a new key; the CSR has the certificate's key (use renew)");
    }
  }
  auto j = HPKI_TRY(job_for(r));
  j->action = "rekey";
  return run_and_wait(std::move(j));
}

Result<IssueResult> CaService::modify(const Serial& serial, const SubjectInput& changes,
                                      const Requester& by) {
  const Predecessor pre = HPKI_TRY(predecessor(serial, by));
  x509::SubjectData s = detail::subject_from_cert(*pre.cert);
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
  auto j = job(*pre.profile, HPKI_TRY(issuer_for(pre.ca.family)), std::move(s),
               pre.cert->spki_der(), by, "modify");
  j->request = pre.rec.request;
  j->supersede = pre.rec;
  return run_and_wait(std::move(j));
}

}  // namespace hpki::ca
