#include "store/migrations.h"

#include <cstdint>
#include <string>
#include <vector>

#include "store/detail/connection.h"
#include "store/detail/sql_tx.h"

namespace hpki::store {
namespace {

// Version 1: the tables of issue 4.
constexpr std::string_view kV1 = R"sql(
CREATE TABLE key_refs (
  id TEXT PRIMARY KEY,
  store_kind TEXT NOT NULL,
  label TEXT NOT NULL,
  key_type TEXT NOT NULL,
  created_at {int} NOT NULL
);
CREATE TABLE cas (
  id TEXT PRIMARY KEY,
  family TEXT NOT NULL CHECK (family IN ('rsa', 'ecdsa', 'sm2')),
  role TEXT NOT NULL CHECK (role IN ('root', 'issuing', 'ocsp', 'tsa')),
  key_ref TEXT NOT NULL,
  certificate {blob} NOT NULL,
  parent_id TEXT REFERENCES cas (id),
  subject TEXT NOT NULL,
  created_at {int} NOT NULL
);
CREATE TABLE subjects (
  id {auto_pk},
  kind TEXT NOT NULL CHECK (kind IN ('staff', 'organization', 'device')),
  name TEXT NOT NULL,
  org TEXT NOT NULL DEFAULT '',
  dept TEXT NOT NULL DEFAULT '',
  province TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  dns TEXT NOT NULL DEFAULT '[]',
  id_number_enc {blob},
  id_number_hash {blob},
  staff_no TEXT NOT NULL DEFAULT '',
  licence_no TEXT NOT NULL DEFAULT '',
  org_code TEXT NOT NULL DEFAULT '',
  created_at {int} NOT NULL
);
CREATE UNIQUE INDEX subjects_id_number_hash ON subjects (id_number_hash);
CREATE INDEX subjects_org ON subjects (org);
CREATE TABLE certificates (
  ca_id TEXT NOT NULL REFERENCES cas (id),
  serial TEXT NOT NULL,
  subject TEXT NOT NULL,
  org TEXT NOT NULL DEFAULT '',
  dept TEXT NOT NULL DEFAULT '',
  subject_id {int} REFERENCES subjects (id),
  profile TEXT NOT NULL,
  status TEXT NOT NULL
    CHECK (status IN ('issuing', 'issued', 'revoked', 'hold', 'never_delivered')),
  not_before {int} NOT NULL,
  not_after {int} NOT NULL,
  der {blob},
  tbs_hash {blob} NOT NULL,
  request {blob},
  key_type TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  crl_shard {int} NOT NULL DEFAULT 0,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL,
  PRIMARY KEY (ca_id, serial)
);
CREATE INDEX certificates_serial ON certificates (serial);
CREATE INDEX certificates_status ON certificates (status);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_subject_id ON certificates (subject_id);
CREATE INDEX certificates_org_dept ON certificates (org, dept);
CREATE INDEX certificates_created_at ON certificates (created_at);
CREATE TABLE revocations (
  ca_id TEXT NOT NULL,
  serial TEXT NOT NULL,
  reason {int} NOT NULL,
  revoked_at {int} NOT NULL,
  invalidity_date {int},
  PRIMARY KEY (ca_id, serial),
  FOREIGN KEY (ca_id, serial) REFERENCES certificates (ca_id, serial)
);
CREATE TABLE audit_log (
  seq {int_pk},
  at {int} NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  object TEXT NOT NULL,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL,
  hash_alg TEXT NOT NULL,
  prev_hash {blob} NOT NULL,
  hash {blob} NOT NULL
);
CREATE TABLE audit_checkpoints (
  seq {int_pk},
  tree_size {int} NOT NULL,
  root_hash {blob} NOT NULL,
  signature {blob} NOT NULL,
  key_ref TEXT NOT NULL,
  signed_at {int} NOT NULL
);
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value {int} NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  hash {blob} NOT NULL UNIQUE,
  role TEXT NOT NULL,
  org TEXT NOT NULL DEFAULT '',
  created_at {int} NOT NULL,
  revoked_at {int}
);
)sql";

