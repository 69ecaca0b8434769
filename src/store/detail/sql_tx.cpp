#include "store/detail/sql_tx.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <string>
#include <utility>

namespace hpki::store::detail {
namespace {

// --- reading columns defensively: rows may have been edited by hand (the audit tamper
// tests do exactly that), so a wrong type is an Error, never a crash.

Result<std::int64_t> col_int(const Row& r, std::size_t i, std::string_view name) {
  if (i < r.size()) {
    if (const auto* v = std::get_if<std::int64_t>(&r[i])) return *v;
    if (const auto* s = std::get_if<std::string>(&r[i])) {
      std::int64_t out = 0;
      auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
      if (ec == std::errc{} && p == s->data() + s->size()) return out;
    }
  }
  return fail(ErrorCode::kStorage, "column " + std::string(name) + ": not an integer");
}

Result<std::optional<std::int64_t>> col_opt_int(const Row& r, std::size_t i,
                                                std::string_view name) {
  if (i < r.size() && std::holds_alternative<std::monostate>(r[i])) return std::nullopt;
  return col_int(r, i, name);
}

Result<std::string> col_text(const Row& r, std::size_t i, std::string_view name) {
  if (i < r.size()) {
    if (const auto* s = std::get_if<std::string>(&r[i])) return *s;
    if (const auto* b = std::get_if<Bytes>(&r[i])) return std::string(as_string(*b));
    if (const auto* v = std::get_if<std::int64_t>(&r[i])) return std::to_string(*v);
  }
  return fail(ErrorCode::kStorage, "column " + std::string(name) + ": not text");
}

Result<std::optional<std::string>> col_opt_text(const Row& r, std::size_t i,
                                                std::string_view name) {
  if (i < r.size() && std::holds_alternative<std::monostate>(r[i])) return std::nullopt;
  return col_text(r, i, name);
}

Result<Bytes> col_blob(const Row& r, std::size_t i, std::string_view name) {
  if (i < r.size()) {
    if (const auto* b = std::get_if<Bytes>(&r[i])) return *b;
    if (const auto* s = std::get_if<std::string>(&r[i])) return to_bytes(*s);
  }
  return fail(ErrorCode::kStorage, "column " + std::string(name) + ": not a blob");
}

Result<std::optional<Bytes>> col_opt_blob(const Row& r, std::size_t i, std::string_view name) {
  if (i < r.size() && std::holds_alternative<std::monostate>(r[i])) return std::nullopt;
  return col_blob(r, i, name);
}

Result<TimePoint> col_time(const Row& r, std::size_t i, std::string_view name) {
  return from_unix(HPKI_TRY(col_int(r, i, name)));
}

Result<std::optional<TimePoint>> col_opt_time(const Row& r, std::size_t i, std::string_view name) {
  auto v = HPKI_TRY(col_opt_int(r, i, name));
  if (!v) return std::nullopt;
  return from_unix(*v);
}

Value opt(const std::optional<std::string>& v) { return v ? Value{*v} : Value{}; }
Value opt(const std::optional<Bytes>& v) { return v ? Value{*v} : Value{}; }
Value opt(const std::optional<std::int64_t>& v) { return v ? Value{*v} : Value{}; }
Value opt(const std::optional<TimePoint>& v) { return v ? Value{to_unix(*v)} : Value{}; }
Value text(std::string_view s) { return Value{std::string(s)}; }
Value blob(BytesView b) { return Value{Bytes(b.begin(), b.end())}; }

Result<void> expect_one(std::int64_t changed, std::string_view what) {
  if (changed == 0) return fail(ErrorCode::kConflict, std::string(what) + " already exists");
  return {};
}

// --- CAs

constexpr std::string_view kCaCols =
    "id, family, role, key_ref, certificate, parent_id, subject, created_at";

Result<CaRecord> read_ca(const Row& r) {
  CaRecord c;
  c.id = HPKI_TRY(col_text(r, 0, "cas.id"));
  c.family = HPKI_TRY(parse_ca_family(HPKI_TRY(col_text(r, 1, "cas.family"))));
  c.role = HPKI_TRY(parse_ca_role(HPKI_TRY(col_text(r, 2, "cas.role"))));
  c.key_ref = HPKI_TRY(col_text(r, 3, "cas.key_ref"));
  c.certificate = HPKI_TRY(col_blob(r, 4, "cas.certificate"));
  c.parent_id = HPKI_TRY(col_opt_text(r, 5, "cas.parent_id"));
  c.subject = HPKI_TRY(col_text(r, 6, "cas.subject"));
  c.created_at = HPKI_TRY(col_time(r, 7, "cas.created_at"));
  return c;
}

// --- certificates

constexpr std::string_view kCertCols =
    "c.ca_id, c.serial, c.subject, c.org, c.dept, c.subject_id, c.profile, c.status, "
    "c.not_before, c.not_after, c.der, c.tbs_hash, c.request, c.key_type, c.requested_by, "
    "c.crl_shard, c.created_at, c.updated_at";

Result<CertificateRecord> read_cert(const Row& r) {
  CertificateRecord c;
  c.ca_id = HPKI_TRY(col_text(r, 0, "certificates.ca_id"));
  c.serial = HPKI_TRY(col_text(r, 1, "certificates.serial"));
  c.subject = HPKI_TRY(col_text(r, 2, "certificates.subject"));
  c.org = HPKI_TRY(col_text(r, 3, "certificates.org"));
  c.dept = HPKI_TRY(col_text(r, 4, "certificates.dept"));
  c.subject_id = HPKI_TRY(col_opt_int(r, 5, "certificates.subject_id"));
  c.profile = HPKI_TRY(col_text(r, 6, "certificates.profile"));
  c.status = HPKI_TRY(parse_cert_status(HPKI_TRY(col_text(r, 7, "certificates.status"))));
  c.not_before = HPKI_TRY(col_time(r, 8, "certificates.not_before"));
  c.not_after = HPKI_TRY(col_time(r, 9, "certificates.not_after"));
  c.der = HPKI_TRY(col_opt_blob(r, 10, "certificates.der"));
  c.tbs_hash = HPKI_TRY(col_blob(r, 11, "certificates.tbs_hash"));
  c.request = HPKI_TRY(col_opt_blob(r, 12, "certificates.request"));
  c.key_type = HPKI_TRY(col_text(r, 13, "certificates.key_type"));
  c.requested_by = HPKI_TRY(col_text(r, 14, "certificates.requested_by"));
  c.crl_shard = HPKI_TRY(col_int(r, 15, "certificates.crl_shard"));
  c.created_at = HPKI_TRY(col_time(r, 16, "certificates.created_at"));
  c.updated_at = HPKI_TRY(col_time(r, 17, "certificates.updated_at"));
  return c;
}

// Serial filters accept any case and colons ("0A:1B"), like the CLI.
Result<std::string> normalize_hex_prefix(std::string_view in) {
  std::string out;
  for (char ch : in) {
    if (ch == ':') continue;
    if (ch >= 'A' && ch <= 'F') ch = static_cast<char>(ch - 'A' + 'a');
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
      return fail(ErrorCode::kInvalidArgument, "serial filter is not hex");
    }
    out.push_back(ch);
  }
  return out;
}

// LIKE pattern for a literal substring (ESCAPE '\').
std::string like_escape(std::string_view s) {
  std::string out;
  for (char ch : s) {
    if (ch == '%' || ch == '_' || ch == '\\') out.push_back('\\');
    out.push_back(ch);
  }
  return out;
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

// --- revocations

constexpr std::string_view kRevCols =
    "r.ca_id, r.serial, r.reason, r.revoked_at, r.invalidity_date";

Result<RevocationRecord> read_rev(const Row& r) {
  RevocationRecord v;
  v.ca_id = HPKI_TRY(col_text(r, 0, "revocations.ca_id"));
  v.serial = HPKI_TRY(col_text(r, 1, "revocations.serial"));
  v.reason = static_cast<int>(HPKI_TRY(col_int(r, 2, "revocations.reason")));
  v.revoked_at = HPKI_TRY(col_time(r, 3, "revocations.revoked_at"));
  v.invalidity_date = HPKI_TRY(col_opt_time(r, 4, "revocations.invalidity_date"));
  return v;
}

// --- subjects

constexpr std::string_view kSubjectCols =
    "id, kind, name, org, dept, province, city, email, dns, id_number_enc, id_number_hash, "
    "staff_no, licence_no, org_code, created_at";

std::string dns_to_json(const std::vector<std::string>& dns) {
  return nlohmann::json(dns).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<std::string>> dns_from_json(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_array()) {
    return fail(ErrorCode::kStorage, "column subjects.dns: not a JSON array");
  }
  std::vector<std::string> out;
  for (const auto& e : j) {
    if (!e.is_string()) return fail(ErrorCode::kStorage, "column subjects.dns: not strings");
    out.push_back(e.get<std::string>());
  }
  return out;
}

Result<SubjectRecord> read_subject(const Row& r) {
  SubjectRecord s;
  s.id = HPKI_TRY(col_int(r, 0, "subjects.id"));
  s.kind = HPKI_TRY(parse_subject_kind(HPKI_TRY(col_text(r, 1, "subjects.kind"))));
  s.name = HPKI_TRY(col_text(r, 2, "subjects.name"));
  s.org = HPKI_TRY(col_text(r, 3, "subjects.org"));
  s.dept = HPKI_TRY(col_text(r, 4, "subjects.dept"));
  s.province = HPKI_TRY(col_text(r, 5, "subjects.province"));
  s.city = HPKI_TRY(col_text(r, 6, "subjects.city"));
  s.email = HPKI_TRY(col_text(r, 7, "subjects.email"));
  s.dns = HPKI_TRY(dns_from_json(HPKI_TRY(col_text(r, 8, "subjects.dns"))));
  s.id_number_enc = HPKI_TRY(col_opt_blob(r, 9, "subjects.id_number_enc"));
  s.id_number_hash = HPKI_TRY(col_opt_blob(r, 10, "subjects.id_number_hash"));
  s.staff_no = HPKI_TRY(col_text(r, 11, "subjects.staff_no"));
  s.licence_no = HPKI_TRY(col_text(r, 12, "subjects.licence_no"));
  s.org_code = HPKI_TRY(col_text(r, 13, "subjects.org_code"));
  s.created_at = HPKI_TRY(col_time(r, 14, "subjects.created_at"));
  return s;
}

// --- audit

constexpr std::string_view kAuditCols =
    "seq, at, actor, action, object, outcome, details, hash_alg, prev_hash, hash, org";
constexpr std::size_t kAuditColCount = 11;

Result<AuditRecord> read_audit_row(const Row& r) {
  AuditRecord e;
  e.seq = HPKI_TRY(col_int(r, 0, "audit_log.seq"));
  e.at = HPKI_TRY(col_time(r, 1, "audit_log.at"));
  e.actor = HPKI_TRY(col_text(r, 2, "audit_log.actor"));
  e.action = HPKI_TRY(col_text(r, 3, "audit_log.action"));
  e.object = HPKI_TRY(col_text(r, 4, "audit_log.object"));
  e.outcome = HPKI_TRY(col_text(r, 5, "audit_log.outcome"));
  e.details = HPKI_TRY(col_text(r, 6, "audit_log.details"));
  e.hash_alg = HPKI_TRY(col_text(r, 7, "audit_log.hash_alg"));
  e.prev_hash = HPKI_TRY(col_blob(r, 8, "audit_log.prev_hash"));
  e.hash = HPKI_TRY(col_blob(r, 9, "audit_log.hash"));
  e.org = HPKI_TRY(col_text(r, 10, "audit_log.org"));
  return e;
}

// pg_advisory_xact_lock key of the audit chain ("hpkiaudt").
constexpr std::int64_t kAuditLockKey = 0x68706b6961756474;

constexpr std::string_view kKeyRefCols = "id, store_kind, label, key_type, created_at";

Result<KeyRefRecord> read_key_ref(const Row& r) {
  KeyRefRecord k;
  k.id = HPKI_TRY(col_text(r, 0, "key_refs.id"));
  k.store_kind = HPKI_TRY(col_text(r, 1, "key_refs.store_kind"));
  k.label = HPKI_TRY(col_text(r, 2, "key_refs.label"));
  k.key_type = HPKI_TRY(col_text(r, 3, "key_refs.key_type"));
  k.created_at = HPKI_TRY(col_time(r, 4, "key_refs.created_at"));
  return k;
}

constexpr std::string_view kApiKeyCols = "id, hash, role, org, created_at, revoked_at";

Result<ApiKeyRecord> read_api_key(const Row& r) {
  ApiKeyRecord k;
  k.id = HPKI_TRY(col_text(r, 0, "api_keys.id"));
  k.hash = HPKI_TRY(col_blob(r, 1, "api_keys.hash"));
  k.role = HPKI_TRY(col_text(r, 2, "api_keys.role"));
  k.org = HPKI_TRY(col_text(r, 3, "api_keys.org"));
  k.created_at = HPKI_TRY(col_time(r, 4, "api_keys.created_at"));
  k.revoked_at = HPKI_TRY(col_opt_time(r, 5, "api_keys.revoked_at"));
  return k;
}

template <typename T, typename F>
Result<std::vector<T>> read_all(const std::vector<Row>& rows, F&& read) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(HPKI_TRY(read(r)));
  return out;
}

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts) s += p;
  return s;
}

}  // namespace

