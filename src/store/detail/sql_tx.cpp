#include "store/detail/sql_tx.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "store/detail/columns.h"

namespace hpki::store::detail {
namespace {

// --- descriptors: one per record type (store/detail/columns.h). The order of a descriptor's
// columns is the order of its SELECT and INSERT lists; adding a column to a record is one line
// here (and its migration).

constexpr Column<CaRecord> kCaColumns[] = {
    field<&CaRecord::id>("id"),
    field<&CaRecord::family>("family"),
    field<&CaRecord::role>("role"),
    field<&CaRecord::key_ref>("key_ref"),
    field<&CaRecord::certificate>("certificate"),
    field<&CaRecord::parent_id>("parent_id"),
    field<&CaRecord::subject>("subject"),
    field<&CaRecord::created_at>("created_at", Write::kStoreClock),
};
constexpr Descriptor<CaRecord> kCas{"cas", kCaColumns};

constexpr Column<CertificateRecord> kCertificateColumns[] = {
    field<&CertificateRecord::ca_id>("ca_id"),
    field<&CertificateRecord::serial>("serial"),
    field<&CertificateRecord::subject>("subject"),
    field<&CertificateRecord::org>("org"),
    field<&CertificateRecord::dept>("dept"),
    field<&CertificateRecord::subject_id>("subject_id"),
    field<&CertificateRecord::profile>("profile"),
    field<&CertificateRecord::status>("status"),
    field<&CertificateRecord::not_before>("not_before"),
    field<&CertificateRecord::not_after>("not_after"),
    field<&CertificateRecord::der>("der"),
    field<&CertificateRecord::request>("request"),
    field<&CertificateRecord::key_type>("key_type"),
    field<&CertificateRecord::requested_by>("requested_by"),
    field<&CertificateRecord::crl_shard>("crl_shard"),
    field<&CertificateRecord::created_at>("created_at", Write::kStoreClock),
    field<&CertificateRecord::updated_at>("updated_at", Write::kStoreClock),
};
constexpr Descriptor<CertificateRecord> kCertificates{"certificates", kCertificateColumns};
// With a new subject (PostgreSQL, one statement) a certificate's subject_id comes from the
// subject's INSERT.
constexpr ColumnSet kOfNewSubject = without(kCertificates, {"subject_id"});

constexpr Column<RevocationRecord> kRevocationColumns[] = {
    field<&RevocationRecord::ca_id>("ca_id"),
    field<&RevocationRecord::serial>("serial"),
    field<&RevocationRecord::reason>("reason"),
    field<&RevocationRecord::revoked_at>("revoked_at"),
    field<&RevocationRecord::invalidity_date>("invalidity_date"),
};
constexpr Descriptor<RevocationRecord> kRevocations{"revocations", kRevocationColumns};

constexpr Column<SubjectRecord> kSubjectColumns[] = {
    field<&SubjectRecord::id>("id", Write::kDatabase),
    field<&SubjectRecord::kind>("kind"),
    field<&SubjectRecord::name>("name"),
    field<&SubjectRecord::org>("org"),
    field<&SubjectRecord::dept>("dept"),
    field<&SubjectRecord::province>("province"),
    field<&SubjectRecord::city>("city"),
    field<&SubjectRecord::email>("email"),
    field<&SubjectRecord::dns>("dns"),  // a JSON array
    field<&SubjectRecord::id_number_enc>("id_number_enc"),
    field<&SubjectRecord::id_number_hash>("id_number_hash"),
    field<&SubjectRecord::staff_no>("staff_no"),
    field<&SubjectRecord::licence_no>("licence_no"),
    field<&SubjectRecord::org_code>("org_code"),
    field<&SubjectRecord::created_at>("created_at", Write::kStoreClock),
};
constexpr Descriptor<SubjectRecord> kSubjects{"subjects", kSubjectColumns};

constexpr Column<AuditRecord> kAuditColumns[] = {
    field<&AuditRecord::seq>("seq"),
    field<&AuditRecord::at>("at"),
    field<&AuditRecord::actor>("actor"),
    field<&AuditRecord::action>("action"),
    field<&AuditRecord::object>("object"),
    field<&AuditRecord::outcome>("outcome"),
    field<&AuditRecord::details>("details"),
    field<&AuditRecord::hash_alg>("hash_alg"),
    field<&AuditRecord::prev_hash>("prev_hash"),
    field<&AuditRecord::hash>("hash"),
    field<&AuditRecord::org>("org"),
};
constexpr Descriptor<AuditRecord> kAuditLog{"audit_log", kAuditColumns};

constexpr Column<AuditCheckpoint> kCheckpointColumns[] = {
    field<&AuditCheckpoint::seq>("seq"),
    field<&AuditCheckpoint::tree_size>("tree_size"),
    field<&AuditCheckpoint::root_hash>("root_hash"),
    field<&AuditCheckpoint::signature>("signature"),
    field<&AuditCheckpoint::key_ref>("key_ref"),
    field<&AuditCheckpoint::signed_at>("signed_at"),
};
constexpr Descriptor<AuditCheckpoint> kCheckpoints{"audit_checkpoints", kCheckpointColumns};

constexpr Column<KeyRefRecord> kKeyRefColumns[] = {
    field<&KeyRefRecord::id>("id"),
    field<&KeyRefRecord::store_kind>("store_kind"),
    field<&KeyRefRecord::label>("label"),
    field<&KeyRefRecord::key_type>("key_type"),
    field<&KeyRefRecord::created_at>("created_at", Write::kStoreClock),
};
constexpr Descriptor<KeyRefRecord> kKeyRefs{"key_refs", kKeyRefColumns};

constexpr Column<ApiKeyRecord> kApiKeyColumns[] = {
    field<&ApiKeyRecord::id>("id"),
    field<&ApiKeyRecord::hash>("hash"),
    field<&ApiKeyRecord::role>("role"),
    field<&ApiKeyRecord::org>("org"),
    field<&ApiKeyRecord::created_at>("created_at", Write::kStoreClock),
    field<&ApiKeyRecord::revoked_at>("revoked_at"),
};
constexpr Descriptor<ApiKeyRecord> kApiKeys{"api_keys", kApiKeyColumns};

constexpr Column<CrlRecord> kCrlColumns[] = {
    field<&CrlRecord::name>("name"),
    field<&CrlRecord::crl_number>("crl_number"),
    field<&CrlRecord::ca_id>("ca_id"),
    field<&CrlRecord::shard>("shard"),
    field<&CrlRecord::delta>("delta"),
    field<&CrlRecord::base_crl_number>("base_crl_number"),
    field<&CrlRecord::this_update>("this_update"),
    field<&CrlRecord::next_update>("next_update"),
    field<&CrlRecord::entries>("entries"),
    field<&CrlRecord::der>("der"),
    field<&CrlRecord::created_at>("created_at", Write::kStoreClock),
};
constexpr Descriptor<CrlRecord> kCrls{"crls", kCrlColumns};
constexpr ColumnSet kCrlWithoutDer = without(kCrls, {"der"});

// The record's columns in `timestamps`; its token is in `timestamp_tokens` (schema version 5),
// read by get_timestamp after these.
constexpr Column<TimestampRecord> kTimestampColumns[] = {
    field<&TimestampRecord::serial>("serial"),
    field<&TimestampRecord::tsa_id>("tsa_id"),
    field<&TimestampRecord::gen_time>("gen_time"),
    field<&TimestampRecord::hash_alg>("hash_alg"),
    field<&TimestampRecord::imprint>("imprint"),
    field<&TimestampRecord::policy>("policy"),
    field<&TimestampRecord::nonce>("nonce"),
    field<&TimestampRecord::requester>("requester"),
    field<&TimestampRecord::created_at>("created_at", Write::kStoreClock),
    field<&TimestampRecord::cert_req>("cert_req"),
    field<&TimestampRecord::org>("org"),
};
constexpr Descriptor<TimestampRecord> kTimestamps{"timestamps", kTimestampColumns};

// Written only (the token is read with its record).
constexpr Column<Tx::TimestampToken> kTimestampTokenColumns[] = {
    field<&Tx::TimestampToken::serial>("serial"),
    field<&Tx::TimestampToken::token>("token"),
};
constexpr Descriptor<Tx::TimestampToken> kTimestampTokens{"timestamp_tokens",
                                                          kTimestampTokenColumns};

constexpr Column<OcspResponseRecord> kOcspResponseColumns[] = {
    field<&OcspResponseRecord::ca_id>("ca_id"),
    field<&OcspResponseRecord::serial>("serial"),
    field<&OcspResponseRecord::status>("status"),
    field<&OcspResponseRecord::this_update>("this_update"),
    field<&OcspResponseRecord::next_update>("next_update"),
    field<&OcspResponseRecord::der>("der"),
};
constexpr Descriptor<OcspResponseRecord> kOcspResponses{"ocsp_responses", kOcspResponseColumns};
constexpr ColumnSet kOcspResponseNonKey = without(kOcspResponses, {"ca_id", "serial"});

// Read only: certificates c LEFT JOIN revocations r.
constexpr Column<CertStatusRecord> kCertStatusColumns[] = {
    field<&CertStatusRecord::serial>("serial"),
    field<&CertStatusRecord::status>("status"),
    field<&CertStatusRecord::updated_at>("updated_at"),
    field<&CertStatusRecord::reason>("reason").from("revocations", "r"),
    field<&CertStatusRecord::revoked_at>("revoked_at").from("revocations", "r"),
};
constexpr Descriptor<CertStatusRecord> kCertStatuses{"certificates", kCertStatusColumns};

// --- helpers

Value text(std::string_view s) { return Value{std::string(s)}; }
Value blob(BytesView b) { return Value{Bytes(b.begin(), b.end())}; }

// One value of a one-row result (COUNT(*), RETURNING id, MAX(...)).
template <typename T>
Result<T> scalar(std::vector<Row>& rows, ColumnName n) {
  if (rows.empty()) return fail(ErrorCode::kStorage, n.str() + ": no row");
  return read_value<T>(rows[0], 0, n);
}

Result<void> expect_one(std::int64_t changed, std::string_view what) {
  if (changed == 0) return fail(ErrorCode::kConflict, std::string(what) + " already exists");
  return {};
}

std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts) s += p;
  return s;
}