// Version 2: pre-signed OCSP responses (issue 6), shared by every responder node. One row per
// certificate: the newest response and the window it covers.
constexpr std::string_view kV2Ocsp = R"sql(
CREATE TABLE ocsp_responses (
  ca_id TEXT NOT NULL,
  serial TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('good', 'revoked', 'unknown')),
  this_update {int} NOT NULL,
  next_update {int} NOT NULL,
  der {blob} NOT NULL,
  PRIMARY KEY (ca_id, serial)
);
CREATE INDEX ocsp_responses_next_update ON ocsp_responses (next_update);
)sql";

// Version 3 (issue 7): every RFC 3161 token the TSA issues (recorded before signing, the token
// added after).
constexpr std::string_view kV3Timestamps = R"sql(
CREATE TABLE timestamps (
  serial {int_pk},
  tsa_id TEXT NOT NULL REFERENCES cas (id),
  gen_time {int} NOT NULL,
  hash_alg TEXT NOT NULL,
  imprint {blob} NOT NULL,
  policy TEXT NOT NULL,
  nonce {blob},
  requester TEXT NOT NULL,
  token {blob},
  created_at {int} NOT NULL
);
CREATE INDEX timestamps_gen_time ON timestamps (gen_time);
)sql";

// Version 4 (issue 6): generated CRLs, so every node serves the same bytes. One row per
// (name, cRLNumber); `name` is the URL name ("rsa-issuing", "rsa-issuing-3-delta", ...).
constexpr std::string_view kV4Crls = R"sql(
CREATE TABLE crls (
  name TEXT NOT NULL,
  crl_number {int} NOT NULL,
  ca_id TEXT NOT NULL REFERENCES cas (id),
  shard {int} NOT NULL,
  delta {int} NOT NULL CHECK (delta IN (0, 1)),
  base_crl_number {int},
  this_update {int} NOT NULL,
  next_update {int} NOT NULL,
  entries {int} NOT NULL,
  der {blob} NOT NULL,
  created_at {int} NOT NULL,
  PRIMARY KEY (name, crl_number)
);
)sql";

// Version 5 (issue 7, TSA throughput and size): the signed tokens move to a table of their own,
// appended once per token (before: an UPDATE that grew each record row after signing), and the
// record keeps the request's certReq. Tokens issued with the TSA's certificates are stored
// without them (the same two certificates are in every token; `cas` has them): about 0.6-0.9 KB
// instead of ~3 KB per token. Tokens stored before keep their whole bytes and cert_req 0, so
// they are handed out as stored.
constexpr std::string_view kV5TimestampTokens = R"sql(
ALTER TABLE timestamps ADD COLUMN cert_req {int} NOT NULL DEFAULT 0;
CREATE TABLE timestamp_tokens (
  serial {int_pk} REFERENCES timestamps (serial),
  token {blob} NOT NULL
);
INSERT INTO timestamp_tokens (serial, token)
  SELECT serial, token FROM timestamps WHERE token IS NOT NULL;
ALTER TABLE timestamps DROP COLUMN token;
)sql";

// Version 6 (issue 16, organization scoping): identity numbers are unique per organization (the
// same person in two organizations is two subject records, never an overwrite of the other's);
// audit entries and timestamps name the organization they concern, so that organization-scoped
// callers read only theirs. Rows written before carry "" (system-wide).
constexpr std::string_view kV6OrgScope = R"sql(
DROP INDEX subjects_id_number_hash;
CREATE UNIQUE INDEX subjects_org_id_number_hash ON subjects (org, id_number_hash);
CREATE INDEX subjects_id_number_hash ON subjects (id_number_hash);
ALTER TABLE audit_log ADD COLUMN org TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_org_seq ON audit_log (org, seq);
ALTER TABLE timestamps ADD COLUMN org TEXT NOT NULL DEFAULT '';
)sql";