// ---------------------------------------------------------------- CAs

Result<void> SqlTx::insert_ca(const CaRecord& ca) {
  if (ca.id.empty()) return fail(ErrorCode::kInvalidArgument, "CA id is empty");
  const Value p[] = {
      text(ca.id),          text(to_string(ca.family)), text(to_string(ca.role)), text(ca.key_ref),
      blob(ca.certificate), opt(ca.parent_id),          text(ca.subject),         Value{now()}};
  auto n = HPKI_TRY(conn_.exec(cat({"INSERT INTO cas (", kCaCols,
                                    ") VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"}),
                               p));
  return expect_one(n, "CA " + ca.id);
}

Result<CaRecord> SqlTx::get_ca(std::string_view id) {
  const Value p[] = {text(id)};
  auto rows = HPKI_TRY(conn_.query(cat({"SELECT ", kCaCols, " FROM cas WHERE id = ?"}), p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no CA " + std::string(id));
  return read_ca(rows[0]);
}

Result<std::vector<CaRecord>> SqlTx::list_cas() {
  auto rows =
      HPKI_TRY(conn_.query(cat({"SELECT ", kCaCols, " FROM cas ORDER BY created_at, id"}), {}));
  return read_all<CaRecord>(rows, read_ca);
}

// ---------------------------------------------------------------- certificates

namespace {

// A reservation's record as the pipeline writes it: checked, then the values of the columns
// kReservationCols (subject_id and der are set by each statement).
Result<void> check_reservation(const CertificateRecord& rec) {
  if (!is_serial_hex(rec.serial)) {
    return fail(ErrorCode::kInvalidArgument, "serial is not lowercase hex: " + rec.serial);
  }
  if (rec.tbs_hash.empty()) return fail(ErrorCode::kInvalidArgument, "tbs_hash is empty");
  return {};
}

constexpr std::string_view kReservationCols =
    "ca_id, serial, subject, org, dept, profile, status, not_before, not_after, tbs_hash, "
    "request, key_type, requested_by, crl_shard, created_at, updated_at";

// The values of kReservationCols; `status` is what the row gets (kIssuing for a reservation).
std::vector<Value> reservation_values(const CertificateRecord& rec, std::int64_t t,
                                      CertStatus status) {
  return {text(rec.ca_id),
          text(rec.serial),
          text(rec.subject),
          text(rec.org),
          text(rec.dept),
          text(rec.profile),
          text(to_string(status)),
          Value{to_unix(rec.not_before)},
          Value{to_unix(rec.not_after)},
          blob(rec.tbs_hash),
          opt(rec.request),
          text(rec.key_type),
          text(rec.requested_by),
          Value{rec.crl_shard},
          Value{t},
          Value{t}};
}

// The values of kSubjectWriteCols, in that order.
constexpr std::string_view kSubjectWriteCols =
    "kind, name, org, dept, province, city, email, dns, id_number_enc, id_number_hash, "
    "staff_no, licence_no, org_code";

std::vector<Value> subject_values(const SubjectRecord& s) {
  return {
      text(to_string(s.kind)), text(s.name),          text(s.org),      text(s.dept),
      text(s.province),        text(s.city),          text(s.email),    text(dns_to_json(s.dns)),
      opt(s.id_number_enc),    opt(s.id_number_hash), text(s.staff_no), text(s.licence_no),
      text(s.org_code)};
}

}  // namespace

Result<void> SqlTx::reserve_certificate(const CertificateRecord& rec) {
  CertificateRecord r = rec;
  r.status = CertStatus::kIssuing;
  r.der.reset();
  return insert_certificate(r);
}

Result<std::int64_t> SqlTx::reserve_certificate_with_subject(const CertificateRecord& rec,
                                                             const SubjectRecord& s) {
  CertificateRecord r = rec;
  r.status = CertStatus::kIssuing;
  r.der.reset();
  return insert_certificate_with_subject(r, s);
}

Result<void> SqlTx::insert_certificate(const CertificateRecord& rec) {
  HPKI_TRY(check_reservation(rec));
  std::vector<Value> p = reservation_values(rec, now(), rec.status);
  p.push_back(opt(rec.subject_id));
  p.push_back(opt(rec.der));
  // ON CONFLICT DO NOTHING rather than a unique violation: on PostgreSQL an error would abort
  // the transaction, and the caller wants to draw another serial in the same one.
  static const std::string sql =
      cat({"INSERT INTO certificates (", kReservationCols,
           ", subject_id, der) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
           "ON CONFLICT DO NOTHING"});
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "serial " + rec.serial + " of CA " + rec.ca_id);
}

Result<std::int64_t> SqlTx::insert_certificate_with_subject(const CertificateRecord& rec,
                                                            const SubjectRecord& s) {
  if (conn_.dialect() != Dialect::kPostgres) {
    // SQLite runs in-process: two statements cost no round trip.
    CertificateRecord with = rec;
    with.subject_id = HPKI_TRY(insert_subject(s));
    auto r = insert_certificate(with);
    if (!r) {
      // Keep the promise: no subject without its certificate (the transaction stays usable).
      const Value id[] = {Value{*with.subject_id}};
      HPKI_TRY(conn_.exec("DELETE FROM subjects WHERE id = ?", id));
      return fail(r.error());
    }
    return *with.subject_id;
  }
  HPKI_TRY(check_reservation(rec));
  const std::int64_t t = now();
  // One statement: the subject is inserted only when the serial is free, the certificate
  // references it. Parameters are cast: in a SELECT list PostgreSQL cannot infer their types.
  std::vector<Value> p = subject_values(s);
  p.push_back(Value{t});
  p.push_back(text(rec.ca_id));
  p.push_back(text(rec.serial));
  for (Value& v : reservation_values(rec, t, rec.status)) p.push_back(std::move(v));
  p.push_back(opt(rec.der));
  static const std::string sql =
      cat({"WITH s AS (INSERT INTO subjects (", kSubjectWriteCols,
           ", created_at) "
           "SELECT ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, "
           "?::bytea, ?::bytea, ?::text, ?::text, ?::text, ?::bigint "
           "WHERE NOT EXISTS (SELECT 1 FROM certificates WHERE ca_id = ?::text AND serial = "
           "?::text) RETURNING id) "
           "INSERT INTO certificates (",
           kReservationCols,
           ", subject_id, der) "
           "SELECT ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, "
           "?::bigint, ?::bytea, ?::bytea, ?::text, ?::text, ?::bigint, ?::bigint, ?::bigint, "
           "s.id, ?::bytea FROM s ON CONFLICT DO NOTHING RETURNING subject_id"});
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) {
    return fail(ErrorCode::kConflict,
                "serial " + rec.serial + " of CA " + rec.ca_id + " already exists");
  }
  return col_int(rows[0], 0, "certificates.subject_id");
}

