// SqlTx (store/detail/sql_tx.h): certificates, revocations and the status reads of the OCSP
// responder.
#include "store/detail/sql_tx.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"

namespace hpki::store::detail {

// ---------------------------------------------------------------- certificates

namespace {

// Schema 7: a certificate record is a signed certificate (the never-delivered records of older
// versions are the only ones without DER; nothing writes them any more).
Result<void> check_certificate(const CertificateRecord& rec) {
  if (rec.serial.empty()) return fail(ErrorCode::kInvalidArgument, "no serial");
  if (!rec.der || rec.der->empty()) {
    return fail(ErrorCode::kInvalidArgument, "certificate " + rec.serial.hex() + " has no DER");
  }
  if (rec.status == CertStatus::kIssuing || rec.status == CertStatus::kNeverDelivered) {
    return fail(ErrorCode::kInvalidArgument,
                "a new certificate record cannot be " + std::string(to_string(rec.status)));
  }
  return {};
}

// Serial filters accept any case, colons ("0A:1B") and a leading "0x", like Serial::parse.
Result<std::string> normalize_hex_prefix(std::string_view in) {
  if (in.starts_with("0x") || in.starts_with("0X")) in.remove_prefix(2);
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

}  // namespace

namespace {
std::string serial_taken(const CertificateRecord& rec) {
  return "serial " + rec.serial.hex() + " of CA " + rec.ca_id + " already exists";
}
}  // namespace

Result<void> SqlTx::insert_certificate(const CertificateRecord& rec) {
  HPKI_TRY(check_certificate(rec));
  std::vector<Value> p;
  p.reserve(written_count(kCertificates));
  bind_row(kCertificates, rec, now(), p);
  if (conn_.pipelined()) {
    // Deferred: a taken serial must fail in the database (a unique violation, which aborts the
    // transaction), not by a row count read after COMMIT was sent.
    static const std::string plain = cat({"INSERT INTO certificates (", insert_list(kCertificates),
                                          ") VALUES ", placeholders(kCertificates)});
    return conn_.exec_deferred(plain, p, {.table = "certificates", .conflict = serial_taken(rec)});
  }
  // ON CONFLICT DO NOTHING rather than a unique violation: on PostgreSQL an error would abort
  // the transaction, and the caller wants to draw another serial in the same one.
  static const std::string sql =
      cat({"INSERT INTO certificates (", insert_list(kCertificates), ") VALUES ",
           placeholders(kCertificates), " ON CONFLICT DO NOTHING"});
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kConflict, serial_taken(rec));
  return {};
}

Result<void> SqlTx::insert_certificate_with_new_subject(const CertificateRecord& rec,
                                                        const SubjectRecord& s) {
  if (!conn_.pipelined()) {
    HPKI_TRY(insert_certificate_with_subject(rec, s));
    return {};
  }
  HPKI_TRY(check_certificate(rec));
  const std::int64_t t = now();
  // One deferred statement; a taken serial fails it (a unique violation: the subject is not
  // kept either, the transaction is aborted).
  static const std::string sql =
      cat({"WITH s AS (INSERT INTO subjects (", insert_list(kSubjects), ") VALUES ",
           placeholders(kSubjects), " RETURNING id) INSERT INTO certificates (",
           insert_list(kCertificates, kOfNewSubject), ", subject_id) SELECT ",
           pg_cast_placeholders(kCertificates, kOfNewSubject), ", s.id FROM s"});
  std::vector<Value> p;
  p.reserve(written_count(kSubjects) + written_count(kCertificates, kOfNewSubject));
  bind_row(kSubjects, s, t, p);
  bind_row(kCertificates, rec, t, p, kOfNewSubject);
  return conn_.exec_deferred(sql, p, {.table = "certificates", .conflict = serial_taken(rec)});
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
  HPKI_TRY(check_certificate(rec));
  const std::int64_t t = now();
  // One statement: the subject is inserted only when the serial is free, the certificate
  // references it. Parameters are cast: in a SELECT list PostgreSQL cannot infer their types.
  static const std::string sql =
      cat({"WITH s AS (INSERT INTO subjects (", insert_list(kSubjects), ") SELECT ",
           pg_cast_placeholders(kSubjects),
           " WHERE NOT EXISTS (SELECT 1 FROM certificates WHERE ca_id = ?::text AND serial = "
           "?::text) RETURNING id) "
           "INSERT INTO certificates (",
           insert_list(kCertificates, kOfNewSubject), ", subject_id) SELECT ",
           pg_cast_placeholders(kCertificates, kOfNewSubject),
           ", s.id FROM s ON CONFLICT DO NOTHING RETURNING subject_id"});
  std::vector<Value> p;
  p.reserve(written_count(kSubjects) + 2 + written_count(kCertificates, kOfNewSubject));
  bind_row(kSubjects, s, t, p);
  p.push_back(text(rec.ca_id));
  p.push_back(text(rec.serial.hex()));
  bind_row(kCertificates, rec, t, p, kOfNewSubject);
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kConflict, serial_taken(rec));
  return scalar<std::int64_t>(rows, {"certificates", "subject_id"});
}