// Version 7 (issue 17, one durable write per issuance): a certificate record is written once,
// after signing. What the old order needed goes: the status 'issuing' (a reservation before
// signing) and the tbs_hash that tied a reservation to what was about to be signed. Records
// without DER stay only for the never-delivered reservations of older versions. Reservations a
// crash left are recorded as never delivered, revoked and audited by the upgrade step before
// this SQL (StoreOptions::before_migration; the count below refuses the step without it).
// SQLite cannot change a CHECK constraint or drop a column of the primary key's table in place
// cheaply: the table is rebuilt (https://sqlite.org/lang_altertable.html, "other kinds of
// table schema changes"; foreign keys are off for the migration, and checked after it).
constexpr std::string_view kV7SqliteOneWrite = R"sql(
CREATE TABLE certificates_v7 (
  ca_id TEXT NOT NULL REFERENCES cas (id),
  serial TEXT NOT NULL,
  subject TEXT NOT NULL,
  org TEXT NOT NULL DEFAULT '',
  dept TEXT NOT NULL DEFAULT '',
  subject_id INTEGER REFERENCES subjects (id),
  profile TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('issued', 'revoked', 'hold', 'never_delivered')),
  not_before INTEGER NOT NULL,
  not_after INTEGER NOT NULL,
  der BLOB,
  request BLOB,
  key_type TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  crl_shard INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (ca_id, serial),
  CHECK (der IS NOT NULL OR status = 'never_delivered')
);
INSERT INTO certificates_v7 (ca_id, serial, subject, org, dept, subject_id, profile, status,
    not_before, not_after, der, request, key_type, requested_by, crl_shard, created_at,
    updated_at)
  SELECT ca_id, serial, subject, org, dept, subject_id, profile, status, not_before, not_after,
    der, request, key_type, requested_by, crl_shard, created_at, updated_at FROM certificates;
DROP TABLE certificates;
ALTER TABLE certificates_v7 RENAME TO certificates;
CREATE INDEX certificates_serial ON certificates (serial);
CREATE INDEX certificates_status ON certificates (status);
CREATE INDEX certificates_not_after ON certificates (not_after);
CREATE INDEX certificates_subject_id ON certificates (subject_id);
CREATE INDEX certificates_org_dept ON certificates (org, dept);
CREATE INDEX certificates_created_at ON certificates (created_at);
)sql";
constexpr std::string_view kV7PostgresOneWrite = R"sql(
ALTER TABLE certificates DROP CONSTRAINT certificates_status_check;
ALTER TABLE certificates DROP COLUMN tbs_hash;
ALTER TABLE certificates ADD CONSTRAINT certificates_status_check
  CHECK (status IN ('issued', 'revoked', 'hold', 'never_delivered'));
ALTER TABLE certificates ADD CONSTRAINT certificates_der_check
  CHECK (der IS NOT NULL OR status = 'never_delivered');
)sql";