Result<void> SqlTx::complete_issuance(std::string_view ca_id, std::string_view serial,
                                      BytesView der) {
  if (der.empty()) return fail(ErrorCode::kInvalidArgument, "certificate DER is empty");
  const Value p[] = {blob(der), Value{now()}, text(ca_id), text(serial)};
  auto n =
      HPKI_TRY(conn_.exec("UPDATE certificates SET der = ?, status = 'issued', updated_at = ? "
                          "WHERE ca_id = ? AND serial = ? AND status = 'issuing'",
                          p));
  if (n == 1) return {};
  auto cur = HPKI_TRY(get_certificate(ca_id, serial));
  return fail(ErrorCode::kConflict, "certificate " + std::string(serial) + " is " +
                                        std::string(to_string(cur.status)) + ", not issuing");
}

Result<void> SqlTx::set_status(std::string_view ca_id, std::string_view serial, CertStatus to,
                               std::optional<CertStatus> expected) {
  std::vector<Value> p = {text(to_string(to)), Value{now()}, text(ca_id), text(serial)};
  std::string sql =
      "UPDATE certificates SET status = ?, updated_at = ? WHERE ca_id = ? AND serial = ?";
  if (expected) {
    sql += " AND status = ?";
    p.push_back(text(to_string(*expected)));
  }
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 1) return {};
  auto cur = HPKI_TRY(get_certificate(ca_id, serial));
  return fail(ErrorCode::kConflict,
              "certificate " + std::string(serial) + " is " + std::string(to_string(cur.status)) +
                  (expected ? ", expected " + std::string(to_string(*expected)) : std::string()));
}

