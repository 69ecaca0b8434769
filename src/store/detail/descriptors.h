// What the files of SqlTx (store/detail/sql_tx*.cpp, one per group of records) share: the
// descriptor of every record type (store/detail/columns.h) and a few helpers. Private to the
// store module.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/detail/columns.h"
#include "store/detail/sql.h"
#include "store/store.h"

namespace hpki::store::detail {

// --- descriptors: one per record type (store/detail/columns.h). The order of a descriptor's
// columns is the order of its SELECT and INSERT lists; adding a column to a record is one line
// here (and its migration).

inline constexpr Column<CaRecord> kCaColumns[] = {
    field<&CaRecord::id>("id"),
    field<&CaRecord::family>("family"),
    field<&CaRecord::role>("role"),
    field<&CaRecord::key_ref>("key_ref"),
    field<&CaRecord::certificate>("certificate"),
    field<&CaRecord::parent_id>("parent_id"),
    field<&CaRecord::subject>("subject"),
    field<&CaRecord::created_at>("created_at", Write::kStoreClock),
};
inline constexpr Descriptor<CaRecord> kCas{"cas", kCaColumns};

inline constexpr Column<CertificateRecord> kCertificateColumns[] = {
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
inline constexpr Descriptor<CertificateRecord> kCertificates{"certificates", kCertificateColumns};
// With a new subject (PostgreSQL, one statement) a certificate's subject_id comes from the
// subject's INSERT.
inline constexpr ColumnSet kOfNewSubject = without(kCertificates, {"subject_id"});

inline constexpr Column<RevocationRecord> kRevocationColumns[] = {
    field<&RevocationRecord::ca_id>("ca_id"),
    field<&RevocationRecord::serial>("serial"),
    field<&RevocationRecord::reason>("reason"),
    field<&RevocationRecord::revoked_at>("revoked_at"),
    field<&RevocationRecord::invalidity_date>("invalidity_date"),
};
inline constexpr Descriptor<RevocationRecord> kRevocations{"revocations", kRevocationColumns};

inline constexpr Column<SubjectRecord> kSubjectColumns[] = {
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
inline constexpr Descriptor<SubjectRecord> kSubjects{"subjects", kSubjectColumns};

inline constexpr Column<AuditRecord> kAuditColumns[] = {
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
inline constexpr Descriptor<AuditRecord> kAuditLog{"audit_log", kAuditColumns};

inline constexpr Column<AuditCheckpoint> kCheckpointColumns[] = {
    field<&AuditCheckpoint::seq>("seq"),
    field<&AuditCheckpoint::tree_size>("tree_size"),
    field<&AuditCheckpoint::root_hash>("root_hash"),
    field<&AuditCheckpoint::signature>("signature"),
    field<&AuditCheckpoint::key_ref>("key_ref"),
    field<&AuditCheckpoint::signed_at>("signed_at"),
};
inline constexpr Descriptor<AuditCheckpoint> kCheckpoints{"audit_checkpoints", kCheckpointColumns};

inline constexpr Column<KeyRefRecord> kKeyRefColumns[] = {
    field<&KeyRefRecord::id>("id"),
    field<&KeyRefRecord::store_kind>("store_kind"),
    field<&KeyRefRecord::label>("label"),
    field<&KeyRefRecord::key_type>("key_type"),
    field<&KeyRefRecord::created_at>("created_at", Write::kStoreClock),
};
inline constexpr Descriptor<KeyRefRecord> kKeyRefs{"key_refs", kKeyRefColumns};

inline constexpr Column<ApiKeyRecord> kApiKeyColumns[] = {
    field<&ApiKeyRecord::id>("id"),
    field<&ApiKeyRecord::hash>("hash"),
    field<&ApiKeyRecord::role>("role"),
    field<&ApiKeyRecord::org>("org"),
    field<&ApiKeyRecord::created_at>("created_at", Write::kStoreClock),
    field<&ApiKeyRecord::revoked_at>("revoked_at"),
};
inline constexpr Descriptor<ApiKeyRecord> kApiKeys{"api_keys", kApiKeyColumns};

inline constexpr Column<CosignEnrollmentRecord> kCosignEnrollmentColumns[] = {
    field<&CosignEnrollmentRecord::id>("id"),
    field<&CosignEnrollmentRecord::org>("org"),
    field<&CosignEnrollmentRecord::subject_id>("subject_id"),
    field<&CosignEnrollmentRecord::algorithm>("algorithm"),
    field<&CosignEnrollmentRecord::code_hash>("code_hash"),
    field<&CosignEnrollmentRecord::state>("state"),
    field<&CosignEnrollmentRecord::attempts>("attempts"),
    field<&CosignEnrollmentRecord::created_by>("created_by"),
    field<&CosignEnrollmentRecord::expires_at>("expires_at"),
    field<&CosignEnrollmentRecord::challenge>("challenge"),
    field<&CosignEnrollmentRecord::share>("share"),
    field<&CosignEnrollmentRecord::public_key>("public_key"),
    field<&CosignEnrollmentRecord::csr_info>("csr_info"),
    field<&CosignEnrollmentRecord::sign_r>("sign_r"),
    field<&CosignEnrollmentRecord::device_id>("device_id"),
    field<&CosignEnrollmentRecord::created_at>("created_at", Write::kStoreClock),
    field<&CosignEnrollmentRecord::updated_at>("updated_at", Write::kStoreClock),
};
inline constexpr Descriptor<CosignEnrollmentRecord> kCosignEnrollments{"cosign_enrollments",
                                                                       kCosignEnrollmentColumns};

inline constexpr Column<CosignDeviceRecord> kCosignDeviceColumns[] = {
    field<&CosignDeviceRecord::id>("id"),
    field<&CosignDeviceRecord::org>("org"),
    field<&CosignDeviceRecord::subject_id>("subject_id"),
    field<&CosignDeviceRecord::algorithm>("algorithm"),
    field<&CosignDeviceRecord::status>("status"),
    field<&CosignDeviceRecord::token_hash>("token_hash"),
    field<&CosignDeviceRecord::public_key>("public_key"),
    field<&CosignDeviceRecord::share>("share"),
    field<&CosignDeviceRecord::ca_id>("ca_id"),
    field<&CosignDeviceRecord::serial>("serial"),
    field<&CosignDeviceRecord::name>("name"),
    field<&CosignDeviceRecord::user_agent>("user_agent"),
    field<&CosignDeviceRecord::credential_id>("credential_id"),
    field<&CosignDeviceRecord::credential_key>("credential_key"),
    field<&CosignDeviceRecord::sign_count>("sign_count"),
    field<&CosignDeviceRecord::credential_flags>("credential_flags"),
    field<&CosignDeviceRecord::pin_failures>("pin_failures"),
    field<&CosignDeviceRecord::handwriting>("handwriting"),
    field<&CosignDeviceRecord::strokes>("strokes"),
    field<&CosignDeviceRecord::created_at>("created_at", Write::kStoreClock),
    field<&CosignDeviceRecord::updated_at>("updated_at", Write::kStoreClock),
};
inline constexpr Descriptor<CosignDeviceRecord> kCosignDevices{"cosign_devices",
                                                               kCosignDeviceColumns};

inline constexpr Column<SigningRequestRecord> kSigningRequestColumns[] = {
    field<&SigningRequestRecord::id>("id"),
    field<&SigningRequestRecord::org>("org"),
    field<&SigningRequestRecord::subject_id>("subject_id"),
    field<&SigningRequestRecord::created_by>("created_by"),
    field<&SigningRequestRecord::state>("state"),
    field<&SigningRequestRecord::format>("format"),
    field<&SigningRequestRecord::timestamp>("with_timestamp"),
    field<&SigningRequestRecord::document>("document"),
    field<&SigningRequestRecord::summary>("summary"),
    field<&SigningRequestRecord::callback_url>("callback_url"),
    field<&SigningRequestRecord::nonce>("nonce"),
    field<&SigningRequestRecord::expires_at>("expires_at"),
    field<&SigningRequestRecord::device_id>("device_id"),
    field<&SigningRequestRecord::approval>("approval"),
    field<&SigningRequestRecord::to_be_signed>("to_be_signed"),
    field<&SigningRequestRecord::signing_time>("signing_time"),
    field<&SigningRequestRecord::sign_r>("sign_r"),
    field<&SigningRequestRecord::result>("result"),
    field<&SigningRequestRecord::error>("error"),
    field<&SigningRequestRecord::handwriting>("handwriting"),
    field<&SigningRequestRecord::seq>("seq"),
    field<&SigningRequestRecord::signed_at>("signed_at"),
    field<&SigningRequestRecord::pdf_options>("pdf_options"),
    field<&SigningRequestRecord::prepared>("prepared"),
    field<&SigningRequestRecord::byte_range>("byte_range"),
    field<&SigningRequestRecord::created_at>("created_at", Write::kStoreClock),
    field<&SigningRequestRecord::updated_at>("updated_at", Write::kStoreClock),
};
inline constexpr Descriptor<SigningRequestRecord> kSigningRequests{"signing_requests",
                                                                   kSigningRequestColumns};
// A list without the large columns.
inline constexpr ColumnSet kSigningRequestSummary =
    without(kSigningRequests, {"document", "to_be_signed", "result", "handwriting", "prepared"});

inline constexpr Column<QrSessionRecord> kQrSessionColumns[] = {
    field<&QrSessionRecord::id>("id"),
    field<&QrSessionRecord::kind>("kind"),
    field<&QrSessionRecord::state>("state"),
    field<&QrSessionRecord::secret_hash>("secret_hash"),
    field<&QrSessionRecord::number>("number"),
    field<&QrSessionRecord::pc_ip>("pc_ip"),
    field<&QrSessionRecord::pc_user_agent>("pc_user_agent"),
    field<&QrSessionRecord::request_id>("request_id"),
    field<&QrSessionRecord::org>("org"),
    field<&QrSessionRecord::subject_id>("subject_id"),
    field<&QrSessionRecord::device_id>("device_id"),
    field<&QrSessionRecord::ticket>("ticket"),
    field<&QrSessionRecord::expires_at>("expires_at"),
    field<&QrSessionRecord::created_at>("created_at", Write::kStoreClock),
    field<&QrSessionRecord::updated_at>("updated_at", Write::kStoreClock),
};
inline constexpr Descriptor<QrSessionRecord> kQrSessions{"qr_sessions", kQrSessionColumns};

inline constexpr Column<WebhookDeliveryRecord> kWebhookDeliveryColumns[] = {
    field<&WebhookDeliveryRecord::id>("id", Write::kDatabase),
    field<&WebhookDeliveryRecord::request_id>("request_id"),
    field<&WebhookDeliveryRecord::attempt>("attempt"),
    field<&WebhookDeliveryRecord::url>("url"),
    field<&WebhookDeliveryRecord::status>("status"),
    field<&WebhookDeliveryRecord::detail>("detail"),
    field<&WebhookDeliveryRecord::created_at>("created_at", Write::kStoreClock),
};
inline constexpr Descriptor<WebhookDeliveryRecord> kWebhookDeliveries{"webhook_deliveries",
                                                                      kWebhookDeliveryColumns};

inline constexpr Column<SealRecord> kSealColumns[] = {
    field<&SealRecord::id>("id"),
    field<&SealRecord::org>("org"),
    field<&SealRecord::kind>("kind"),
    field<&SealRecord::name>("name"),
    field<&SealRecord::subject_id>("subject_id"),
    field<&SealRecord::algorithm>("algorithm"),
    field<&SealRecord::image>("image"),
    field<&SealRecord::width_mm>("width_mm"),
    field<&SealRecord::height_mm>("height_mm"),
    field<&SealRecord::es_id>("es_id"),
    field<&SealRecord::seal_der>("seal_der"),
    field<&SealRecord::maker_key>("maker_key"),
    field<&SealRecord::allowed_serials>("allowed_serials"),  // a JSON array
    field<&SealRecord::allowed_certs>("allowed_certs"),      // a JSON array
    field<&SealRecord::valid_from>("valid_from"),
    field<&SealRecord::valid_to>("valid_to"),
    field<&SealRecord::state>("state"),
    field<&SealRecord::revoked_at>("revoked_at"),
    field<&SealRecord::reason>("reason"),
    field<&SealRecord::created_by>("created_by"),
    field<&SealRecord::created_at>("created_at", Write::kStoreClock),
    field<&SealRecord::updated_at>("updated_at", Write::kStoreClock),
};
inline constexpr Descriptor<SealRecord> kSeals{"seals", kSealColumns};
// A list without the large columns.
inline constexpr ColumnSet kSealSummary = without(kSeals, {"image", "seal_der"});

inline constexpr Column<EvidenceRecord> kEvidenceColumns[] = {
    field<&EvidenceRecord::id>("id"),
    field<&EvidenceRecord::org>("org"),
    field<&EvidenceRecord::serial>("serial"),
    field<&EvidenceRecord::renewals>("renewals"),
    field<&EvidenceRecord::tsa_until>("tsa_until"),
    field<&EvidenceRecord::stamped_at>("stamped_at"),
    field<&EvidenceRecord::package>("package"),
    field<&EvidenceRecord::created_at>("created_at", Write::kStoreClock),
    field<&EvidenceRecord::updated_at>("updated_at", Write::kStoreClock),
};
inline constexpr Descriptor<EvidenceRecord> kEvidence{"evidence_packages", kEvidenceColumns};

inline constexpr Column<CrlRecord> kCrlColumns[] = {
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
inline constexpr Descriptor<CrlRecord> kCrls{"crls", kCrlColumns};
inline constexpr ColumnSet kCrlWithoutDer = without(kCrls, {"der"});

// The record's columns in `timestamps`; its token is in `timestamp_tokens` (schema version 5),
// read by get_timestamp after these.
inline constexpr Column<TimestampRecord> kTimestampColumns[] = {
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
inline constexpr Descriptor<TimestampRecord> kTimestamps{"timestamps", kTimestampColumns};

// Written only (the token is read with its record).
inline constexpr Column<Tx::TimestampToken> kTimestampTokenColumns[] = {
    field<&Tx::TimestampToken::serial>("serial"),
    field<&Tx::TimestampToken::token>("token"),
};
inline constexpr Descriptor<Tx::TimestampToken> kTimestampTokens{"timestamp_tokens",
                                                                 kTimestampTokenColumns};

inline constexpr Column<OcspResponseRecord> kOcspResponseColumns[] = {
    field<&OcspResponseRecord::ca_id>("ca_id"),
    field<&OcspResponseRecord::serial>("serial"),
    field<&OcspResponseRecord::status>("status"),
    field<&OcspResponseRecord::this_update>("this_update"),
    field<&OcspResponseRecord::next_update>("next_update"),
    field<&OcspResponseRecord::der>("der"),
};
inline constexpr Descriptor<OcspResponseRecord> kOcspResponses{"ocsp_responses",
                                                               kOcspResponseColumns};
inline constexpr ColumnSet kOcspResponseNonKey = without(kOcspResponses, {"ca_id", "serial"});

// Read only: certificates c LEFT JOIN revocations r.
inline constexpr Column<CertStatusRecord> kCertStatusColumns[] = {
    field<&CertStatusRecord::serial>("serial"),
    field<&CertStatusRecord::status>("status"),
    field<&CertStatusRecord::updated_at>("updated_at"),
    field<&CertStatusRecord::reason>("reason").from("revocations", "r"),
    field<&CertStatusRecord::revoked_at>("revoked_at").from("revocations", "r"),
};
inline constexpr Descriptor<CertStatusRecord> kCertStatuses{"certificates", kCertStatusColumns};

// --- helpers

inline Value text(std::string_view s) { return Value{std::string(s)}; }
inline Value blob(BytesView b) { return Value{Bytes(b.begin(), b.end())}; }

// One value of a one-row result (COUNT(*), RETURNING id, MAX(...)).
template <typename T>
Result<T> scalar(std::vector<Row>& rows, ColumnName n) {
  if (rows.empty()) return fail(ErrorCode::kStorage, n.str() + ": no row");
  return read_value<T>(rows[0], 0, n);
}

inline Result<void> expect_one(std::int64_t changed, std::string_view what) {
  if (changed == 0) return fail(ErrorCode::kConflict, std::string(what) + " already exists");
  return {};
}

inline std::string cat(std::initializer_list<std::string_view> parts) {
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

}  // namespace hpki::store::detail