// Version 8 (issue 19, mobile co-signing): enrollments of phones, the enrolled devices (their
// half of the two-party key is the phone's; hpki's half `share` is sealed), signing requests
// from hospital systems, QR login / signing sessions and the webhook delivery log.
constexpr std::string_view kV8Cosign = R"sql(
CREATE TABLE cosign_enrollments (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  subject_id {int} NOT NULL REFERENCES subjects (id),
  algorithm TEXT NOT NULL CHECK (algorithm IN ('sm2', 'ecdsa-p256')),
  code_hash {blob} NOT NULL UNIQUE,
  state TEXT NOT NULL,
  attempts {int} NOT NULL,
  created_by TEXT NOT NULL,
  expires_at {int} NOT NULL,
  challenge {blob} NOT NULL,
  share {blob},
  public_key {blob},
  csr_info {blob},
  sign_r {blob},
  device_id TEXT NOT NULL,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL
);
CREATE INDEX cosign_enrollments_subject ON cosign_enrollments (org, subject_id);
CREATE TABLE cosign_devices (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  subject_id {int} NOT NULL REFERENCES subjects (id),
  algorithm TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'locked', 'revoked')),
  token_hash {blob} NOT NULL UNIQUE,
  public_key {blob} NOT NULL,
  share {blob},
  ca_id TEXT NOT NULL,
  serial TEXT NOT NULL,
  name TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  credential_id {blob},
  credential_key {blob},
  sign_count {int} NOT NULL,
  credential_flags {int} NOT NULL,
  pin_failures {int} NOT NULL,
  handwriting {blob},
  strokes TEXT,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL
);
CREATE INDEX cosign_devices_subject ON cosign_devices (org, subject_id);
CREATE TABLE signing_requests (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  subject_id {int} NOT NULL,
  created_by TEXT NOT NULL,
  state TEXT NOT NULL,
  format TEXT NOT NULL,
  with_timestamp {int} NOT NULL,
  document {blob} NOT NULL,
  summary TEXT NOT NULL,
  callback_url TEXT NOT NULL,
  nonce {blob} NOT NULL,
  expires_at {int} NOT NULL,
  device_id TEXT NOT NULL,
  approval TEXT NOT NULL,
  to_be_signed {blob},
  signing_time {int},
  sign_r {blob},
  result {blob},
  error TEXT NOT NULL,
  handwriting {blob},
  seq {int} NOT NULL,
  signed_at {int},
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL
);
CREATE INDEX signing_requests_subject ON signing_requests (org, subject_id, state, seq);
CREATE INDEX signing_requests_subject_seq ON signing_requests (org, subject_id, seq);
CREATE TABLE qr_sessions (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  secret_hash {blob} NOT NULL,
  number {int} NOT NULL,
  pc_ip TEXT NOT NULL,
  pc_user_agent TEXT NOT NULL,
  request_id TEXT NOT NULL,
  org TEXT NOT NULL,
  subject_id {int} NOT NULL,
  device_id TEXT NOT NULL,
  ticket {blob},
  expires_at {int} NOT NULL,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL
);
CREATE TABLE webhook_deliveries (
  id {auto_pk},
  request_id TEXT NOT NULL,
  attempt {int} NOT NULL,
  url TEXT NOT NULL,
  status {int} NOT NULL,
  detail TEXT NOT NULL,
  created_at {int} NOT NULL
);
CREATE INDEX webhook_deliveries_request ON webhook_deliveries (request_id, id);
)sql";

// Version 9 (issue 20, electronic seals): organization and personal seals and handwritten
// signature images, with the GB/T 38540 SESeal of SM2 seals and the certificates allowed to use
// them.
constexpr std::string_view kV9Seals = R"sql(
CREATE TABLE seals (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('organization', 'personal', 'handwriting')),
  name TEXT NOT NULL,
  subject_id {int} REFERENCES subjects (id),
  algorithm TEXT NOT NULL CHECK (algorithm IN ('sm2', 'rsa', 'ecdsa')),
  image {blob} NOT NULL,
  width_mm {int} NOT NULL,
  height_mm {int} NOT NULL,
  es_id TEXT NOT NULL,
  seal_der {blob},
  maker_key TEXT NOT NULL,
  allowed_serials TEXT NOT NULL,
  allowed_certs TEXT NOT NULL,
  valid_from {int} NOT NULL,
  valid_to {int} NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
  revoked_at {int},
  reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL
);
CREATE INDEX seals_org ON seals (org, created_at, id);
)sql";

// Version 10 (issue 20 meets issue 19): signing requests whose output is a signed PDF (format
// "pdf", docs/cosign.md §3): the PDF options given at creation (JSON), and, from the approval
// on, the prepared PDF (with its /Contents hole) and its /ByteRange ("0 a b c"), which the
// final CMS is put into.
constexpr std::string_view kV10CosignPdf = R"sql(
ALTER TABLE signing_requests ADD COLUMN pdf_options TEXT NOT NULL DEFAULT '';
ALTER TABLE signing_requests ADD COLUMN prepared {blob};
ALTER TABLE signing_requests ADD COLUMN byte_range TEXT NOT NULL DEFAULT '';
)sql";

// Version 11 (issue 21, evidence packages): the cache of the audit log's Merkle subtree hashes
// (store::AuditSubtree), so that an inclusion proof reads O(log n) rows. Filled by each
// checkpoint; a database upgraded to it starts with an empty cache (proofs are then computed
// from the entries until the next checkpoint fills it).
constexpr std::string_view kV11AuditSubtrees = R"sql(
CREATE TABLE audit_subtrees (
  height {int} NOT NULL,
  idx {int} NOT NULL,
  hash {blob} NOT NULL,
  PRIMARY KEY (height, idx)
);
)sql";