Result<std::vector<CertificateRecord>> SqlTx::query_certificates(std::string_view rest,
                                                                 std::span<const Value> params) {
  auto rows =
      HPKI_TRY(conn_.query(cat({"SELECT ", kCertCols, " FROM certificates c ", rest}), params));
  return read_all<CertificateRecord>(rows, read_cert);
}

Result<CertificateRecord> SqlTx::get_certificate(std::string_view ca_id, std::string_view serial) {
  const Value p[] = {text(ca_id), text(serial)};
  auto v = HPKI_TRY(query_certificates("WHERE c.ca_id = ? AND c.serial = ?", p));
  if (v.empty()) {
    return fail(ErrorCode::kNotFound,
                "no certificate " + std::string(serial) + " of CA " + std::string(ca_id));
  }
  return std::move(v[0]);
}

Result<std::vector<CertificateRecord>> SqlTx::find_certificates_by_serial(std::string_view serial) {
  const Value p[] = {text(serial)};
  return query_certificates("WHERE c.serial = ? ORDER BY c.ca_id", p);
}

Result<std::string> SqlTx::filter_sql(const CertificateFilter& f,
                                      std::vector<Value>& params) const {
  std::string w = "WHERE 1 = 1";
  if (f.ca_id) {
    w += " AND c.ca_id = ?";
    params.push_back(text(*f.ca_id));
  }
  if (!f.serial_prefix.empty()) {
    auto prefix = HPKI_TRY(normalize_hex_prefix(f.serial_prefix));
    w += " AND c.serial LIKE ?";
    params.push_back(text(prefix + "%"));
  }
  if (!f.subject_contains.empty()) {
    // lower() of both: SQLite's LIKE ignores ASCII case, PostgreSQL's does not.
    w += " AND lower(c.subject) LIKE ? ESCAPE '\\'";
    params.push_back(text("%" + like_escape(ascii_lower(f.subject_contains)) + "%"));
  }
  if (f.org) {
    w += " AND c.org = ?";
    params.push_back(text(*f.org));
  }
  if (f.dept) {
    w += " AND c.dept = ?";
    params.push_back(text(*f.dept));
  }
  if (f.profile) {
    w += " AND c.profile = ?";
    params.push_back(text(*f.profile));
  }
  if (f.subject_id) {
    w += " AND c.subject_id = ?";
    params.push_back(Value{*f.subject_id});
  }
  if (f.subject_id_number_hash) {
    w += " AND c.subject_id IN (SELECT id FROM subjects WHERE id_number_hash = ?)";
    params.push_back(blob(*f.subject_id_number_hash));
  }
  if (!f.statuses.empty()) {
    w += " AND c.status IN (";
    for (std::size_t i = 0; i < f.statuses.size(); ++i) {
      w += i == 0 ? "?" : ", ?";
      params.push_back(text(to_string(f.statuses[i])));
    }
    w += ")";
  }
  if (f.not_after_from) {
    w += " AND c.not_after >= ?";
    params.push_back(Value{to_unix(*f.not_after_from)});
  }
  if (f.not_after_to) {
    w += " AND c.not_after <= ?";
    params.push_back(Value{to_unix(*f.not_after_to)});
  }
  return w;
}

Result<std::vector<CertificateRecord>> SqlTx::search_certificates(const CertificateFilter& f) {
  if (f.limit < 1 || f.limit > kMaxSearchLimit) {
    return fail(ErrorCode::kInvalidArgument, "search limit out of range");
  }
  if (f.offset < 0) return fail(ErrorCode::kInvalidArgument, "search offset is negative");
  std::vector<Value> p;
  auto where = HPKI_TRY(filter_sql(f, p));
  where += " ORDER BY c.created_at DESC, c.ca_id, c.serial LIMIT ? OFFSET ?";
  p.push_back(Value{f.limit});
  p.push_back(Value{f.offset});
  return query_certificates(where, p);
}