// The values of a descriptor's rows, for a multi-row INSERT.
template <typename Rec>
std::vector<Value> rows_values(const Descriptor<Rec>& d, std::span<const Rec> recs,
                               std::int64_t now) {
  std::vector<Value> p;
  p.reserve(recs.size() * written_count(d));
  for (const Rec& r : recs) bind_row(d, r, now, p);
  return p;
}

// pg_advisory_xact_lock key of the audit chain ("hpkiaudt").
constexpr std::int64_t kAuditLockKey = 0x68706b6961756474;

}  // namespace

// ---------------------------------------------------------------- CAs

Result<void> SqlTx::insert_ca(const CaRecord& ca) {
  if (ca.id.empty()) return fail(ErrorCode::kInvalidArgument, "CA id is empty");
  static const std::string sql = cat({"INSERT INTO cas (", insert_list(kCas), ") VALUES ",
                                      placeholders(kCas), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kCas));
  bind_row(kCas, ca, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "CA " + ca.id);
}

Result<CaRecord> SqlTx::get_ca(std::string_view id) {
  static const std::string sql = cat({"SELECT ", select_list(kCas), " FROM cas WHERE id = ?"});
  const Value p[] = {text(id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no CA " + std::string(id));
  return read_row(kCas, rows[0]);
}

Result<std::vector<CaRecord>> SqlTx::list_cas() {
  static const std::string sql =
      cat({"SELECT ", select_list(kCas), " FROM cas ORDER BY created_at, id"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kCas, rows);
}

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

// ---------------------------------------------------------------- subjects

Result<std::int64_t> SqlTx::insert_subject(const SubjectRecord& s) {
  static const std::string sql =
      cat({"INSERT INTO subjects (", insert_list(kSubjects), ") VALUES ", placeholders(kSubjects),
           " ON CONFLICT DO NOTHING RETURNING id"});
  std::vector<Value> p;
  p.reserve(written_count(kSubjects));
  bind_row(kSubjects, s, now(), p);
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) {
    return fail(ErrorCode::kConflict, "a subject with this identifier already exists");
  }
  return scalar<std::int64_t>(rows, {"subjects", "id"});
}

Result<SubjectRecord> SqlTx::get_subject(std::int64_t id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kSubjects), " FROM subjects WHERE id = ?"});
  const Value p[] = {Value{id}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(id));
  return read_row(kSubjects, rows[0]);
}