// Version 12 (issue 21): exported evidence packages, kept so that hpki serve re-time-stamps them
// before their newest timestamp's TSA certificate (valid until tsa_until) expires or that
// timestamp (of stamped_at) gets too old; audit entries are looked up by object
// (the certificate, subject record and signature an export packages).
constexpr std::string_view kV12Evidence = R"sql(
CREATE TABLE evidence_packages (
  id TEXT PRIMARY KEY,
  org TEXT NOT NULL,
  serial TEXT NOT NULL,
  renewals {int} NOT NULL,
  tsa_until {int} NOT NULL,
  stamped_at {int} NOT NULL,
  package {blob} NOT NULL,
  created_at {int} NOT NULL,
  updated_at {int} NOT NULL
);
CREATE INDEX evidence_packages_tsa_until ON evidence_packages (tsa_until);
CREATE INDEX evidence_packages_stamped_at ON evidence_packages (stamped_at);
CREATE INDEX audit_log_object ON audit_log (object);
)sql";

constexpr Migration kMigrations[] = {
    {.version = 1,
     .description = "issue 4: CAs, certificates, subjects, audit, counters",
     .sql = kV1},
    {.version = 2, .description = "issue 6: pre-signed OCSP responses", .sql = kV2Ocsp},
    {.version = 3, .description = "issue 7: timestamps", .sql = kV3Timestamps},
    {.version = 4, .description = "issue 6: generated CRLs", .sql = kV4Crls},
    {.version = 5,
     .description = "issue 7: timestamp_tokens, timestamps.cert_req (tokens stored without the "
                    "TSA certificates)",
     .sql = kV5TimestampTokens},
    {.version = 6,
     .description = "issue 16: identity numbers unique per organization; audit_log.org, "
                    "timestamps.org",
     .sql = kV6OrgScope},
    {.version = 7,
     .description = "issue 17: one write per issuance; no reservations (status issuing), no "
                    "certificates.tbs_hash; reservations left by a crash recorded as never "
                    "delivered",
     .sql = {},
     .sqlite_sql = kV7SqliteOneWrite,
     .postgres_sql = kV7PostgresOneWrite,
     .none_left = "SELECT COUNT(*) FROM certificates WHERE status = 'issuing'",
     .none_left_why = "certificate reservations of an hpki before schema 7 (left by a crash) are "
                      "unresolved; open the home with hpki itself (any command), which records "
                      "them as never delivered"},
    {.version = 8,
     .description = "issue 19: mobile co-signing (enrollments, devices, signing requests, QR "
                    "sessions, webhook deliveries)",
     .sql = kV8Cosign},
    {.version = 9,
     .description = "issue 20: electronic seals (organization, personal, handwriting)",
     .sql = kV9Seals},
    {.version = 10,
     .description = "issue 20: signing requests with a signed PDF as output (pdf_options, "
                    "prepared, byte_range)",
     .sql = kV10CosignPdf},
    {.version = 11,
     .description = "issue 21: audit_subtrees (cached Merkle subtree hashes for inclusion proofs)",
     .sql = kV11AuditSubtrees},
    {.version = 12,
     .description = "issue 21: evidence packages kept for renewal, audit entries by object",
     .sql = kV12Evidence},
};

// pg_advisory_xact_lock key of the migration ("hpkimigr").
constexpr std::int64_t kMigrationLockKey = 0x68706b696d696772;