Result<void> SqlTx::set_status(std::string_view ca_id, const Serial& serial, CertStatus to,
                               std::optional<CertStatus> expected) {
  std::vector<Value> p = {text(to_string(to)), Value{now()}, text(ca_id), text(serial.hex())};
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
              "certificate " + serial.hex() + " is " + std::string(to_string(cur.status)) +
                  (expected ? ", expected " + std::string(to_string(*expected)) : std::string()));
}

Result<std::vector<CertificateRecord>> SqlTx::query_certificates(std::string_view rest,
                                                                 std::span<const Value> params) {
  static const std::string head =
      cat({"SELECT ", select_list(kCertificates, "c"), " FROM certificates c "});
  auto rows = HPKI_TRY(conn_.query(cat({head, rest}), params));
  return read_rows(kCertificates, rows);
}

Result<CertificateRecord> SqlTx::get_certificate(std::string_view ca_id, const Serial& serial) {
  const Value p[] = {text(ca_id), text(serial.hex())};
  auto v = HPKI_TRY(query_certificates("WHERE c.ca_id = ? AND c.serial = ?", p));
  if (v.empty()) {
    return fail(ErrorCode::kNotFound,
                "no certificate " + serial.hex() + " of CA " + std::string(ca_id));
  }
  return std::move(v[0]);
}

Result<std::vector<CertificateRecord>> SqlTx::find_certificates_by_serial(const Serial& serial) {
  const Value p[] = {text(serial.hex())};
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
  return read_value<std::int64_t>(rows[0], 0, {{}, "count"});
}

Result<std::vector<LegacyReservation>> SqlTx::list_legacy_reservations() {
  // tbs_hash is a column of schema 6 only (the upgrade step runs before the SQL of step 7).
  auto rows =
      HPKI_TRY(conn_.query("SELECT ca_id, serial, org, tbs_hash FROM certificates WHERE status = "
                           "'issuing' AND der IS NULL ORDER BY created_at, ca_id, serial",
                           {}));
  std::vector<LegacyReservation> out;
  out.reserve(rows.size());
  for (auto& r : rows) {
    LegacyReservation l;
    l.ca_id = HPKI_TRY(read_value<std::string>(r, 0, {"certificates", "ca_id"}));
    l.serial = HPKI_TRY(read_value<Serial>(r, 1, {"certificates", "serial"}));
    l.org = HPKI_TRY(read_value<std::string>(r, 2, {"certificates", "org"}));
    l.tbs_hash = HPKI_TRY(read_value<Bytes>(r, 3, {"certificates", "tbs_hash"}));
    out.push_back(std::move(l));
  }
  return out;
}

// ---------------------------------------------------------------- revocations