Result<std::int64_t> SqlTx::count_certificates(const CertificateFilter& f) {
  std::vector<Value> p;
  auto where = HPKI_TRY(filter_sql(f, p));
  auto rows = HPKI_TRY(conn_.query("SELECT COUNT(*) FROM certificates c " + where, p));
  if (rows.empty()) return fail(ErrorCode::kStorage, "COUNT returned no row");
  return col_int(rows[0], 0, "count");
}

Result<std::vector<CertificateRecord>> SqlTx::list_issuing_without_der() {
  return query_certificates(
      "WHERE c.status = 'issuing' AND c.der IS NULL ORDER BY c.created_at, c.ca_id, c.serial", {});
}

// ---------------------------------------------------------------- revocations

Result<void> SqlTx::insert_revocation(const RevocationRecord& rev) {
  if (!is_serial_hex(rev.serial)) {
    return fail(ErrorCode::kInvalidArgument, "serial is not lowercase hex: " + rev.serial);
  }
  const Value p[] = {text(rev.ca_id), text(rev.serial), Value{std::int64_t{rev.reason}},
                     Value{to_unix(rev.revoked_at)}, opt(rev.invalidity_date)};
  auto n = HPKI_TRY(
      conn_.exec("INSERT INTO revocations (ca_id, serial, reason, revoked_at, invalidity_date) "
                 "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 p));
  return expect_one(n, "revocation of " + rev.serial);
}

Result<void> SqlTx::delete_revocation(std::string_view ca_id, std::string_view serial) {
  const Value p[] = {text(ca_id), text(serial)};
  auto n = HPKI_TRY(conn_.exec("DELETE FROM revocations WHERE ca_id = ? AND serial = ?", p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no revocation of " + std::string(serial));
  return {};
}

Result<std::optional<RevocationRecord>> SqlTx::find_revocation(std::string_view ca_id,
                                                               std::string_view serial) {
  const Value p[] = {text(ca_id), text(serial)};
  auto rows = HPKI_TRY(conn_.query(
      cat({"SELECT ", kRevCols, " FROM revocations r WHERE r.ca_id = ? AND r.serial = ?"}), p));
  if (rows.empty()) return std::nullopt;
  return read_rev(rows[0]);
}

Result<std::vector<RevocationRecord>> SqlTx::list_revocations(
    std::string_view ca_id, std::optional<std::int64_t> crl_shard) {
  std::vector<Value> p = {text(ca_id)};
  std::string sql = cat({"SELECT ", kRevCols,
                         " FROM revocations r JOIN certificates c ON c.ca_id = r.ca_id AND "
                         "c.serial = r.serial WHERE r.ca_id = ?"});
  if (crl_shard) {
    sql += " AND c.crl_shard = ?";
    p.push_back(Value{*crl_shard});
  }
  sql += " ORDER BY r.serial";
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_all<RevocationRecord>(rows, read_rev);
}

// ---------------------------------------------------------------- subjects

Result<std::int64_t> SqlTx::insert_subject(const SubjectRecord& s) {
  std::vector<Value> p = subject_values(s);
  p.push_back(Value{now()});
  static const std::string sql = cat({"INSERT INTO subjects (", kSubjectWriteCols,
                                      ", created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                                      "?, ?, ?) ON CONFLICT DO NOTHING RETURNING id"});
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) {
    return fail(ErrorCode::kConflict, "a subject with this identifier already exists");
  }
  return col_int(rows[0], 0, "subjects.id");
}

Result<SubjectRecord> SqlTx::get_subject(std::int64_t id) {
  const Value p[] = {Value{id}};
  auto rows =
      HPKI_TRY(conn_.query(cat({"SELECT ", kSubjectCols, " FROM subjects WHERE id = ?"}), p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(id));
  return read_subject(rows[0]);
}

Result<void> SqlTx::update_subject(const SubjectRecord& s) {
  std::vector<Value> p = subject_values(s);
  p.push_back(Value{s.id});
  auto n = HPKI_TRY(conn_.exec(
      "UPDATE subjects SET kind = ?, name = ?, org = ?, dept = ?, province = ?, city = ?, "
      "email = ?, dns = ?, id_number_enc = ?, id_number_hash = ?, staff_no = ?, licence_no = ?, "
      "org_code = ? WHERE id = ?",
      p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(s.id));
  return {};
}

Result<void> SqlTx::delete_subject(std::int64_t id) {
  const Value p[] = {Value{id}};
  // Checked first so that the transaction stays usable (a foreign-key error would abort it
  // on PostgreSQL); the constraint still guards against races.
  auto refs = HPKI_TRY(conn_.query("SELECT COUNT(*) FROM certificates WHERE subject_id = ?", p));
  if (!refs.empty() && HPKI_TRY(col_int(refs[0], 0, "count")) > 0) {
    return fail(ErrorCode::kConflict,
                "subject " + std::to_string(id) + " is referred to by certificates");
  }
  auto n = HPKI_TRY(conn_.exec("DELETE FROM subjects WHERE id = ?", p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(id));
  return {};
}

Result<std::optional<SubjectRecord>> SqlTx::find_subject_by_id_hash(std::string_view org,
                                                                    BytesView id_number_hash) {
  const Value p[] = {text(org), blob(id_number_hash)};
  auto rows = HPKI_TRY(conn_.query(
      cat({"SELECT ", kSubjectCols, " FROM subjects WHERE org = ? AND id_number_hash = ?"}), p));
  if (rows.empty()) return std::nullopt;
  return read_subject(rows[0]);
}

Result<std::vector<SubjectRecord>> SqlTx::list_subjects(std::optional<SubjectKind> kind,
                                                        std::optional<std::string> org,
                                                        std::int64_t limit, std::int64_t offset) {
  if (limit < 1 || limit > kMaxSearchLimit || offset < 0) {
    return fail(ErrorCode::kInvalidArgument, "list limit or offset out of range");
  }
  std::vector<Value> p;
  std::string sql = cat({"SELECT ", kSubjectCols, " FROM subjects WHERE 1 = 1"});
  if (kind) {
    sql += " AND kind = ?";
    p.push_back(text(to_string(*kind)));
  }
  if (org) {
    sql += " AND org = ?";
    p.push_back(text(*org));
  }
  sql += " ORDER BY id LIMIT ? OFFSET ?";
  p.push_back(Value{limit});
  p.push_back(Value{offset});
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_all<SubjectRecord>(rows, read_subject);
}

// ---------------------------------------------------------------- audit

Result<std::optional<AuditRecord>> SqlTx::lock_audit_tail() {
  // After an append in this transaction the tail is known (and on PostgreSQL the lock is held
  // until commit): no second look-up per entry when a batch appends many.
  if (audit_tail_known_) return audit_tail_;
  if (dialect() == Dialect::kPostgres) {
    // Held until commit or rollback, across all connections to this database.
    const Value p[] = {Value{kAuditLockKey}};
    HPKI_TRY(conn_.query("SELECT pg_advisory_xact_lock(?)", p));
  }
  // SQLite: every transaction starts with BEGIN IMMEDIATE, which already holds the one
  // write lock of the database file.
  audit_tail_ = HPKI_TRY(last_audit());
  audit_tail_known_ = true;
  return audit_tail_;
}

Result<std::int64_t> SqlTx::append_audit(const AuditRecord& e) {
  std::int64_t last = 0;
  if (audit_tail_known_) {
    last = audit_tail_ ? audit_tail_->seq : 0;
  } else {
    auto tail = HPKI_TRY(conn_.query("SELECT COALESCE(MAX(seq), 0) FROM audit_log", {}));
    last = tail.empty() ? 0 : HPKI_TRY(col_int(tail[0], 0, "max(seq)"));
  }
  std::int64_t seq = e.seq;
  if (seq == 0) {
    seq = last + 1;
  } else if (seq <= last) {
    return fail(ErrorCode::kInvalidArgument, "audit seq " + std::to_string(seq) +
                                                 " is not after the last one (" +
                                                 std::to_string(last) + ")");
  }
  audit_tail_ = e;
  audit_tail_->seq = seq;
  audit_tail_known_ = true;
  pending_audit_.push_back(*audit_tail_);
  return seq;
}

Result<std::int64_t> SqlTx::exec_rows_here(std::string_view head, std::size_t cols,
                                           std::span<const Value> values, std::string_view tail) {
  return exec_rows(
      [this](std::string_view sql, std::span<const Value> v) { return conn_.exec(sql, v); }, head,
      cols, values, tail);
}

Result<void> SqlTx::flush_audit() {
  if (pending_audit_.empty()) return {};
  std::vector<Value> p;
  p.reserve(pending_audit_.size() * kAuditColCount);
  for (const AuditRecord& e : pending_audit_) {
    for (Value v : {Value{e.seq}, Value{to_unix(e.at)}, text(e.actor), text(e.action),
                    text(e.object), text(e.outcome), text(e.details), text(e.hash_alg),
                    blob(e.prev_hash), blob(e.hash), text(e.org)}) {
      p.push_back(std::move(v));
    }
  }
  auto n = HPKI_TRY(exec_rows_here(cat({"INSERT INTO audit_log (", kAuditCols, ")"}),
                                   kAuditColCount, p, "ON CONFLICT DO NOTHING"));
  if (n != static_cast<std::int64_t>(pending_audit_.size())) {
    return fail(ErrorCode::kConflict, "audit seq " + std::to_string(pending_audit_.front().seq) +
                                          ".." + std::to_string(pending_audit_.back().seq) +
                                          ": an entry with one of these seqs already exists");
  }
  pending_audit_.clear();
  return {};
}

Result<void> SqlTx::run(Connection& conn, const Clock& clock, const Store::TxFn& fn) {
  SqlTx tx(conn, clock);
  HPKI_TRY(fn(tx));
  return tx.flush_audit();
}

Result<std::vector<AuditRecord>> SqlTx::read_audit(std::int64_t from_seq, std::int64_t limit,
                                                   std::optional<std::string> org) {
  if (limit < 1) return fail(ErrorCode::kInvalidArgument, "audit read limit must be positive");
  HPKI_TRY(flush_audit());
  if (org) {
    const Value p[] = {text(*org), Value{from_seq}, Value{limit}};
    auto rows = HPKI_TRY(conn_.query(cat({"SELECT ", kAuditCols,
                                          " FROM audit_log WHERE org = ? AND seq >= ? ORDER BY "
                                          "seq LIMIT ?"}),
                                     p));
    return read_all<AuditRecord>(rows, read_audit_row);
  }
  const Value p[] = {Value{from_seq}, Value{limit}};
  auto rows = HPKI_TRY(conn_.query(
      cat({"SELECT ", kAuditCols, " FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?"}), p));
  return read_all<AuditRecord>(rows, read_audit_row);
}

Result<std::optional<AuditRecord>> SqlTx::last_audit() {
  HPKI_TRY(flush_audit());
  auto rows = HPKI_TRY(
      conn_.query(cat({"SELECT ", kAuditCols, " FROM audit_log ORDER BY seq DESC LIMIT 1"}), {}));
  if (rows.empty()) return std::nullopt;
  return read_audit_row(rows[0]);
}

Result<void> SqlTx::insert_checkpoint(const AuditCheckpoint& c) {
  HPKI_TRY(flush_audit());
  const Value p[] = {Value{c.seq},      Value{c.tree_size}, blob(c.root_hash),
                     blob(c.signature), text(c.key_ref),    Value{to_unix(c.signed_at)}};
  auto n = HPKI_TRY(conn_.exec(
      "INSERT INTO audit_checkpoints (seq, tree_size, root_hash, signature, key_ref, signed_at) "
      "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      p));
  return expect_one(n, "checkpoint at seq " + std::to_string(c.seq));
}

Result<std::vector<AuditCheckpoint>> SqlTx::list_checkpoints() {
  auto rows = HPKI_TRY(conn_.query(
      "SELECT seq, tree_size, root_hash, signature, key_ref, signed_at FROM audit_checkpoints "
      "ORDER BY seq",
      {}));
  return read_all<AuditCheckpoint>(rows, [](const Row& r) -> Result<AuditCheckpoint> {
    AuditCheckpoint c;
    c.seq = HPKI_TRY(col_int(r, 0, "audit_checkpoints.seq"));
    c.tree_size = HPKI_TRY(col_int(r, 1, "audit_checkpoints.tree_size"));
    c.root_hash = HPKI_TRY(col_blob(r, 2, "audit_checkpoints.root_hash"));
    c.signature = HPKI_TRY(col_blob(r, 3, "audit_checkpoints.signature"));
    c.key_ref = HPKI_TRY(col_text(r, 4, "audit_checkpoints.key_ref"));
    c.signed_at = HPKI_TRY(col_time(r, 5, "audit_checkpoints.signed_at"));
    return c;
  });
}

// ---------------------------------------------------------------- key refs, API keys

Result<void> SqlTx::insert_key_ref(const KeyRefRecord& k) {
  if (k.id.empty()) return fail(ErrorCode::kInvalidArgument, "key reference id is empty");
  const Value p[] = {text(k.id), text(k.store_kind), text(k.label), text(k.key_type), Value{now()}};
  auto n = HPKI_TRY(conn_.exec(cat({"INSERT INTO key_refs (", kKeyRefCols,
                                    ") VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"}),
                               p));
  return expect_one(n, "key reference " + k.id);
}

Result<KeyRefRecord> SqlTx::get_key_ref(std::string_view id) {
  const Value p[] = {text(id)};
  auto rows =
      HPKI_TRY(conn_.query(cat({"SELECT ", kKeyRefCols, " FROM key_refs WHERE id = ?"}), p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no key reference " + std::string(id));
  return read_key_ref(rows[0]);
}

Result<std::vector<KeyRefRecord>> SqlTx::list_key_refs() {
  auto rows =
      HPKI_TRY(conn_.query(cat({"SELECT ", kKeyRefCols, " FROM key_refs ORDER BY id"}), {}));
  return read_all<KeyRefRecord>(rows, read_key_ref);
}

Result<void> SqlTx::insert_api_key(const ApiKeyRecord& k) {
  if (k.id.empty() || k.hash.empty()) {
    return fail(ErrorCode::kInvalidArgument, "API key id or hash is empty");
  }
  const Value p[] = {text(k.id),  blob(k.hash), text(k.role),
                     text(k.org), Value{now()}, opt(k.revoked_at)};
  auto n = HPKI_TRY(conn_.exec(cat({"INSERT INTO api_keys (", kApiKeyCols,
                                    ") VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"}),
                               p));
  return expect_one(n, "API key " + k.id);
}

Result<std::optional<ApiKeyRecord>> SqlTx::find_api_key_by_hash(BytesView hash) {
  const Value p[] = {blob(hash)};
  auto rows =
      HPKI_TRY(conn_.query(cat({"SELECT ", kApiKeyCols, " FROM api_keys WHERE hash = ?"}), p));
  if (rows.empty()) return std::nullopt;
  return read_api_key(rows[0]);
}

Result<std::vector<ApiKeyRecord>> SqlTx::list_api_keys() {
  auto rows = HPKI_TRY(
      conn_.query(cat({"SELECT ", kApiKeyCols, " FROM api_keys ORDER BY created_at, id"}), {}));
  return read_all<ApiKeyRecord>(rows, read_api_key);
}

Result<void> SqlTx::revoke_api_key(std::string_view id, TimePoint at) {
  const Value p[] = {Value{to_unix(at)}, text(id)};
  auto n = HPKI_TRY(
      conn_.exec("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no active API key " + std::string(id));
  return {};
}

// ---------------------------------------------------------------- CRLs

Result<void> SqlTx::insert_crl(const CrlRecord& crl) {
  if (crl.name.empty()) return fail(ErrorCode::kInvalidArgument, "CRL name is empty");
  if (crl.der.empty()) return fail(ErrorCode::kInvalidArgument, "CRL without DER");
  const Value p[] = {text(crl.name),
                     Value{crl.crl_number},
                     text(crl.ca_id),
                     Value{crl.shard},
                     Value{std::int64_t{crl.delta ? 1 : 0}},
                     opt(crl.base_crl_number),
                     Value{to_unix(crl.this_update)},
                     Value{to_unix(crl.next_update)},
                     Value{crl.entries},
                     blob(crl.der),
                     Value{now()}};
  auto n = HPKI_TRY(conn_.exec(
      "INSERT INTO crls (name, crl_number, ca_id, shard, delta, base_crl_number, this_update, "
      "next_update, entries, der, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT DO NOTHING",
      p));
  return expect_one(n, "CRL " + crl.name + " number " + std::to_string(crl.crl_number));
}

Result<std::optional<CrlRecord>> SqlTx::latest_crl(std::string_view name, bool with_der) {
  const Value p[] = {text(name)};
  auto rows = HPKI_TRY(conn_.query(
      cat({"SELECT name, crl_number, ca_id, shard, delta, base_crl_number, this_update, "
           "next_update, entries, created_at, ",
           with_der ? "der" : "NULL",
           " FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT 1"}),
      p));
  if (rows.empty()) return std::nullopt;
  const Row& r = rows[0];
  CrlRecord c;
  c.name = HPKI_TRY(col_text(r, 0, "crls.name"));
  c.crl_number = HPKI_TRY(col_int(r, 1, "crls.crl_number"));
  c.ca_id = HPKI_TRY(col_text(r, 2, "crls.ca_id"));
  c.shard = HPKI_TRY(col_int(r, 3, "crls.shard"));
  c.delta = HPKI_TRY(col_int(r, 4, "crls.delta")) != 0;
  c.base_crl_number = HPKI_TRY(col_opt_int(r, 5, "crls.base_crl_number"));
  c.this_update = HPKI_TRY(col_time(r, 6, "crls.this_update"));
  c.next_update = HPKI_TRY(col_time(r, 7, "crls.next_update"));
  c.entries = HPKI_TRY(col_int(r, 8, "crls.entries"));
  c.created_at = HPKI_TRY(col_time(r, 9, "crls.created_at"));
  if (with_der) c.der = HPKI_TRY(col_blob(r, 10, "crls.der"));
  return c;
}

Result<std::int64_t> SqlTx::prune_crls(std::string_view name, int keep) {
  if (keep < 1) return fail(ErrorCode::kInvalidArgument, "prune_crls: keep at least one CRL");
  const Value p[] = {text(name), text(name), Value{std::int64_t{keep}}};
  return conn_.exec(
      "DELETE FROM crls WHERE name = ? AND crl_number < (SELECT MIN(crl_number) FROM (SELECT "
      "crl_number FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT ?) AS newest)",
      p);
}

// ---------------------------------------------------------------- counters

Result<std::int64_t> SqlTx::reserve_counter(std::string_view name, std::int64_t count) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "counter name is empty");
  if (count < 1) {
    return fail(ErrorCode::kInvalidArgument,
                "counter " + std::string(name) + ": cannot reserve " + std::to_string(count));
  }
  const Value p[] = {text(name), Value{count}, Value{count}};
  // One statement: the row lock (PostgreSQL) or the database write lock (SQLite) orders
  // concurrent callers, so values are unique and increase in commit order.
  auto rows = HPKI_TRY(
      conn_.query("INSERT INTO counters (name, value) VALUES (?, ?) "
                  "ON CONFLICT (name) DO UPDATE SET value = counters.value + ? RETURNING value",
                  p));
  if (rows.empty()) return fail(ErrorCode::kStorage, "counter update returned no row");
  const auto last = HPKI_TRY(col_int(rows[0], 0, "counters.value"));
  return last - count + 1;
}

// ---------------------------------------------------------------- timestamps

namespace {
// The record's columns in `timestamps`; the token is in `timestamp_tokens` (schema version 5).
constexpr std::string_view kTimestampCols =
    "serial, tsa_id, gen_time, hash_alg, imprint, policy, nonce, requester, created_at, cert_req, "
    "org";
constexpr std::size_t kTimestampColCount = 11;

Result<TimestampRecord> read_timestamp(const Row& r) {
  TimestampRecord t;
  t.serial = HPKI_TRY(col_int(r, 0, "timestamps.serial"));
  t.tsa_id = HPKI_TRY(col_text(r, 1, "timestamps.tsa_id"));
  t.gen_time = HPKI_TRY(col_time(r, 2, "timestamps.gen_time"));
  t.hash_alg = HPKI_TRY(col_text(r, 3, "timestamps.hash_alg"));
  t.imprint = HPKI_TRY(col_blob(r, 4, "timestamps.imprint"));
  t.policy = HPKI_TRY(col_text(r, 5, "timestamps.policy"));
  t.nonce = HPKI_TRY(col_opt_blob(r, 6, "timestamps.nonce"));
  t.requester = HPKI_TRY(col_text(r, 7, "timestamps.requester"));
  t.created_at = HPKI_TRY(col_time(r, 8, "timestamps.created_at"));
  t.cert_req = HPKI_TRY(col_int(r, 9, "timestamps.cert_req")) != 0;
  t.org = HPKI_TRY(col_text(r, 10, "timestamps.org"));
  t.token = HPKI_TRY(col_opt_blob(r, 11, "timestamp_tokens.token"));
  return t;
}

// "timestamp 7" or "one of timestamps 7..25", for errors about a batch.
template <typename T>
std::string serials_text(std::span<const T> ts) {
  if (ts.size() == 1) return "timestamp " + std::to_string(ts[0].serial);
  return "one of timestamps " + std::to_string(ts.front().serial) + ".." +
         std::to_string(ts.back().serial);
}
}  // namespace

Result<void> SqlTx::insert_timestamps(std::span<const TimestampRecord> ts) {
  if (ts.empty()) return {};
  std::vector<Value> p;
  p.reserve(ts.size() * kTimestampColCount);
  std::vector<TimestampToken> tokens;
  const std::int64_t created = now();
  for (const TimestampRecord& t : ts) {
    if (t.serial <= 0 || t.tsa_id.empty() || t.hash_alg.empty() || t.policy.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "timestamp record: serial, TSA, hash or policy empty");
    }
    for (Value v : {Value{t.serial}, text(t.tsa_id), Value{to_unix(t.gen_time)}, text(t.hash_alg),
                    blob(t.imprint), text(t.policy), opt(t.nonce), text(t.requester),
                    Value{created}, Value{std::int64_t{t.cert_req ? 1 : 0}}, text(t.org)}) {
      p.push_back(std::move(v));
    }
    if (t.token) tokens.push_back({.serial = t.serial, .token = *t.token});
  }
  auto n = HPKI_TRY(exec_rows_here(cat({"INSERT INTO timestamps (", kTimestampCols, ")"}),
                                   kTimestampColCount, p, "ON CONFLICT DO NOTHING"));
  if (n != static_cast<std::int64_t>(ts.size()))
    return fail(ErrorCode::kConflict, serials_text(ts) + ": already recorded");
  return set_timestamp_tokens(tokens);
}

Result<void> SqlTx::set_timestamp_tokens(std::span<const TimestampToken> ts) {
  if (ts.empty()) return {};
  std::vector<Value> p;
  p.reserve(ts.size() * 2);
  for (const TimestampToken& t : ts) {
    p.push_back(Value{t.serial});
    p.push_back(blob(t.token));
  }
  // Appended, one row per token; only for recorded serials (the join), so a count short of the
  // list names an unknown serial. A stored token is never replaced (primary key: kConflict).
  // Both dialects name a VALUES list's columns column1, column2.
  auto n = HPKI_TRY(exec_rows_here(
      "INSERT INTO timestamp_tokens (serial, token) SELECT v.column1, v.column2 FROM (", 2, p,
      ") AS v JOIN timestamps t ON t.serial = v.column1"));
  if (n != static_cast<std::int64_t>(ts.size()))
    return fail(ErrorCode::kNotFound, serials_text(ts) + ": not recorded");
  return {};
}

Result<TimestampRecord> SqlTx::get_timestamp(std::int64_t serial) {
  const Value p[] = {Value{serial}};
  auto rows = HPKI_TRY(conn_.query(
      cat({"SELECT ", kTimestampCols,
           ", (SELECT token FROM timestamp_tokens k WHERE k.serial = timestamps.serial) "
           "FROM timestamps WHERE serial = ?"}),
      p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no timestamp " + std::to_string(serial));
  return read_timestamp(rows[0]);
}

Result<std::optional<TimePoint>> SqlTx::last_timestamp_time() {
  auto rows = HPKI_TRY(conn_.query("SELECT MAX(gen_time) FROM timestamps", {}));
  if (rows.empty()) return std::optional<TimePoint>{};
  return col_opt_time(rows[0], 0, "MAX(timestamps.gen_time)");
}

// ---------------------------------------------------------------- raw

Result<std::int64_t> SqlTx::exec(std::string_view sql, std::span<const Value> params) {
  HPKI_TRY(flush_audit());  // raw SQL may read or change the audit log
  audit_tail_.reset();
  audit_tail_known_ = false;
  if (params.empty()) return conn_.exec_script(sql);
  return conn_.exec(sql, params);
}

Result<std::vector<Row>> SqlTx::query(std::string_view sql, std::span<const Value> params) {
  HPKI_TRY(flush_audit());  // raw SQL may read or change the audit log
  audit_tail_.reset();
  audit_tail_known_ = false;
  return conn_.query(sql, params);
}

}  // namespace hpki::store::detail