void replace_all(std::string& s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

std::span<const Migration> migrations() noexcept { return kMigrations; }

int latest_schema_version() noexcept { return kMigrations[std::size(kMigrations) - 1].version; }

std::string render_migration(const Migration& m, Dialect d) {
  const bool pg = d == Dialect::kPostgres;
  std::string s(pg ? (m.postgres_sql.empty() ? m.sql : m.postgres_sql)
                   : (m.sqlite_sql.empty() ? m.sql : m.sqlite_sql));
  replace_all(s, "{blob}", pg ? "BYTEA" : "BLOB");
  replace_all(s, "{int}", pg ? "BIGINT" : "INTEGER");
  // SQLite: only "INTEGER PRIMARY KEY" is the 64-bit rowid; AUTOINCREMENT stops reuse of the
  // ids of deleted rows.
  replace_all(s, "{int_pk}", pg ? "BIGINT PRIMARY KEY" : "INTEGER PRIMARY KEY");
  replace_all(s, "{auto_pk}",
              pg ? "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
                 : "INTEGER PRIMARY KEY AUTOINCREMENT");
  return s;
}

namespace detail {

Result<int> read_schema_version(Connection& conn) {
  auto rows = HPKI_TRY(conn.query("SELECT COALESCE(MAX(version), 0) FROM schema_version", {}));
  if (rows.empty()) return fail(ErrorCode::kStorage, "schema_version: no row");
  const auto* v = std::get_if<std::int64_t>(&rows[0][0]);
  if (v == nullptr) return fail(ErrorCode::kStorage, "schema_version: not an integer");
  return static_cast<int>(*v);
}

Result<int> migrate(Connection& conn, const StoreOptions& options, const Clock& clock) {
  const int want = options.target_schema_version.value_or(latest_schema_version());
  const std::int64_t now_unix = to_unix(clock.now());
  if (want < 1 || want > latest_schema_version()) {
    return fail(ErrorCode::kInvalidArgument, "unknown schema version " + std::to_string(want));
  }
  if (conn.dialect() == Dialect::kPostgres) {
    // Two nodes starting together: the second waits here, then sees the first one's work.
    const Value p[] = {Value{kMigrationLockKey}};
    HPKI_TRY(conn.query("SELECT pg_advisory_xact_lock(?)", p));
  }
  HPKI_TRY(
      conn.exec_script("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                       "description TEXT NOT NULL, applied_at BIGINT NOT NULL)"));
  const int current = HPKI_TRY(read_schema_version(conn));
  if (current > want) {
    return fail(ErrorCode::kSchemaMismatch, "database schema version " + std::to_string(current) +
                                                " is newer than this hpki knows (" +
                                                std::to_string(want) + "); upgrade hpki");
  }
  for (const auto& m : kMigrations) {
    if (m.version <= current || m.version > want) continue;
    const std::string step = "schema migration " + std::to_string(m.version);
    if (options.before_migration) {
      auto done =
          SqlTx::run(conn, clock, [&](Tx& tx) { return options.before_migration(tx, m.version); });
      if (!done) return fail(done.error().with_context(step));
    }
    if (!m.none_left.empty()) {
      auto rows = HPKI_TRY(conn.query(m.none_left, {}));
      const auto* n = rows.empty() ? nullptr : std::get_if<std::int64_t>(&rows[0][0]);
      if (n == nullptr || *n != 0) {
        return fail(ErrorCode::kBadState, step + ": " + std::to_string(n != nullptr ? *n : -1) +
                                              " " + std::string(m.none_left_why));
      }
    }
    auto applied = conn.exec_script(render_migration(m, conn.dialect()));
    if (!applied) {
      return fail(applied.error().with_context("schema migration " + std::to_string(m.version)));
    }
    const Value p[] = {Value{std::int64_t{m.version}}, Value{std::string(m.description)},
                       Value{now_unix}};
    HPKI_TRY(conn.exec(
        "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)", p));
  }
  if (conn.dialect() == Dialect::kSqlite) {
    // The table rebuilds run with foreign keys off (SqliteStore::open): check them now.
    auto bad = HPKI_TRY(conn.query("PRAGMA foreign_key_check", {}));
    if (!bad.empty()) {
      return fail(ErrorCode::kStorage,
                  "schema migration left " + std::to_string(bad.size()) +
                      " rows whose foreign key points nowhere (see PRAGMA foreign_key_check)");
    }
  }
  return want;
}

}  // namespace detail
}  // namespace hpki::store
