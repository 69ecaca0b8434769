// The Tx of both dialects: typed operations written once in portable SQL over a Connection,
// their column lists and row readers generated from one descriptor per record
// (store/detail/columns.h). Private to the store module.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "store/detail/connection.h"
#include "store/store.h"

namespace hpki::store::detail {

class SqlTx final : public Tx {
 public:
  SqlTx(Connection& conn, const Clock& clock) : conn_(conn), clock_(clock) {}

  // Runs fn in a new SqlTx on conn (inside its transaction) and writes what the Tx deferred.
  [[nodiscard]] static Result<void> run(Connection& conn, const Clock& clock,
                                        const Store::TxFn& fn);

  [[nodiscard]] Dialect dialect() const noexcept override { return conn_.dialect(); }

  Result<void> insert_ca(const CaRecord& ca) override;
  Result<CaRecord> get_ca(std::string_view id) override;
  Result<std::vector<CaRecord>> list_cas() override;

  Result<void> insert_certificate(const CertificateRecord& rec) override;
  Result<std::int64_t> insert_certificate_with_subject(const CertificateRecord& rec,
                                                       const SubjectRecord& s) override;
  Result<void> insert_certificate_with_new_subject(const CertificateRecord& rec,
                                                   const SubjectRecord& s) override;
  Result<void> set_status(std::string_view ca_id, const Serial& serial, CertStatus to,
                          std::optional<CertStatus> expected) override;
  Result<CertificateRecord> get_certificate(std::string_view ca_id, const Serial& serial) override;
  Result<std::vector<CertificateRecord>> find_certificates_by_serial(const Serial& serial) override;
  Result<std::vector<CertificateRecord>> search_certificates(
      const CertificateFilter& filter) override;
  Result<std::int64_t> count_certificates(const CertificateFilter& filter) override;
  Result<std::vector<LegacyReservation>> list_legacy_reservations() override;

  Result<void> insert_revocation(const RevocationRecord& rev) override;
  Result<void> delete_revocation(std::string_view ca_id, const Serial& serial) override;
  Result<std::optional<RevocationRecord>> find_revocation(std::string_view ca_id,
                                                          const Serial& serial) override;
  Result<std::vector<RevocationRecord>> list_revocations(
      std::string_view ca_id, std::optional<std::int64_t> crl_shard) override;

  Result<std::int64_t> insert_subject(const SubjectRecord& s) override;
  Result<SubjectRecord> get_subject(std::int64_t id) override;
  Result<void> update_subject(const SubjectRecord& s) override;
  Result<void> delete_subject(std::int64_t id) override;
  Result<std::optional<SubjectRecord>> find_subject_by_id_hash(std::string_view org,
                                                               BytesView id_number_hash) override;
  Result<std::vector<SubjectRecord>> list_subjects(std::optional<SubjectKind> kind,
                                                   std::optional<std::string> org,
                                                   std::int64_t limit,
                                                   std::int64_t offset) override;

  Result<std::optional<AuditRecord>> lock_audit_tail() override;
  Result<std::int64_t> append_audit(const AuditRecord& e) override;
  Result<void> insert_evidence(const EvidenceRecord& r) override;
  Result<EvidenceRecord> get_evidence(std::string_view id) override;
  Result<std::vector<EvidenceRecord>> due_evidence(TimePoint tsa_until_by,
                                                   std::optional<TimePoint> stamped_by,
                                                   TimePoint not_stamped_after,
                                                   std::int64_t limit) override;
  Result<void> update_evidence(const EvidenceRecord& r, std::int64_t expected_renewals) override;
  Result<std::vector<AuditRecord>> find_audit(const std::vector<std::string>& objects,
                                              std::int64_t limit) override;
  Result<std::vector<AuditRecord>> read_audit(std::int64_t from_seq, std::int64_t limit,
                                              std::optional<std::string> org) override;
  Result<std::optional<AuditRecord>> last_audit() override;
  Result<void> insert_checkpoint(const AuditCheckpoint& c) override;
  Result<std::vector<AuditCheckpoint>> list_checkpoints() override;
  Result<std::vector<AuditEntryHash>> read_audit_hashes(std::int64_t from_seq,
                                                        std::int64_t limit) override;
  Result<void> put_audit_subtrees(std::span<const AuditSubtree> s) override;
  Result<std::optional<Bytes>> get_audit_subtree(int height, std::int64_t index) override;
  Result<std::vector<AuditSubtree>> list_audit_subtrees(int min_height) override;

  Result<void> insert_key_ref(const KeyRefRecord& k) override;
  Result<KeyRefRecord> get_key_ref(const KeyId& id) override;
  Result<std::vector<KeyRefRecord>> list_key_refs() override;
  Result<void> insert_api_key(const ApiKeyRecord& k) override;
  Result<std::optional<ApiKeyRecord>> find_api_key_by_hash(BytesView hash) override;
  Result<std::vector<ApiKeyRecord>> list_api_keys() override;
  Result<void> revoke_api_key(std::string_view id, TimePoint at) override;

