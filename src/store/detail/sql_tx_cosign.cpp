// SqlTx (store/detail/sql_tx.h): mobile co-signing (issue 19): enrollments, devices, signing
// requests, QR sessions, webhook deliveries.
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/descriptors.h"
#include "store/detail/sql_tx.h"

namespace hpki::store::detail {
namespace {

// INSERT of a whole record; kConflict when a key or a unique hash is taken.
template <typename Rec>
Result<void> insert_record(Connection& conn, const Descriptor<Rec>& d, const Rec& r,
                           std::int64_t now, std::string_view what) {
  const std::string sql = cat({"INSERT INTO ", d.table, " (", insert_list(d), ") VALUES ",
                               placeholders(d), " ON CONFLICT DO NOTHING"});
  std::vector<Value> p;
  p.reserve(written_count(d));
  bind_row(d, r, now, p);
  auto n = HPKI_TRY(conn.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kConflict, std::string(what) + " already exists");
  return {};
}

template <typename Rec>
Result<Rec> get_record(Connection& conn, const Descriptor<Rec>& d, std::string_view id,
                       std::string_view what) {
  const std::string sql = cat({"SELECT ", select_list(d), " FROM ", d.table, " WHERE id = ?"});
  const Value p[] = {text(id)};
  auto rows = HPKI_TRY(conn.query(sql, p));
  if (rows.empty())
    return fail(ErrorCode::kNotFound, "no " + std::string(what) + " " + std::string(id));
  return read_row(d, rows[0]);
}

template <typename Rec>
Result<std::optional<Rec>> find_record(Connection& conn, const Descriptor<Rec>& d,
                                       std::string_view column, BytesView hash) {
  const std::string sql =
      cat({"SELECT ", select_list(d), " FROM ", d.table, " WHERE ", column, " = ?"});
  const Value p[] = {blob(hash)};
  auto rows = HPKI_TRY(conn.query(sql, p));
  if (rows.empty()) return std::optional<Rec>{};
  return std::optional<Rec>(HPKI_TRY(read_row(d, rows[0])));
}

// Every field but id and created_at; updated_at from the store's clock.
template <typename Rec>
Result<void> update_record(Connection& conn, const Descriptor<Rec>& d, const Rec& r,
                           std::int64_t now, std::string_view what) {
  constexpr ColumnSet kAllButId = [] {
    ColumnSet s = kAllColumns;
    s &= ~(ColumnSet{1} << 0);  // the id is each descriptor's first column
    return s;
  }();
  const std::string sql =
      cat({"UPDATE ", d.table, " SET ", set_list(d, kAllButId), ", updated_at = ? WHERE id = ?"});
  std::vector<Value> p;
  p.reserve(written_count(d) + 1);
  bind_fields(d, r, p, kAllButId);
  p.emplace_back(now);
  p.push_back(text(r.id));
  auto n = HPKI_TRY(conn.exec(sql, p));
  if (n == 0) return fail(ErrorCode::kNotFound, "no " + std::string(what) + " " + r.id);
  return {};
}

}  // namespace

// ---------------------------------------------------------------- enrollments

Result<void> SqlTx::insert_cosign_enrollment(const CosignEnrollmentRecord& r) {
  if (r.id.empty() || r.code_hash.empty()) {
    return fail(ErrorCode::kInvalidArgument, "enrollment id or code hash is empty");
  }
  return insert_record(conn_, kCosignEnrollments, r, now(), "enrollment " + r.id);
}

Result<CosignEnrollmentRecord> SqlTx::get_cosign_enrollment(std::string_view id) {
  return get_record(conn_, kCosignEnrollments, id, "enrollment");
}

Result<std::optional<CosignEnrollmentRecord>> SqlTx::find_cosign_enrollment_by_code(
    BytesView code_hash) {
  return find_record(conn_, kCosignEnrollments, "code_hash", code_hash);
}

Result<void> SqlTx::update_cosign_enrollment(const CosignEnrollmentRecord& r) {
  return update_record(conn_, kCosignEnrollments, r, now(), "enrollment");
}

// ---------------------------------------------------------------- devices

Result<void> SqlTx::insert_cosign_device(const CosignDeviceRecord& r) {
  if (r.id.empty() || r.token_hash.empty()) {
    return fail(ErrorCode::kInvalidArgument, "device id or token hash is empty");
  }
  return insert_record(conn_, kCosignDevices, r, now(), "device " + r.id);
}

Result<CosignDeviceRecord> SqlTx::get_cosign_device(std::string_view id) {
  return get_record(conn_, kCosignDevices, id, "device");
}

Result<std::optional<CosignDeviceRecord>> SqlTx::find_cosign_device_by_token(BytesView token_hash) {
  return find_record(conn_, kCosignDevices, "token_hash", token_hash);
}

Result<void> SqlTx::update_cosign_device(const CosignDeviceRecord& r) {
  return update_record(conn_, kCosignDevices, r, now(), "device");
}

Result<std::vector<CosignDeviceRecord>> SqlTx::list_cosign_devices(std::string_view org,
                                                                   std::int64_t subject_id) {
  static const std::string sql =
      cat({"SELECT ", select_list(kCosignDevices),
           " FROM cosign_devices WHERE org = ? AND subject_id = ? ORDER BY created_at, id"});
  const Value p[] = {text(org), Value{subject_id}};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kCosignDevices, rows);
}

