#include "evidence/package.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "audit/audit_log.h"
#include "audit/merkle.h"
#include "core/encoding.h"
#include "crypto/digest.h"
#include "crypto/key.h"
#include "der/oids.h"
#include "pdf/verify.h"
#include "sign/sign_service.h"
#include "x509/crl.h"
#include "x509/name.h"
#include "x509/path.h"
#include "x509/revocation.h"
#include "x509/tsp.h"

namespace hpki::evidence {
namespace {

using json = nlohmann::json;

Result<std::string> hex_of(crypto::HashAlg alg, BytesView data) {
  return hex_encode(HPKI_TRY(crypto::digest(alg, data)));
}

// Strict JSON field readers (a package comes from anywhere).
Result<std::string> str_field(const json& j, std::string_view key, bool required = true) {
  const auto it = j.find(key);
  if (it == j.end()) {
    if (!required) return std::string{};
    return fail(ErrorCode::kMalformed, "field '" + std::string(key) + "' is missing");
  }
  if (!it->is_string())
    return fail(ErrorCode::kMalformed, "field '" + std::string(key) + "' is not a string");
  return it->get<std::string>();
}

Result<std::int64_t> int_field(const json& j, std::string_view key, std::int64_t min,
                               std::int64_t max) {
  const auto it = j.find(key);
  if (it == j.end())
    return fail(ErrorCode::kMalformed, "field '" + std::string(key) + "' is missing");
  if (!it->is_number_integer())
    return fail(ErrorCode::kMalformed, "field '" + std::string(key) + "' is not an integer");
  const auto v = it->get<std::int64_t>();
  if (v < min || v > max)
    return fail(ErrorCode::kMalformed, "field '" + std::string(key) + "' is out of range");
  return v;
}

Result<bool> bool_field(const json& j, std::string_view key) {
  const auto it = j.find(key);
  if (it == j.end() || !it->is_boolean())
    return fail(ErrorCode::kMalformed, "field '" + std::string(key) + "' is not a boolean");
  return it->get<bool>();
}

Result<std::string> hash_hex_field(const json& j, std::string_view key, std::size_t bytes,
                                   bool required = true) {
  auto s = HPKI_TRY(str_field(j, key, required));
  if (s.empty() && !required) return s;
  if (s.size() != bytes * 2 || !std::ranges::all_of(s, [](char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      }))
    return fail(ErrorCode::kMalformed, "field '" + std::string(key) + "' is not " +
                                           std::to_string(bytes * 2) + " lower-case hex digits");
  return s;
}

Result<json> parse_json(BytesView data, std::string_view what) {
  auto j = json::parse(data.begin(), data.end(), nullptr, false);
  if (j.is_discarded()) return fail(ErrorCode::kMalformed, std::string(what) + " is not JSON");
  return j;
}

constexpr std::int64_t kMaxTime = 253402300799;  // 9999-12-31T23:59:59Z

}  // namespace

// ------------------------------------------------------------------------------ manifest

std::string manifest_json(const Manifest& m) {
  json members = json::array();
  for (const auto& x : m.members) {
    members.push_back({{"name", x.name},
                       {"role", x.role},
                       {"size", x.size},
                       {"sha256", x.sha256},
                       {"sm3", x.sm3}});
  }
  json doc{{"name", m.document.name},
           {"included", m.document.included},
           {"size", m.document.size},
           {"sha256", m.document.sha256},
           {"sm3", m.document.sm3}};
  json j{{"format", m.format},
         {"id", m.id},
         {"created_at", m.created_at},
         {"hpki_version", m.hpki_version},
         {"signature_format", m.signature_format},
         {"timestamp_hash", m.timestamp_hash},
         {"document", doc},
         {"members", members}};
  return j.dump(2) + "\n";
}

Result<Manifest> parse_manifest(BytesView data) {
  const json j = HPKI_TRY(parse_json(data, "the manifest"));
  if (!j.is_object()) return fail(ErrorCode::kMalformed, "the manifest is not a JSON object");
  Manifest m;
  m.format = HPKI_TRY(str_field(j, "format"));
  if (m.format != kFormat)
    return fail(ErrorCode::kMalformed, "unknown package format '" + m.format.substr(0, 64) + "'");
  m.id = HPKI_TRY(str_field(j, "id"));
  m.created_at = HPKI_TRY(str_field(j, "created_at"));
  if (!parse_rfc3339(m.created_at))
    return fail(ErrorCode::kMalformed, "created_at is not an RFC 3339 time");
  m.hpki_version = HPKI_TRY(str_field(j, "hpki_version", false));
  m.signature_format = HPKI_TRY(str_field(j, "signature_format"));
  if (m.signature_format != "raw" && m.signature_format != "cms" && m.signature_format != "pdf" &&
      m.signature_format != "certificate")
    return fail(ErrorCode::kMalformed, "unknown signature_format");
  m.timestamp_hash = HPKI_TRY(str_field(j, "timestamp_hash"));
  if (m.timestamp_hash != "sha256" && m.timestamp_hash != "sm3")
    return fail(ErrorCode::kMalformed, "timestamp_hash is neither sha256 nor sm3");
  const auto d = j.find("document");
  if (d == j.end() || !d->is_object())
    return fail(ErrorCode::kMalformed, "field 'document' is not an object");
  m.document.name = HPKI_TRY(str_field(*d, "name", false));
  m.document.included = HPKI_TRY(bool_field(*d, "included"));
  m.document.size = HPKI_TRY(int_field(*d, "size", -1, std::int64_t{1} << 40));
  m.document.sha256 = HPKI_TRY(hash_hex_field(*d, "sha256", 32));
  m.document.sm3 = HPKI_TRY(hash_hex_field(*d, "sm3", 32));
  const auto ms = j.find("members");
  if (ms == j.end() || !ms->is_array())
    return fail(ErrorCode::kMalformed, "field 'members' is not an array");
  if (ms->size() > zip::Limits{}.max_members)
    return fail(ErrorCode::kMalformed, "too many members in the manifest");
  std::set<std::string> names;
  for (const auto& x : *ms) {
    if (!x.is_object()) return fail(ErrorCode::kMalformed, "a member is not an object");
    ManifestMember mm;
    mm.name = HPKI_TRY(str_field(x, "name"));
    mm.role = HPKI_TRY(str_field(x, "role"));
    mm.size = HPKI_TRY(int_field(x, "size", 0, std::int64_t{1} << 40));
    mm.sha256 = HPKI_TRY(hash_hex_field(x, "sha256", 32));
    mm.sm3 = HPKI_TRY(hash_hex_field(x, "sm3", 32));
    if (mm.name.starts_with("META-INF/") || mm.name == "mimetype")
      return fail(ErrorCode::kMalformed, "the manifest lists " + mm.name.substr(0, 64));
    if (!names.insert(mm.name).second)
      return fail(ErrorCode::kMalformed, "the manifest lists " + mm.name.substr(0, 64) + " twice");
    m.members.push_back(std::move(mm));
  }
  return m;
}

// ------------------------------------------------------------------------------ assembling

namespace {

Result<Bytes> renewal_input(const std::vector<zip::Member>& members, std::size_t renewals) {
  // manifest.json || manifest.tst || renewal-1.tst || ... || renewal-(renewals).tst
  auto find = [&](std::string_view name) -> const zip::Member* {
    for (const auto& m : members)
      if (m.name == name) return &m;
    return nullptr;
  };
  Bytes out;
  const auto* man = find(kManifestName);
  const auto* tst = find(kManifestTimestampName);
  if (man == nullptr || tst == nullptr)
    return fail(ErrorCode::kMalformed, "the package has no manifest or no manifest timestamp");
  out.insert(out.end(), man->data.begin(), man->data.end());
  out.insert(out.end(), tst->data.begin(), tst->data.end());
  for (std::size_t i = 1; i <= renewals; ++i) {
    const auto* r = find(std::string(kRenewalPrefix) + std::to_string(i) + ".tst");
    if (r == nullptr)
      return fail(ErrorCode::kMalformed, "renewal " + std::to_string(i) + " is missing");
    out.insert(out.end(), r->data.begin(), r->data.end());
  }
  return out;
}

std::size_t count_renewals(const std::vector<zip::Member>& members) {
  std::size_t n = 0;
  for (const auto& m : members)
    if (m.name.starts_with(kRenewalPrefix)) ++n;
  return n;
}

}  // namespace

Result<Bytes> assemble(Manifest m, const std::vector<PackageMember>& members,
                       const PackageTimestampFn& timestamp) {
  m.members.clear();
  std::vector<zip::Member> out;
  out.push_back({"mimetype", Bytes(zip::kMimeType.begin(), zip::kMimeType.end())});
  for (const auto& pm : members) {
    if (pm.member.name.starts_with("META-INF/") || pm.member.name == "mimetype")
      return fail(ErrorCode::kInvalidArgument, "reserved member name " + pm.member.name);
    m.members.push_back({pm.member.name, pm.role, static_cast<std::int64_t>(pm.member.data.size()),
                         HPKI_TRY(hex_of(crypto::HashAlg::kSha256, pm.member.data)),
                         HPKI_TRY(hex_of(crypto::HashAlg::kSm3, pm.member.data))});
  }
  const std::string man = manifest_json(m);
  out.push_back({std::string(kManifestName), Bytes(man.begin(), man.end())});
  if (timestamp) {
    const auto hash = HPKI_TRY(crypto::parse_hash(m.timestamp_hash));
    out.push_back({std::string(kManifestTimestampName),
                   HPKI_TRY(timestamp(hash, BytesView(out.back().data)))});
  }
  for (const auto& pm : members) out.push_back(pm.member);
  return zip::write(out);
}

Result<Bytes> renew(BytesView package, const PackageTimestampFn& timestamp,
                    const std::vector<x509::CertificatePtr>& anchors) {
  auto members = HPKI_TRY(zip::read(package));
  const auto n = count_renewals(members);
  const auto* man = &members.front();
  for (const auto& m : members)
    if (m.name == kManifestName) man = &m;
  const auto manifest = HPKI_TRY(parse_manifest(man->data));
  // The newest token must still verify: renewing a broken chain would hide the break.
  const Report r = verify(package, {.anchors = anchors, .now = {}, .limits = {}});
  for (const auto& e : r.elements) {
    if ((e.element == "package_timestamp" || e.element.starts_with("renewal:")) &&
        e.status != Verdict::kValid)
      return fail(ErrorCode::kBadState, "the package's timestamp chain does not verify (" +
                                            e.element + ": " + e.reason + ")");
  }
  const Bytes input = HPKI_TRY(renewal_input(members, n));
  const auto hash = HPKI_TRY(crypto::parse_hash(manifest.timestamp_hash));
  const Bytes token = HPKI_TRY(timestamp(hash, input));
  // Insert after the last META-INF member.
  auto at = members.begin();
  for (auto it = members.begin(); it != members.end(); ++it)
    if (it->name.starts_with("META-INF/")) at = it + 1;
  members.insert(at, {std::string(kRenewalPrefix) + std::to_string(n + 1) + ".tst", token});
  return zip::write(members);
}

// ------------------------------------------------------------------------------ verifying

namespace {

struct Checker {
  const VerifyOptions& o;
  Report& r;
  std::map<std::string, const zip::Member*> by_name;
  Manifest manifest;
  std::vector<x509::CertificatePtr> certs;  // every certificate of the package
  std::vector<x509::CrlPtr> crls;
  TimePoint package_time{};
  bool have_package_time = false;