  Result<void> insert_cosign_enrollment(const CosignEnrollmentRecord& r) override;
  Result<CosignEnrollmentRecord> get_cosign_enrollment(std::string_view id) override;
  Result<std::optional<CosignEnrollmentRecord>> find_cosign_enrollment_by_code(
      BytesView code_hash) override;
  Result<void> update_cosign_enrollment(const CosignEnrollmentRecord& r) override;
  Result<void> insert_cosign_device(const CosignDeviceRecord& r) override;
  Result<CosignDeviceRecord> get_cosign_device(std::string_view id) override;
  Result<std::optional<CosignDeviceRecord>> find_cosign_device_by_token(
      BytesView token_hash) override;
  Result<void> update_cosign_device(const CosignDeviceRecord& r) override;
  Result<std::vector<CosignDeviceRecord>> list_cosign_devices(std::string_view org,
                                                              std::int64_t subject_id) override;
  Result<void> insert_signing_request(const SigningRequestRecord& r) override;
  Result<SigningRequestRecord> get_signing_request(std::string_view id) override;
  Result<void> update_signing_request(const SigningRequestRecord& r) override;
  Result<std::vector<SigningRequestRecord>> list_signing_requests(
      std::string_view org, std::int64_t subject_id, std::span<const std::string> states,
      std::int64_t after_seq, std::int64_t limit, bool with_documents) override;
  Result<void> insert_qr_session(const QrSessionRecord& r) override;
  Result<QrSessionRecord> get_qr_session(std::string_view id) override;
  Result<void> update_qr_session(const QrSessionRecord& r) override;
  Result<std::int64_t> insert_webhook_delivery(const WebhookDeliveryRecord& r) override;
  Result<std::vector<WebhookDeliveryRecord>> list_webhook_deliveries(
      std::string_view request_id) override;

  Result<void> insert_seal(const SealRecord& r) override;
  Result<SealRecord> get_seal(std::string_view id) override;
  Result<void> update_seal(const SealRecord& r) override;
  Result<std::vector<SealRecord>> list_seals(std::string_view org, std::int64_t limit,
                                             std::int64_t offset, bool with_images) override;

  Result<void> insert_crl(const CrlRecord& crl) override;
  Result<std::optional<CrlRecord>> latest_crl(std::string_view name, bool with_der) override;
  Result<std::int64_t> prune_crls(std::string_view name, int keep) override;

  Result<std::int64_t> reserve_counter(std::string_view name, std::int64_t count) override;
  Result<void> insert_timestamps(std::span<const TimestampRecord> ts) override;
  Result<void> set_timestamp_tokens(std::span<const TimestampToken> ts) override;
  Result<TimestampRecord> get_timestamp(std::int64_t serial) override;
  Result<std::optional<TimePoint>> last_timestamp_time() override;

  Result<std::vector<CertStatusRecord>> cert_statuses_since(std::string_view ca_id,
                                                            TimePoint since) override;
  Result<std::optional<CertStatusRecord>> cert_status(std::string_view ca_id,
                                                      const Serial& serial) override;
  Result<std::vector<CertStatusRecord>> cert_statuses(std::string_view ca_id,
                                                      std::span<const Serial> serials) override;
  Result<std::vector<OcspResponseRecord>> list_ocsp_responses(std::string_view ca_id) override;
  Result<void> upsert_ocsp_responses(std::span<const OcspResponseRecord> responses) override;

  // Raw SQL for store/detail/raw.h (tests only; not part of Tx): writes the pending audit
  // entries first and forgets the audit tail. Without params, `sql` may hold several statements.
  [[nodiscard]] Result<std::int64_t> exec(std::string_view sql, std::span<const Value> params);
  [[nodiscard]] Result<std::vector<Row>> query(std::string_view sql, std::span<const Value> params);

 private:
  [[nodiscard]] std::int64_t now() const noexcept { return to_unix(clock_.now()); }
  [[nodiscard]] Result<std::vector<CertificateRecord>> query_certificates(
      std::string_view where_and_order, std::span<const Value> params);
  [[nodiscard]] Result<std::string> filter_sql(const CertificateFilter& f,
                                               std::vector<Value>& params) const;
  // Writes the audit entries appended since the last flush; called before anything else
  // reads the audit log in this transaction and before COMMIT.
  [[nodiscard]] Result<void> flush_audit();
  // detail::exec_rows straight on the connection (SqlTx::exec would flush the audit entries).
  [[nodiscard]] Result<std::int64_t> exec_rows_here(std::string_view head, std::size_t cols,
                                                    std::span<const Value> values,
                                                    std::string_view tail);
  // detail::exec_rows with Connection::exec_deferred (pipeline mode): every statement queued,
  // its failure reported as `how` says.
  [[nodiscard]] Result<void> exec_rows_deferred(std::string_view head, std::size_t cols,
                                                std::span<const Value> values, const Deferred& how);

  Connection& conn_;
  const Clock& clock_;
  // The last audit entry appended in this transaction (lock_audit_tail / append_audit).
  std::optional<AuditRecord> audit_tail_;
  bool audit_tail_known_ = false;  // audit_tail_ is the tail (none: the log is empty)
  // Appended entries not yet written (with their seq): one multi-row INSERT per flush instead
  // of a statement each, i.e. one round trip for a group commit's entries on PostgreSQL.
  std::vector<AuditRecord> pending_audit_;
};

}  // namespace hpki::store::detail