// ---------------------------------------------------------------- signing requests

Result<void> SqlTx::insert_signing_request(const SigningRequestRecord& r) {
  if (r.id.empty()) return fail(ErrorCode::kInvalidArgument, "signing request id is empty");
  return insert_record(conn_, kSigningRequests, r, now(), "signing request " + r.id);
}

Result<SigningRequestRecord> SqlTx::get_signing_request(std::string_view id) {
  return get_record(conn_, kSigningRequests, id, "signing request");
}

Result<void> SqlTx::update_signing_request(const SigningRequestRecord& r) {
  return update_record(conn_, kSigningRequests, r, now(), "signing request");
}

Result<std::vector<SigningRequestRecord>> SqlTx::list_signing_requests(
    std::string_view org, std::int64_t subject_id, std::span<const std::string> states,
    std::int64_t after_seq, std::int64_t limit, bool with_documents) {
  if (limit < 1 || limit > kMaxSearchLimit) {
    return fail(ErrorCode::kInvalidArgument, "list limit out of range");
  }
  const ColumnSet cols = with_documents ? kAllColumns : kSigningRequestSummary;
  std::string sql = cat({"SELECT ", select_list(kSigningRequests, {}, cols),
                         " FROM signing_requests WHERE org = ? AND subject_id = ? AND seq > ?"});
  std::vector<Value> p{text(org), Value{subject_id}, Value{after_seq}};
  if (!states.empty()) {
    sql += " AND state IN (";
    for (std::size_t i = 0; i < states.size(); ++i) {
      sql += i == 0 ? "?" : ", ?";
      p.push_back(text(states[i]));
    }
    sql += ")";
  }
  sql += " ORDER BY seq LIMIT ?";
  p.push_back(Value{limit});
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kSigningRequests, rows, cols);
}

// ---------------------------------------------------------------- QR sessions

Result<void> SqlTx::insert_qr_session(const QrSessionRecord& r) {
  if (r.id.empty()) return fail(ErrorCode::kInvalidArgument, "QR session id is empty");
  return insert_record(conn_, kQrSessions, r, now(), "QR session " + r.id);
}

Result<QrSessionRecord> SqlTx::get_qr_session(std::string_view id) {
  return get_record(conn_, kQrSessions, id, "QR session");
}

Result<void> SqlTx::update_qr_session(const QrSessionRecord& r) {
  return update_record(conn_, kQrSessions, r, now(), "QR session");
}

// ---------------------------------------------------------------- webhook deliveries

Result<std::int64_t> SqlTx::insert_webhook_delivery(const WebhookDeliveryRecord& r) {
  static const std::string sql =
      cat({"INSERT INTO webhook_deliveries (", insert_list(kWebhookDeliveries), ") VALUES ",
           placeholders(kWebhookDeliveries), " RETURNING id"});
  std::vector<Value> p;
  p.reserve(written_count(kWebhookDeliveries));
  bind_row(kWebhookDeliveries, r, now(), p);
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return scalar<std::int64_t>(rows, {"webhook_deliveries", "id"});
}

Result<std::vector<WebhookDeliveryRecord>> SqlTx::list_webhook_deliveries(
    std::string_view request_id) {
  static const std::string sql = cat({"SELECT ", select_list(kWebhookDeliveries),
                                      " FROM webhook_deliveries WHERE request_id = ? ORDER BY id"});
  const Value p[] = {text(request_id)};
  auto rows = HPKI_TRY(conn_.query(sql, p));
  return read_rows(kWebhookDeliveries, rows);
}

}  // namespace hpki::store::detail