Result<void> SqlTx::update_subject(const SubjectRecord& s) {
  // Every field but id and created_at.
  static const std::string sql =
      cat({"UPDATE subjects SET ", set_list(kSubjects), " WHERE id = ?"});
  std::vector<Value> p;
  p.reserve(written_count(kSubjects));
  bind_fields(kSubjects, s, p);
  p.push_back(Value{s.id});
  auto n = HPKI_TRY(conn_.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(s.id));
  return {};
}

Result<void> SqlTx::delete_subject(std::int64_t id) {
  const Value p[] = {Value{id}};
  // Checked first so that the transaction stays usable (a foreign-key error would abort it
  // on PostgreSQL); the constraint still guards against races.
  auto refs = HPKI_TRY(conn_.query("SELECT COUNT(*) FROM certificates WHERE subject_id = ?", p));
  if (!refs.empty() && HPKI_TRY(read_value<std::int64_t>(refs[0], 0, {{}, "count"})) > 0) {
    return fail(ErrorCode::kConflict,
                "subject " + std::to_string(id) + " is referred to by certificates");
  }
  auto n = HPKI_TRY(conn_.exec("DELETE FROM subjects WHERE id = ?", p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no subject " + std::to_string(id));
  return {};
}

Result<std::optional<SubjectRecord>> SqlTx::find_subject_by_id_hash(std::string_view org,
                                                                    BytesView id_number_hash) {
  static const std::string sql = cat(
      {"SELECT ", select_list(kSubjects), " FROM subjects WHERE org = ? AND id_number_hash = ?"});
  const Value p[] = {text(org), blob(id_number_hash)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kSubjects, rows[0]);
}

Result<std::vector<SubjectRecord>> SqlTx::list_subjects(std::optional<SubjectKind> kind,
                                                        std::optional<std::string> org,
                                                        std::int64_t limit, std::int64_t offset) {
  if (limit < 1 || limit > kMaxSearchLimit || offset < 0) {
    return fail(ErrorCode::kInvalidArgument, "list limit or offset out of range");
  }
  static const std::string head =
      cat({"SELECT ", select_list(kSubjects), " FROM subjects WHERE 1 = 1"});
  std::vector<Value> p;
  std::string sql = head;
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
  return read_rows(kSubjects, rows);
}

// ---------------------------------------------------------------- audit

Result<std::optional<AuditRecord>> SqlTx::lock_audit_tail() {
  // After an append in this transaction the tail is known (and on PostgreSQL the lock is held
  // until commit): no second look-up per entry when a batch appends many.
  if (audit_tail_known_) return audit_tail_;
  if (dialect() == Dialect::kPostgres) {
    // Held until commit or rollback, across all connections to this database. Pipelined: sent
    // with the query of the tail below (one round trip).
    const Value p[] = {Value{kAuditLockKey}};
    static constexpr std::string_view kLock = "SELECT pg_advisory_xact_lock(?)";
    if (conn_.pipelined()) {
      HPKI_TRY(conn_.exec_deferred(kLock, p, {}));
    } else {
      HPKI_TRY(conn_.query(kLock, p));
    }
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
    last = tail.empty() ? 0 : HPKI_TRY(read_value<std::int64_t>(tail[0], 0, {{}, "max(seq)"}));
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

Result<void> SqlTx::exec_rows_deferred(std::string_view head, std::size_t cols,
                                       std::span<const Value> values, const Deferred& how) {
  HPKI_TRY(exec_rows(
      [this, &how](std::string_view sql, std::span<const Value> v) -> Result<std::int64_t> {
        HPKI_TRY(conn_.exec_deferred(sql, v, how));
        return 0;
      },
      head, cols, values));
  return {};
}

Result<void> SqlTx::flush_audit() {
  if (pending_audit_.empty()) return {};
  static const std::string head = cat({"INSERT INTO audit_log (", insert_list(kAuditLog), ")"});
  const std::vector<Value> p =
      rows_values(kAuditLog, std::span<const AuditRecord>(pending_audit_), now());
  const std::string taken = "audit seq " + std::to_string(pending_audit_.front().seq) + ".." +
                            std::to_string(pending_audit_.back().seq) +
                            ": an entry with one of these seqs already exists";
  if (conn_.pipelined()) {
    // Deferred: a taken seq fails in the database (a unique violation aborts the transaction).
    HPKI_TRY(exec_rows_deferred(head, written_count(kAuditLog), p,
                                {.table = "audit_log", .conflict = taken}));
    pending_audit_.clear();
    return {};
  }
  auto n = HPKI_TRY(exec_rows_here(head, written_count(kAuditLog), p, "ON CONFLICT DO NOTHING"));
  if (n != static_cast<std::int64_t>(pending_audit_.size())) {
    return fail(ErrorCode::kConflict, taken);
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
    static const std::string sql =
        cat({"SELECT ", select_list(kAuditLog),
             " FROM audit_log WHERE org = ? AND seq >= ? ORDER BY seq LIMIT ?"});
    const Value p[] = {text(*org), Value{from_seq}, Value{limit}};
    auto rows = HPKI_TRY(conn_.query(sql, p));
    return read_rows(kAuditLog, rows);
  }
  static const std::string sql = cat(
      {"SELECT ", select_list(kAuditLog), " FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?"});
  const Value p[] = {Value{from_seq}, Value{limit}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kAuditLog, rows);
}

Result<std::optional<AuditRecord>> SqlTx::last_audit() {
  HPKI_TRY(flush_audit());
  static const std::string sql =
      cat({"SELECT ", select_list(kAuditLog), " FROM audit_log ORDER BY seq DESC LIMIT 1"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  if (rows.empty()) return std::nullopt;
  return read_row(kAuditLog, rows[0]);
}

Result<void> SqlTx::insert_checkpoint(const AuditCheckpoint& c) {
  HPKI_TRY(flush_audit());
  static const std::string sql =
      cat({"INSERT INTO audit_checkpoints (", insert_list(kCheckpoints), ") VALUES ",
           placeholders(kCheckpoints), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kCheckpoints));
  bind_row(kCheckpoints, c, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "checkpoint at seq " + std::to_string(c.seq));
}

Result<std::vector<AuditCheckpoint>> SqlTx::list_checkpoints() {
  static const std::string sql =
      cat({"SELECT ", select_list(kCheckpoints), " FROM audit_checkpoints ORDER BY seq"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kCheckpoints, rows);
}

// ---------------------------------------------------------------- key refs, API keys

Result<void> SqlTx::insert_key_ref(const KeyRefRecord& k) {
  if (k.id.empty()) return fail(ErrorCode::kInvalidArgument, "key reference id is empty");
  static const std::string sql = cat({"INSERT INTO key_refs (", insert_list(kKeyRefs), ") VALUES ",
                                      placeholders(kKeyRefs), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kKeyRefs));
  bind_row(kKeyRefs, k, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "key reference " + k.id);
}

Result<KeyRefRecord> SqlTx::get_key_ref(std::string_view id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kKeyRefs), " FROM key_refs WHERE id = ?"});
  const Value p[] = {text(id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no key reference " + std::string(id));
  return read_row(kKeyRefs, rows[0]);
}

Result<std::vector<KeyRefRecord>> SqlTx::list_key_refs() {
  static const std::string sql =
      cat({"SELECT ", select_list(kKeyRefs), " FROM key_refs ORDER BY id"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kKeyRefs, rows);
}

Result<void> SqlTx::insert_api_key(const ApiKeyRecord& k) {
  if (k.id.empty() || k.hash.empty()) {
    return fail(ErrorCode::kInvalidArgument, "API key id or hash is empty");
  }
  static const std::string sql = cat({"INSERT INTO api_keys (", insert_list(kApiKeys), ") VALUES ",
                                      placeholders(kApiKeys), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kApiKeys));
  bind_row(kApiKeys, k, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "API key " + k.id);
}

Result<std::optional<ApiKeyRecord>> SqlTx::find_api_key_by_hash(BytesView hash) {
  static const std::string sql =
      cat({"SELECT ", select_list(kApiKeys), " FROM api_keys WHERE hash = ?"});
  const Value p[] = {blob(hash)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kApiKeys, rows[0]);
}

Result<std::vector<ApiKeyRecord>> SqlTx::list_api_keys() {
  static const std::string sql =
      cat({"SELECT ", select_list(kApiKeys), " FROM api_keys ORDER BY created_at, id"});
  auto rows = HPKI_TRY(conn_.query(sql, {}));
  return read_rows(kApiKeys, rows);
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
  static const std::string sql = cat({"INSERT INTO crls (", insert_list(kCrls), ") VALUES ",
                                      placeholders(kCrls), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(kCrls));
  bind_row(kCrls, crl, now(), p);
  auto n = HPKI_TRY(conn_.exec(sql, p));
  return expect_one(n, "CRL " + crl.name + " number " + std::to_string(crl.crl_number));
}

Result<std::optional<CrlRecord>> SqlTx::latest_crl(std::string_view name, bool with_der) {
  static const std::string with =
      cat({"SELECT ", select_list(kCrls),
           " FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT 1"});
  static const std::string without_der =
      cat({"SELECT ", select_list(kCrls, {}, kCrlWithoutDer),
           " FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT 1"});
  const Value p[] = {text(name)};
  auto rows = HPKI_TRY(conn_.query(with_der ? with : without_der, p));
  if (rows.empty()) return std::nullopt;
  return read_row(kCrls, rows[0], with_der ? kAllColumns : kCrlWithoutDer);
}

Result<std::int64_t> SqlTx::prune_crls(std::string_view name, int keep) {
  if (keep < 1) return fail(ErrorCode::kInvalidArgument, "prune_crls: keep at least one CRL");
  const Value p[] = {text(name), text(name), Value{std::int64_t{keep}}};
  return conn_.exec(
      "DELETE FROM crls WHERE name = ? AND crl_number < (SELECT MIN(crl_number) FROM (SELECT "
      "crl_number FROM crls WHERE name = ? ORDER BY crl_number DESC LIMIT ?) AS newest)",
      p);
}

// ---------------------------------------------------------------- OCSP

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

Result<std::vector<OcspResponseRecord>> SqlTx::list_ocsp_responses(std::string_view ca_id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kOcspResponses), " FROM ocsp_responses WHERE ca_id = ?"});
  const Value p[] = {text(ca_id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kOcspResponses, rows);
}

Result<void> SqlTx::upsert_ocsp_responses(std::span<const OcspResponseRecord> responses) {
  // Multi-row: a batch of responses in a few statements. A stored response is replaced only by
  // one at least as new (another node may have stored a later one meanwhile).
  static const std::string head =
      cat({"INSERT INTO ocsp_responses (", insert_list(kOcspResponses), ")"});
  static const std::string tail =
      cat({"ON CONFLICT (ca_id, serial) DO UPDATE SET ",
           excluded_set_list(kOcspResponses, kOcspResponseNonKey),
           " WHERE ocsp_responses.this_update <= excluded.this_update"});
  const std::vector<Value> p = rows_values(kOcspResponses, responses, now());
  HPKI_TRY(exec_rows_here(head, written_count(kOcspResponses), p, tail));
  return {};
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
  const auto last = HPKI_TRY(read_value<std::int64_t>(rows[0], 0, {"counters", "value"}));
  return last - count + 1;
}

// ---------------------------------------------------------------- timestamps

namespace {
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
  std::vector<TimestampToken> tokens;
  for (const TimestampRecord& t : ts) {
    if (t.serial <= 0 || t.tsa_id.empty() || t.hash_alg.empty() || t.policy.empty()) {
      return fail(ErrorCode::kInvalidArgument,
                  "timestamp record: serial, TSA, hash or policy empty");
    }
    if (t.token) tokens.push_back({.serial = t.serial, .token = *t.token});
  }
  static const std::string head = cat({"INSERT INTO timestamps (", insert_list(kTimestamps), ")"});
  const std::vector<Value> p = rows_values(kTimestamps, ts, now());
  if (conn_.pipelined()) {
    // Deferred: a recorded serial fails in the database (a unique violation aborts the
    // transaction). The tokens' serials are those recorded just before (their foreign key), so
    // they need no join to be checked.
    HPKI_TRY(exec_rows_deferred(
        head, written_count(kTimestamps), p,
        {.table = "timestamps", .conflict = serials_text(ts) + ": already recorded"}));
    if (tokens.empty()) return {};
    static const std::string tokens_head =
        cat({"INSERT INTO timestamp_tokens (", insert_list(kTimestampTokens), ")"});
    const std::vector<Value> tp =
        rows_values(kTimestampTokens, std::span<const TimestampToken>(tokens), now());
    return exec_rows_deferred(tokens_head, written_count(kTimestampTokens), tp, {});
  }
  auto n = HPKI_TRY(exec_rows_here(head, written_count(kTimestamps), p, "ON CONFLICT DO NOTHING"));
  if (n != static_cast<std::int64_t>(ts.size()))
    return fail(ErrorCode::kConflict, serials_text(ts) + ": already recorded");
  return set_timestamp_tokens(tokens);
}

Result<void> SqlTx::set_timestamp_tokens(std::span<const TimestampToken> ts) {
  if (ts.empty()) return {};
  // Appended, one row per token; only for recorded serials (the join), so a count short of the
  // list names an unknown serial. A stored token is never replaced (primary key: kConflict).
  // Both dialects name a VALUES list's columns column1, column2, ...
  static const std::string head = [] {
    std::string values_cols;
    for (std::size_t i = 1; i <= written_count(kTimestampTokens); ++i) {
      if (i > 1) values_cols += ", ";
      values_cols += "v.column" + std::to_string(i);
    }
    return cat({"INSERT INTO timestamp_tokens (", insert_list(kTimestampTokens), ") SELECT ",
                values_cols, " FROM ("});
  }();
  static_assert(kTimestampTokenColumns[0].name == "serial");  // v.column1 in the join below
  const std::vector<Value> p = rows_values(kTimestampTokens, ts, now());
  auto n = HPKI_TRY(exec_rows_here(head, written_count(kTimestampTokens), p,
                                   ") AS v JOIN timestamps t ON t.serial = v.column1"));
  if (n != static_cast<std::int64_t>(ts.size()))
    return fail(ErrorCode::kNotFound, serials_text(ts) + ": not recorded");
  return {};
}

Result<TimestampRecord> SqlTx::get_timestamp(std::int64_t serial) {
  static const std::string sql =
      cat({"SELECT ", select_list(kTimestamps),
           ", (SELECT token FROM timestamp_tokens k WHERE k.serial = timestamps.serial) "
           "FROM timestamps WHERE serial = ?"});
  const Value p[] = {Value{serial}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  if (rows.empty()) return fail(ErrorCode::kNotFound, "no timestamp " + std::to_string(serial));
  TimestampRecord t = HPKI_TRY(read_row(kTimestamps, rows[0]));
  t.token = HPKI_TRY(read_value<std::optional<Bytes>>(rows[0], kTimestamps.columns.size(),
                                                      {"timestamp_tokens", "token"}));
  return t;
}

Result<std::optional<TimePoint>> SqlTx::last_timestamp_time() {
  auto rows = HPKI_TRY(conn_.query("SELECT MAX(gen_time) FROM timestamps", {}));
  if (rows.empty()) return std::optional<TimePoint>{};
  return read_value<std::optional<TimePoint>>(rows[0], 0, {{}, "MAX(timestamps.gen_time)"});
}

// ---------------------------------------------------------------- raw (store/detail/raw.h)

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