Result<void> SqlTx::insert_revocation(const RevocationRecord& rev) {
  if (rev.serial.empty()) {
    return fail(ErrorCode::kInvalidArgument, "no serial");
  }
  static const std::string sql =
      cat({"INSERT INTO revocations (", insert_list(kRevocations), ") VALUES ",
           placeholders(kRevocations), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kRevocations));
  bind_row(kRevocations, rev, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "revocation of " + rev.serial.hex());
}

Result<void> SqlTx::delete_revocation(std::string_view ca_id, const Serial& serial) {
  const Value p[] = {text(ca_id), text(serial.hex())};
  auto n = HPKI_TRY(conn_.exec("DELETE FROM revocations WHERE ca_id = ? AND serial = ?", p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no revocation of " + serial.hex());
  return {};
}

Result<std::optional<RevocationRecord>> SqlTx::find_revocation(std::string_view ca_id,
                                                               const Serial& serial) {
  static const std::string sql = cat({"SELECT ", select_list(kRevocations, "r"),
                                      " FROM revocations r WHERE r.ca_id = ? AND r.serial = ?"});
  const Value p[] = {text(ca_id), text(serial.hex())};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kRevocations, rows[0]);
}

Result<std::vector<RevocationRecord>> SqlTx::list_revocations(
    std::string_view ca_id, std::optional<std::int64_t> crl_shard) {
  static const std::string head =
      cat({"SELECT ", select_list(kRevocations, "r"),
           " FROM revocations r JOIN certificates c ON c.ca_id = r.ca_id AND "
           "c.serial = r.serial WHERE r.ca_id = ?"});
  std::vector<Value> p = {text(ca_id)};
  std::string sql = head;
  if (crl_shard) {
    sql += " AND c.crl_shard = ?";
    p.push_back(Value{*crl_shard});
  }
  sql += " ORDER BY r.serial";
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kRevocations, rows);
}

// ---------------------------------------------------------------- status reads (OCSP)

Result<std::vector<CertStatusRecord>> SqlTx::cert_statuses_since(std::string_view ca_id,
                                                                 TimePoint since) {
  static const std::string sql =
      cat({"SELECT ", select_list(kCertStatuses, "c"),
           " FROM certificates c LEFT JOIN revocations r ON r.ca_id = c.ca_id AND r.serial = "
           "c.serial WHERE c.ca_id = ? AND c.updated_at >= ?"});
  const Value p[] = {text(ca_id), Value{to_unix(since)}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kCertStatuses, rows);
}

Result<std::optional<CertStatusRecord>> SqlTx::cert_status(std::string_view ca_id,
                                                           const Serial& serial) {
  static const std::string sql =
      cat({"SELECT ", select_list(kCertStatuses, "c"),
           " FROM certificates c LEFT JOIN revocations r ON r.ca_id = c.ca_id AND r.serial = "
           "c.serial WHERE c.ca_id = ? AND c.serial = ?"});
  const Value p[] = {text(ca_id), text(serial.hex())};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kCertStatuses, rows[0]);
}

Result<std::vector<CertStatusRecord>> SqlTx::cert_statuses(std::string_view ca_id,
                                                           std::span<const Serial> serials) {
  if (serials.empty()) return std::vector<CertStatusRecord>{};
  static const std::string before =
      cat({"SELECT ", select_list(kCertStatuses, "c"),
           " FROM certificates c LEFT JOIN revocations r ON r.ca_id = c.ca_id AND r.serial = "
           "c.serial WHERE c.ca_id = ? AND c.serial IN"});
  const Value fixed[] = {text(ca_id)};
  std::vector<Value> list;
  list.reserve(serials.size());
  for (const Serial& s : serials) list.emplace_back(s.hex());
  auto rows = HPKI_TRY(query_in(
      [this](std::string_view sql, std::span<const Value> v) { return conn_.query(sql, v); },
      before, fixed, list));
  return read_rows(kCertStatuses, rows);
}

}  // namespace hpki::store::detail