  void add(std::string element, Verdict v, std::string_view reason, std::string detail = {}) {
    r.elements.push_back({std::move(element), v, std::string(reason), std::move(detail)});
  }
  const zip::Member* member_of_role(std::string_view role) const {
    for (const auto& m : manifest.members) {
      if (m.role == role) {
        const auto it = by_name.find(m.name);
        return it == by_name.end() ? nullptr : it->second;
      }
    }
    return nullptr;
  }
  std::vector<const zip::Member*> members_of_role(std::string_view role) const {
    std::vector<const zip::Member*> out;
    for (const auto& m : manifest.members) {
      if (m.role != role) continue;
      const auto it = by_name.find(m.name);
      if (it != by_name.end()) out.push_back(it->second);
    }
    return out;
  }
};

Verdict path_verdict(std::string_view status) {
  namespace d = x509::diag;
  if (status == d::kValid) return Verdict::kValid;
  // No path to the given anchors (a cycle is what an untrusted root in the pool gives), or
  // nothing known about revocation: could not decide.
  if (status == d::kNoPath || status == d::kPathCycle || status == d::kRevocationUnknown ||
      status == d::kPathBudgetExceeded || status == d::kUnsupportedAlgorithm)
    return Verdict::kIndeterminate;
  return Verdict::kInvalid;
}

std::string subject_attr(const x509::Certificate& c, const der::Oid& oid) {
  return c.subject().get(oid);
}

void check_members(Checker& c, const std::vector<zip::Member>& members) {
  std::set<std::string> listed;
  for (const auto& m : c.manifest.members) {
    listed.insert(m.name);
    const auto it = c.by_name.find(m.name);
    const std::string element = "member:" + m.name;
    if (it == c.by_name.end()) {
      c.add(element, Verdict::kInvalid, reason::kMemberMissing, "listed in the manifest, absent");
      continue;
    }
    const auto& data = it->second->data;
    auto sha = hex_of(crypto::HashAlg::kSha256, data);
    auto sm3 = hex_of(crypto::HashAlg::kSm3, data);
    if (!sha || !sm3 || *sha != m.sha256 || *sm3 != m.sm3 ||
        static_cast<std::int64_t>(data.size()) != m.size) {
      c.add(element, Verdict::kInvalid, reason::kMemberHashMismatch,
            "its bytes are not those the manifest names (SHA-256 " + sha.value_or("?") + ")");
      continue;
    }
    c.add(element, Verdict::kValid, reason::kValid);
  }
  for (const auto& m : members) {
    if (m.name == "mimetype" || m.name == kManifestName || m.name == kManifestTimestampName ||
        m.name.starts_with(kRenewalPrefix))
      continue;
    if (!listed.contains(m.name))
      c.add("member:" + m.name, Verdict::kInvalid, reason::kMemberUnlisted,
            "in the container but not in the manifest");
  }
}

void load_certificates(Checker& c) {
  for (auto role : {role::kSignerCertificate, role::kCaCertificate, role::kAuditCertificate}) {
    for (const auto* m : c.members_of_role(role)) {
      auto cert = x509::Certificate::parse(m->data);
      if (!cert) {
        c.add("member:" + m->name, Verdict::kInvalid, x509::diag::kCertificateMalformed,
              cert.error().to_string());
        continue;
      }
      c.certs.push_back(*cert);
    }
  }
  for (const auto* m : c.members_of_role(role::kCrl)) {
    auto crl = x509::Crl::parse(m->data);
    if (!crl) {
      c.add("member:" + m->name, Verdict::kInvalid, reason::kMemberHashMismatch,
            "not a CRL: " + crl.error().to_string());
      continue;
    }
    c.crls.push_back(*crl);
  }
}

void check_package_timestamps(Checker& c, const std::vector<zip::Member>& members) {
  const auto tst = c.by_name.find(std::string(kManifestTimestampName));
  if (tst == c.by_name.end()) {
    if (c.o.expect_package_timestamp)
      c.add("package_timestamp", Verdict::kInvalid, reason::kPackageTimestampMissing,
            "META-INF/manifest.tst is absent");
    return;
  }
  const auto man = c.by_name.at(std::string(kManifestName));
  x509::tsp::TokenVerifyOptions to;
  to.trust_anchors = c.o.anchors;
  to.untrusted = c.certs;
  to.data = BytesView(man->data);
  std::optional<x509::CertificatePtr> last_tsa;
  auto tv = x509::tsp::verify_token(tst->second->data, to);
  Report::PackageTimestamp pt;
  if (!tv) {
    const auto detail = tv.error().detail();
    // No path to the given anchors (another hierarchy's root): could not decide; a certificate
    // or token that does not verify: invalid.
    const bool untrusted = detail.find(x509::tsp::diag::kChain) != std::string::npos &&
                           detail.find("does not verify") == std::string::npos &&
                           detail.find("no path to a trust anchor") != std::string::npos;
    pt.status = untrusted ? Verdict::kIndeterminate : Verdict::kInvalid;
    c.add("package_timestamp", pt.status, reason::kPackageTimestampInvalid, tv.error().to_string());
    c.r.package_timestamps.push_back(pt);
    return;
  }
  pt.time = format_rfc3339(tv->info.gen_time);
  pt.authority = x509::to_string(tv->tsa->subject());
  pt.hash = c.manifest.timestamp_hash;
  pt.status = Verdict::kValid;
  pt.tsa_valid_until = format_rfc3339(tv->tsa->validity().not_after);
  c.r.package_timestamps.push_back(pt);
  c.add("package_timestamp", Verdict::kValid, reason::kValid,
        "manifest time-stamped at " + pt.time + " by " + pt.authority);
  c.package_time = tv->info.gen_time;
  c.have_package_time = true;
  last_tsa = tv->tsa;
  // Renewals: each over everything before it, made while the previous TSA certificate was
  // still valid.
  const auto n = count_renewals(members);
  for (std::size_t i = 1; i <= n; ++i) {
    const std::string element = "renewal:" + std::to_string(i);
    auto input = renewal_input(members, i - 1);
    const auto it = c.by_name.find(std::string(kRenewalPrefix) + std::to_string(i) + ".tst");
    if (!input || it == c.by_name.end()) {
      c.add(element, Verdict::kInvalid, reason::kRenewalInvalid, "renewal chain incomplete");
      return;
    }
    to.data = BytesView(*input);
    auto rv = x509::tsp::verify_token(it->second->data, to);
    Report::PackageTimestamp rt;
    rt.hash = c.manifest.timestamp_hash;
    if (!rv) {
      rt.status = Verdict::kInvalid;
      c.r.package_timestamps.push_back(rt);
      c.add(element, Verdict::kInvalid, reason::kRenewalInvalid, rv.error().to_string());
      return;
    }
    rt.time = format_rfc3339(rv->info.gen_time);
    rt.authority = x509::to_string(rv->tsa->subject());
    if (rv->info.gen_time > (*last_tsa)->validity().not_after) {
      rt.status = Verdict::kInvalid;
      c.r.package_timestamps.push_back(rt);
      c.add(element, Verdict::kInvalid, reason::kRenewalInvalid,
            "renewed at " + rt.time + ", after the previous TSA certificate expired");
      return;
    }
    rt.status = Verdict::kValid;
    rt.tsa_valid_until = format_rfc3339(rv->tsa->validity().not_after);
    c.r.package_timestamps.push_back(rt);
    c.add(element, Verdict::kValid, reason::kValid,
          "renewed at " + rt.time + " by " + rt.authority);
    last_tsa = rv->tsa;
  }
  // RFC 4998 5.3 in spirit: the newest timestamp must still be verifiable now.
  if (c.o.now != TimePoint{} && c.o.now > (*last_tsa)->validity().not_after) {
    c.add("timestamp_chain", Verdict::kIndeterminate, reason::kTimestampChainExpired,
          "the newest timestamp's TSA certificate expired on " +
              format_rfc3339((*last_tsa)->validity().not_after) + "; the package was not renewed");
  }
}

struct AuditEntryJson {
  store::AuditRecord rec;
  std::int64_t leaf_index = 0, tree_size = 0;
  std::vector<Bytes> path;
};

Result<std::vector<AuditEntryJson>> parse_entries(BytesView data) {
  const json j = HPKI_TRY(parse_json(data, "audit/entries.json"));
  if (!j.is_array()) return fail(ErrorCode::kMalformed, "audit entries are not an array");
  if (j.size() > 10000) return fail(ErrorCode::kMalformed, "too many audit entries");
  std::vector<AuditEntryJson> out;
  for (const auto& e : j) {
    if (!e.is_object()) return fail(ErrorCode::kMalformed, "an audit entry is not an object");
    AuditEntryJson a;
    a.rec.seq = HPKI_TRY(int_field(e, "seq", 1, std::int64_t{1} << 62));
    a.rec.at = TimePoint(std::chrono::seconds(HPKI_TRY(int_field(e, "at", 0, kMaxTime))));
    a.rec.actor = HPKI_TRY(str_field(e, "actor"));
    a.rec.action = HPKI_TRY(str_field(e, "action"));
    a.rec.object = HPKI_TRY(str_field(e, "object"));
    a.rec.outcome = HPKI_TRY(str_field(e, "outcome"));
    a.rec.details = HPKI_TRY(str_field(e, "details"));
    a.rec.hash_alg = HPKI_TRY(str_field(e, "hash_alg"));
    a.rec.org = HPKI_TRY(str_field(e, "org", false));
    a.rec.prev_hash = HPKI_TRY(hex_decode(HPKI_TRY(str_field(e, "prev_hash"))));
    a.rec.hash = HPKI_TRY(hex_decode(HPKI_TRY(str_field(e, "hash"))));
    const auto p = e.find("proof");
    if (p == e.end() || !p->is_object())
      return fail(ErrorCode::kMalformed, "audit entry without a proof object");
    a.leaf_index = HPKI_TRY(int_field(*p, "leaf_index", 0, std::int64_t{1} << 62));
    a.tree_size = HPKI_TRY(int_field(*p, "tree_size", 1, std::int64_t{1} << 62));
    const auto path = p->find("path");
    if (path == p->end() || !path->is_array() || path->size() > 64)
      return fail(ErrorCode::kMalformed, "audit proof path is not an array of at most 64 hashes");
    for (const auto& h : *path) {
      if (!h.is_string()) return fail(ErrorCode::kMalformed, "audit proof hash is not a string");
      a.path.push_back(HPKI_TRY(hex_decode(h.get<std::string>())));
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<store::AuditCheckpoint> parse_checkpoint(BytesView data, std::string& hash_alg) {
  const json j = HPKI_TRY(parse_json(data, "audit/checkpoint.json"));
  if (!j.is_object()) return fail(ErrorCode::kMalformed, "the checkpoint is not an object");
  store::AuditCheckpoint c;
  c.seq = HPKI_TRY(int_field(j, "seq", 1, std::int64_t{1} << 62));
  c.tree_size = HPKI_TRY(int_field(j, "tree_size", 1, std::int64_t{1} << 62));
  c.root_hash = HPKI_TRY(hex_decode(HPKI_TRY(str_field(j, "root_hash"))));
  c.signature = HPKI_TRY(base64_decode(HPKI_TRY(str_field(j, "signature"))));
  c.key_ref = HPKI_TRY(KeyId::parse(HPKI_TRY(str_field(j, "key_ref"))));
  c.signed_at = TimePoint(std::chrono::seconds(HPKI_TRY(int_field(j, "signed_at", 0, kMaxTime))));
  hash_alg = HPKI_TRY(str_field(j, "hash_alg"));
  return c;
}

// The audit part: the checkpoint signer's path (EKU hpkiAuditCheckpointSigning, at the
// checkpoint's time, with the packaged CRLs), the checkpoint signature, and each entry's hash
// and inclusion proof.
void check_audit(Checker& c, std::optional<std::int64_t>& signature_entry_seq,
                 std::optional<TimePoint>& signature_entry_time,
                 std::string_view signature_object) {
  const auto* entries_m = c.member_of_role(role::kAuditEntries);
  const auto* cp_m = c.member_of_role(role::kAuditCheckpoint);
  const auto* cert_m = c.member_of_role(role::kAuditCertificate);
  if (entries_m == nullptr || cp_m == nullptr || cert_m == nullptr) {
    c.add("audit", Verdict::kIndeterminate, reason::kAuditMissing,
          "the package holds no audit entries, checkpoint or audit signer certificate");
    return;
  }
  std::string alg_name;
  auto cp = parse_checkpoint(cp_m->data, alg_name);
  auto alg = crypto::parse_hash(alg_name);
  if (!cp || !alg || (*alg != crypto::HashAlg::kSha256 && *alg != crypto::HashAlg::kSm3)) {
    c.add("audit_checkpoint", Verdict::kInvalid, reason::kAuditMalformed,
          cp ? "unknown hash algorithm" : cp.error().to_string());
    return;
  }
  auto audit_cert = x509::Certificate::parse(cert_m->data);
  if (!audit_cert) {
    c.add("audit_checkpoint", Verdict::kInvalid, reason::kCheckpointSignerUntrusted,
          audit_cert.error().to_string());
    return;
  }
  // The signer: a certificate for the audit purpose, valid when it signed, not revoked then.
  std::vector<x509::CertificatePtr> all = c.certs;
  all.insert(all.end(), c.o.anchors.begin(), c.o.anchors.end());
  const x509::CrlRevocationSource crl_source(c.crls, all);
  x509::PathOptions po;
  po.at = cp->signed_at;
  po.required_ekus = {der::oids::kHpkiAuditCheckpointSigning};
  po.revocation = &crl_source;
  const auto path = x509::validate_path(*audit_cert, c.certs, c.o.anchors, po);
  if (!path.valid) {
    c.add("audit_checkpoint_signer",
          path_verdict(path.status) == Verdict::kIndeterminate ? Verdict::kIndeterminate
                                                               : Verdict::kInvalid,
          reason::kCheckpointSignerUntrusted, std::string(path.status) + ": " + path.detail);
  } else {
    c.add("audit_checkpoint_signer", Verdict::kValid, reason::kValid,
          x509::to_string((*audit_cert)->subject()));
  }
  auto statement = audit::checkpoint_statement(*alg, *cp);
  auto spec = (*audit_cert)->key_spec();
  bool sig_ok = false;
  if (statement && spec) {
    sig_ok = crypto::verify_signature_once((*audit_cert)->spki_der(),
                                           crypto::default_signature_alg(spec->type), *statement,
                                           cp->signature, crypto::kSm2DefaultId, {})
                 .has_value();
  }
  if (!sig_ok || cp->tree_size != cp->seq) {
    c.add("audit_checkpoint", Verdict::kInvalid, reason::kCheckpointSignatureInvalid,
          "the checkpoint at entry " + std::to_string(cp->seq) +
              " is not signed by the audit signer's key");
    return;
  }
  c.add("audit_checkpoint", Verdict::kValid, reason::kValid,
        "checkpoint over " + std::to_string(cp->tree_size) + " entries, signed " +
            format_rfc3339(cp->signed_at));
  auto entries = parse_entries(entries_m->data);
  if (!entries) {
    c.add("audit_entries", Verdict::kInvalid, reason::kAuditMalformed, entries.error().to_string());
    return;
  }
  for (const auto& e : *entries) {
    const std::string element = "audit:" + std::to_string(e.rec.seq) + " " + e.rec.action;
    auto h = audit::entry_hash(*alg, e.rec);
    if (!h || *h != e.rec.hash || e.rec.hash_alg != alg_name) {
      c.add(element, Verdict::kInvalid, reason::kAuditEntryHashMismatch,
            "the entry's contents do not give its hash");
      continue;
    }
    const audit::InclusionProof proof{
        .leaf_index = e.leaf_index, .tree_size = e.tree_size, .path = e.path};
    auto inc = audit::verify_inclusion(*alg, e.rec.hash, proof, cp->root_hash);
    if (!inc || e.leaf_index != e.rec.seq - 1 || e.tree_size != cp->tree_size) {
      c.add(element, Verdict::kInvalid, reason::kAuditProofInvalid,
            "the entry is not in the checkpoint's Merkle tree" +
                (inc ? std::string() : ": " + inc.error().to_string()));
      continue;
    }
    c.add(element, Verdict::kValid, reason::kValid,
          format_rfc3339(e.rec.at) + " " + e.rec.actor + " " + e.rec.object);
    if (e.rec.object == signature_object && !signature_entry_seq) {
      signature_entry_seq = e.rec.seq;
      signature_entry_time = e.rec.at;
    }
  }
}

void fill_signer(Report& r, const x509::Certificate& cert) {
  r.signer.name = subject_attr(cert, der::oids::kCommonName);
  r.signer.organization = subject_attr(cert, der::oids::kOrganizationName);
  r.signer.serial = cert.serial_number().hex();
  r.signer.issuer = x509::to_string(cert.issuer());
  r.signer.certificate_sha256 = hex_of(crypto::HashAlg::kSha256, cert.der()).value_or("");
}

// The signature, its timestamp and the signer's path from a signature report.
void add_signature_elements(Checker& c, const sign::VerifyReport& v) {
  if (v.signature_alg) c.r.signer.algorithm = crypto::signature_alg_name(*v.signature_alg);
  c.r.signing_time.time = format_rfc3339(v.validation_time);
  c.r.signing_time.source = v.time_source;
  if (v.timestamp) {
    c.add("signature_timestamp", v.timestamp->valid ? Verdict::kValid : Verdict::kInvalid,
          v.timestamp->status,
          v.timestamp->valid ? "genTime " + c.r.signing_time.time + " by " + v.timestamp->tsa
                             : v.timestamp->detail);
    if (v.timestamp->valid) c.r.signing_time.authority = v.timestamp->tsa;
  }
  if (v.time_source == "now") {
    c.r.signing_time.source = "unknown";
    c.r.signing_time.time.clear();
  }
  if (!v.signature_valid) {
    c.add("signature", Verdict::kInvalid, v.status, v.detail);
    return;
  }
  c.add("signature", Verdict::kValid, reason::kValid,
        c.r.signer.algorithm + " over the document, by serial " + c.r.signer.serial);
  if (!v.path) return;
  const auto pv = path_verdict(v.path->status);
  std::string detail =
      v.path->valid ? "valid at " + format_rfc3339(v.validation_time) + " (" + v.time_source + ")"
                    : v.path->detail;
  for (const auto& n : v.notes) detail += "; " + std::string(n.id) + ": " + n.detail;
  c.add("certificate_path", pv, v.path->status, detail);
}

void check_signature(Checker& c) {
  const auto* sig_m = c.member_of_role(role::kSignature);
  const auto* cert_m = c.member_of_role(role::kSignerCertificate);
  const bool cert_only = c.manifest.signature_format == "certificate";
  if ((sig_m == nullptr && !cert_only) || cert_m == nullptr) {
    c.add("signature", Verdict::kInvalid, reason::kMemberMissing,
          "the package has no signature or no signer certificate");
    return;
  }
  auto signer = x509::Certificate::parse(cert_m->data);
  if (!signer) {
    c.add("signature", Verdict::kInvalid, x509::diag::kCertificateMalformed,
          signer.error().to_string());
    return;
  }
  fill_signer(c.r, **signer);
  const auto* data_m = c.member_of_role(role::kData);
  // The data, when included, must be the document the manifest names.
  if (data_m != nullptr) {
    auto sha = hex_of(crypto::HashAlg::kSha256, data_m->data);
    auto sm3 = hex_of(crypto::HashAlg::kSm3, data_m->data);
    if (!sha || !sm3 || *sha != c.manifest.document.sha256 || *sm3 != c.manifest.document.sm3) {
      c.add("document", Verdict::kInvalid, reason::kDocumentHashMismatch,
            "the data member is not the document the manifest names");
      return;
    }
  }
  if (cert_only) {
    // A certificate package: the certificate is the document; its path and revocation status
    // at the package time.
    std::optional<std::int64_t> seq;
    std::optional<TimePoint> at;
    check_audit(c, seq, at, "");
    if (hex_of(crypto::HashAlg::kSha256, cert_m->data).value_or("") != c.manifest.document.sha256) {
      c.add("document", Verdict::kInvalid, reason::kDocumentHashMismatch,
            "certs/signer.cer is not the certificate the manifest names");
      return;
    }
    std::vector<x509::CertificatePtr> all = c.certs;
    all.insert(all.end(), c.o.anchors.begin(), c.o.anchors.end());
    const x509::CrlRevocationSource crl_source(c.crls, all);
    x509::PathOptions po;
    po.at = c.have_package_time ? c.package_time : c.o.now;
    po.revocation = &crl_source;
    const auto path = x509::validate_path(*signer, c.certs, c.o.anchors, po);
    c.add("certificate_path", path_verdict(path.status), path.status,
          path.valid ? "valid and not revoked at " + format_rfc3339(po.at) + " (package time)"
                     : path.detail);
    return;
  }
  const std::string signature_object =
      "signature:" + hex_of(crypto::HashAlg::kSha256, sig_m->data).value_or("");
  std::optional<std::int64_t> entry_seq;
  std::optional<TimePoint> entry_time;
  check_audit(c, entry_seq, entry_time, signature_object);

  sign::VerifyRequest req;
  req.signature = sig_m->data;
  req.signer_certificate = *signer;
  Bytes sha_digest, sm3_digest;
  if (c.manifest.signature_format == "raw") {
    req.mode = sign::Mode::kRaw;
    if (data_m == nullptr) {
      c.add("signature", Verdict::kIndeterminate, reason::kDataNotIncluded,
            "a raw signature can only be re-checked with the data, which was not exported");
      return;
    }
    req.content = BytesView(data_m->data);
    if (entry_time) req.attested_time = entry_time;
  } else if (c.manifest.signature_format == "cms") {
    req.mode = sign::Mode::kCmsAttached;
    if (data_m != nullptr) {
      req.content = BytesView(data_m->data);
    } else {
      sha_digest = hex_decode(c.manifest.document.sha256).value_or(Bytes{});
      sm3_digest = hex_decode(c.manifest.document.sm3).value_or(Bytes{});
      req.content_digest = [&](crypto::HashAlg h) -> Result<Bytes> {
        if (h == crypto::HashAlg::kSha256) return sha_digest;
        if (h == crypto::HashAlg::kSm3) return sm3_digest;
        return fail(ErrorCode::kUnsupportedAlgorithm,
                    "the package names the document by SHA-256 and SM3 only");
      };
    }
    if (entry_time) req.attested_time = entry_time;
  }
  sign::TrustSettings trust;
  trust.anchors = c.o.anchors;
  trust.intermediates = c.certs;
  trust.crls = c.crls;
  trust.require_revocation = true;
  // The revocation data is as of the package time (its timestamp proves when it was collected).
  trust.now = c.have_package_time ? c.package_time : c.o.now;
  if (c.manifest.signature_format == "pdf") {
    const auto rep = pdf::verify(sig_m->data, trust);
    const sign::VerifyReport* mine = nullptr;
    for (const auto& s : rep.signatures) {
      const std::string element = "pdf_signature:" + s.info.field_name;
      if (s.valid) {
        c.add(element, Verdict::kValid, reason::kValid, s.info.sub_filter);
      } else {
        const bool undecided = s.cms && s.cms->signature_valid && s.cms->path &&
                               !s.cms->path->valid &&
                               path_verdict(s.cms->path->status) == Verdict::kIndeterminate;
        c.add(element, undecided ? Verdict::kIndeterminate : Verdict::kInvalid, s.status, s.detail);
      }
      if (mine == nullptr && s.cms && s.cms->signer && s.cms->signer->der() == (*signer)->der())
        mine = &*s.cms;
    }
    if (mine == nullptr) {
      c.add("signature", Verdict::kInvalid, reason::kSignerMismatch,
            "no signature of the PDF was made by certs/signer.cer" +
                (rep.detail.empty() ? std::string() : " (" + rep.detail + ")"));
      return;
    }
    add_signature_elements(c, *mine);
    return;
  }
  const auto v = sign::verify(req, trust);
  if (v.signer && v.signer->der() != (*signer)->der()) {
    c.add("signature", Verdict::kInvalid, reason::kSignerMismatch,
          "the signature was made by another certificate than certs/signer.cer");
    return;
  }
  add_signature_elements(c, v);
}

void openssl_commands(Checker& c) {
  // What the `openssl` CLI re-checks, in the folder the package was extracted to with the root
  // copied to ROOT.pem. RSA / ECDSA: the hashes, the chain, the signature, the package timestamp,
  // the CRLs. SM2: the hashes and a raw signature (pkeyutl takes the ID; OpenSSL 3.0's cms, ts
  // and verify use an empty SM2 ID).
  const auto& alg = c.r.signer.algorithm;
  if (alg.empty()) return;
  const bool sm2 = alg.find("sm2") != std::string::npos;
  auto& out = c.r.openssl_commands;
  out.push_back(
      "# in the folder the package was extracted to (hpki evidence verify --extract DIR), "
      "with the root certificate copied to ROOT.pem");
  std::string sums = "printf '%s  %s\\n'";
  for (const auto& m : c.manifest.members) sums += " " + m.sha256 + " " + m.name;
  out.push_back(sums + " | sha256sum --check --quiet -");
  const auto* data_m = c.member_of_role(role::kData);
  const auto* sig_m = c.member_of_role(role::kSignature);
  if (sm2) {
    if (c.manifest.signature_format == "raw" && data_m != nullptr && sig_m != nullptr) {
      out.push_back(
          "openssl x509 -inform DER -in certs/signer.cer -pubkey -noout > signer-pub.pem");
      out.push_back(
          "openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt distid:1234567812345678 "
          "-pubin -inkey signer-pub.pem -in " +
          data_m->name + " -sigfile " + sig_m->name);
    }
    return;
  }
  std::string pems;
  for (const auto& m : c.manifest.members) {
    if (m.role != role::kCaCertificate) continue;
    const std::string pem = m.name.substr(0, m.name.size() - 4) + ".pem";
    out.push_back("openssl x509 -inform DER -in " + m.name + " -out " + pem);
    pems += " " + pem;
  }
  out.push_back("cat" + pems + " > chain.pem");
  out.push_back("openssl x509 -inform DER -in certs/signer.cer -out certs/signer.pem");
  out.push_back("openssl verify -CAfile ROOT.pem -untrusted chain.pem certs/signer.pem");
  if (sig_m != nullptr && c.manifest.signature_format == "cms") {
    std::string cmd = "openssl cms -verify -binary -inform DER -in " + sig_m->name +
                      " -CAfile ROOT.pem -certfile chain.pem -purpose any";
    if (data_m != nullptr) cmd += " -content " + data_m->name;
    out.push_back(cmd + " -out /dev/null");
  } else if (sig_m != nullptr && c.manifest.signature_format == "raw" && data_m != nullptr) {
    out.push_back("openssl x509 -in certs/signer.pem -pubkey -noout > signer-pub.pem");
    out.push_back("openssl dgst -sha256 -verify signer-pub.pem -signature " + sig_m->name + " " +
                  data_m->name);
  }
  if (c.by_name.contains(std::string(kManifestTimestampName)) &&
      c.manifest.timestamp_hash == "sha256")
    out.push_back(
        "openssl ts -verify -data META-INF/manifest.json -in META-INF/manifest.tst "
        "-token_in -CAfile ROOT.pem -untrusted chain.pem");
  for (const auto* crl : c.members_of_role(role::kCrl))
    out.push_back("openssl crl -inform DER -in " + crl->name + " -CAfile chain.pem -noout");
}

}  // namespace

Report verify(BytesView package, const VerifyOptions& o) {
  Report r;
  r.verified_at = format_rfc3339(o.now == TimePoint{} ? std::chrono::system_clock::now() : o.now);
  Checker c{o, r, {}, {}, {}, {}, {}, false};
  auto finish = [&]() -> Report {
    bool invalid = false, indeterminate = false;
    for (const auto& e : r.elements) {
      if (e.status == Verdict::kValid) continue;
      r.reasons.push_back(e.element + ": " + e.reason);
      if (e.status == Verdict::kInvalid) invalid = true;
      if (e.status == Verdict::kIndeterminate) indeterminate = true;
    }
    r.verdict =
        invalid ? Verdict::kInvalid
                : (indeterminate || r.elements.empty() ? Verdict::kIndeterminate : Verdict::kValid);
    return r;
  };
  auto members = zip::read(package, o.limits);
  if (!members) {
    c.add("container", Verdict::kInvalid, reason::kContainerMalformed, members.error().to_string());
    return finish();
  }
  for (const auto& m : *members) c.by_name.emplace(m.name, &m);
  const auto man = c.by_name.find(std::string(kManifestName));
  if (man == c.by_name.end()) {
    c.add("manifest", Verdict::kInvalid, reason::kManifestMalformed,
          "META-INF/manifest.json absent");
    return finish();
  }
  auto manifest = parse_manifest(man->second->data);
  if (!manifest) {
    c.add("manifest", Verdict::kInvalid, reason::kManifestMalformed, manifest.error().to_string());
    return finish();
  }
  c.manifest = std::move(*manifest);
  r.package_id = c.manifest.id;
  r.created_at = c.manifest.created_at;
  r.document = c.manifest.document;
  c.add("manifest", Verdict::kValid, reason::kValid,
        std::to_string(c.manifest.members.size()) + " members listed");
  check_members(c, *members);
  load_certificates(c);
  check_package_timestamps(c, *members);
  check_signature(c);
  for (auto role_name : {role::kIdentityRecord, role::kApprovalRecord}) {
    const auto* m = c.member_of_role(role_name);
    if (m == nullptr) continue;
    auto j = parse_json(m->data, m->name);
    if (!j || !j->is_object())
      c.add("record:" + std::string(role_name), Verdict::kInvalid, reason::kRecordMalformed,
            m->name + " is not a JSON object");
  }
  openssl_commands(c);
  return finish();
}

// ------------------------------------------------------------------------------ rendering

std::string report_json(const Report& r) {
  json elements = json::array();
  for (const auto& e : r.elements) {
    elements.push_back({{"element", e.element},
                        {"status", verdict_name(e.status)},
                        {"reason", e.reason},
                        {"detail", e.detail}});
  }
  json stamps = json::array();
  for (const auto& t : r.package_timestamps) {
    stamps.push_back({{"time", t.time},
                      {"authority", t.authority},
                      {"hash", t.hash},
                      {"status", verdict_name(t.status)},
                      {"tsa_valid_until", t.tsa_valid_until}});
  }
  json j{{"format", "hpki-evidence-report/1"},
         {"verdict", verdict_name(r.verdict)},
         {"reasons", r.reasons},
         {"package_id", r.package_id},
         {"created_at", r.created_at},
         {"verified_at", r.verified_at},
         {"document",
          {{"name", r.document.name},
           {"sha256", r.document.sha256},
           {"sm3", r.document.sm3},
           {"size", r.document.size},
           {"included", r.document.included}}},
         {"signer",
          {{"name", r.signer.name},
           {"organization", r.signer.organization},
           {"serial", r.signer.serial},
           {"issuer", r.signer.issuer},
           {"certificate_sha256", r.signer.certificate_sha256},
           {"algorithm", r.signer.algorithm}}},
         {"signing_time",
          {{"time", r.signing_time.time},
           {"source", r.signing_time.source},
           {"authority", r.signing_time.authority}}},
         {"package_timestamps", stamps},
         {"elements", elements},
         {"openssl_commands", r.openssl_commands}};
  return j.dump(2) + "\n";
}

std::string report_text(const Report& r) {
  std::ostringstream s;
  s << "verdict: " << verdict_name(r.verdict) << "\n";
  for (const auto& x : r.reasons) s << "  reason: " << x << "\n";
  s << "package: " << r.package_id << " (created " << r.created_at << ")\n";
  s << "document: " << (r.document.name.empty() ? "(unnamed)" : r.document.name) << " sha256 "
    << r.document.sha256 << (r.document.included ? "" : " (hash only)") << "\n";
  s << "signer: " << r.signer.name << ", " << r.signer.organization << ", serial "
    << r.signer.serial << ", issuer " << r.signer.issuer << "\n";
  s << "signed: " << (r.signing_time.time.empty() ? "unknown" : r.signing_time.time) << " ("
    << r.signing_time.source
    << (r.signing_time.authority.empty() ? "" : ", " + r.signing_time.authority) << ")\n";
  for (const auto& t : r.package_timestamps)
    s << "package timestamp: " << t.time << " " << t.authority << " [" << verdict_name(t.status)
      << "]\n";
  for (const auto& e : r.elements) {
    s << "  [" << verdict_name(e.status) << "] " << e.element;
    if (e.status != Verdict::kValid) s << " (" << e.reason << ")";
    if (!e.detail.empty()) s << ": " << e.detail;
    s << "\n";
  }
  return s.str();
}

}  // namespace hpki::evidence
