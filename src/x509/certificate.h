// Parsed X.509 certificates (RFC 5280 4.1). Immutable, shared as shared_ptr<const
// Certificate>, keeping the original DER and views of the TBS and its parts, so signatures are
// checked over the exact bytes received and lint can see encoding details.
//
// Parsing is strict DER on the outer structure and the fields hpki relies on; unknown
// extensions are kept raw. Size limit kMaxCertificateSize. Errors: kBadCertificate with a
// detail naming the field.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "core/serial.h"
#include "crypto/algorithm.h"
#include "der/oid.h"
#include "x509/extensions.h"
#include "x509/name.h"

namespace hpki::x509 {

inline constexpr std::size_t kMaxCertificateSize = 64 * 1024;

using TimePoint = std::chrono::system_clock::time_point;

struct AlgorithmIdentifier {
  der::Oid oid;
  Bytes parameters;  // raw DER of the parameters (empty when absent)
  Bytes der;         // the whole AlgorithmIdentifier
  friend bool operator==(const AlgorithmIdentifier&, const AlgorithmIdentifier&) = default;
};

// Which time encoding a field used (lint checks RFC 5280 4.1.2.5).
enum class TimeEncoding { kUtcTime, kGeneralizedTime };

struct Validity {
  TimePoint not_before;
  TimePoint not_after;
  TimeEncoding not_before_encoding = TimeEncoding::kUtcTime;
  TimeEncoding not_after_encoding = TimeEncoding::kUtcTime;
};

class Certificate {
 public:
  [[nodiscard]] static Result<std::shared_ptr<const Certificate>> parse(BytesView der);
  // PEM ("CERTIFICATE") or DER, detected.
  [[nodiscard]] static Result<std::shared_ptr<const Certificate>> parse_any(BytesView data);
  // Every certificate in a PEM bundle, or the single DER certificate.
  [[nodiscard]] static Result<std::vector<std::shared_ptr<const Certificate>>> parse_all(
      BytesView data);

  [[nodiscard]] const Bytes& der() const { return der_; }
  [[nodiscard]] BytesView tbs_der() const { return tbs_; }
  [[nodiscard]] int version() const { return version_; }  // 1, 2 or 3
  [[nodiscard]] const Bytes& serial() const {
    return serial_;
  }  // INTEGER content bytes (two's complement)
  [[nodiscard]] const AlgorithmIdentifier& tbs_signature_algorithm() const { return tbs_sig_alg_; }
  [[nodiscard]] const AlgorithmIdentifier& signature_algorithm() const { return sig_alg_; }
  [[nodiscard]] const Name& issuer() const { return issuer_; }
  [[nodiscard]] const Name& subject() const { return subject_; }
  [[nodiscard]] const Validity& validity() const { return validity_; }
  [[nodiscard]] const Bytes& spki_der() const { return spki_; }  // SubjectPublicKeyInfo DER
  [[nodiscard]] const AlgorithmIdentifier& spki_algorithm() const { return spki_alg_; }
  [[nodiscard]] const Bytes& signature() const { return signature_; }  // BIT STRING contents
  [[nodiscard]] const std::vector<Extension>& extensions() const { return extensions_; }
  [[nodiscard]] const Extension* find_extension(const der::Oid& oid) const;
  [[nodiscard]] bool has_unique_ids() const { return has_unique_ids_; }

  // hpki's algorithm for the signature, or kUnsupportedAlgorithm.
  [[nodiscard]] Result<crypto::SignatureAlg> signature_alg() const;
  // Key type and size of the subject key.
  [[nodiscard]] Result<crypto::KeySpec> key_spec() const;
  // SHA-256 fingerprint as lowercase hex.
  [[nodiscard]] std::string fingerprint_sha256() const;
  // The serial number (core/serial.h: its canonical hex is hpki's stored and shown form).
  [[nodiscard]] const Serial& serial_number() const { return serial_number_; }
  [[nodiscard]] bool is_self_issued() const { return issuer_ == subject_; }

 private:
  Certificate() = default;
  Bytes der_;
  BytesView tbs_;
  int version_ = 1;
  Bytes serial_;
  Serial serial_number_;
  AlgorithmIdentifier tbs_sig_alg_, sig_alg_, spki_alg_;
  Name issuer_, subject_;
  Validity validity_;
  Bytes spki_;
  Bytes signature_;
  std::vector<Extension> extensions_;
  bool has_unique_ids_ = false;
};

using CertificatePtr = std::shared_ptr<const Certificate>;

// Maps AlgorithmIdentifier (signatureAlgorithm) to hpki's enum: sha{256,384,512}WithRSA,
// RSASSA-PSS with SHA-256/MGF1-SHA256/salt 32, ecdsa-with-SHA{256,384}, SM2-with-SM3.
[[nodiscard]] Result<crypto::SignatureAlg> signature_alg_from(const AlgorithmIdentifier& alg);
// DER AlgorithmIdentifier for a signature algorithm (RSA with NULL parameters, ECDSA/SM2
// without parameters per RFC 5758 3.2 / GM/T 0015).
[[nodiscard]] Bytes algorithm_identifier_der(crypto::SignatureAlg alg);

// Checks `cert`'s signature with `issuer_spki` (SM2 with `sm2_id` on every level).
[[nodiscard]] Result<void> verify_certificate_signature(
    const Certificate& cert, BytesView issuer_spki,
    std::string_view sm2_id = crypto::kSm2DefaultId);

}  // namespace hpki::x509
