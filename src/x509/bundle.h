// Files of several certificates, CRLs or OCSP responses, as `hpki verify cert` and the API accept
// them: PEM with any number of CERTIFICATE / X509 CRL / OCSP RESPONSE blocks (other blocks are
// skipped), or DER, one structure or several concatenated.
//
// Errors: kTooLarge beyond kMaxBundleSize or kMaxBundleItems; kUnexpectedType when the input
// holds none of the wanted structures; otherwise the first item's parse error (kBadCertificate,
// kBadCrl, kMalformed ...) with the item's position as context. Nothing is partially returned.
#pragma once

#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "x509/certificate.h"
#include "x509/crl.h"
#include "x509/ocsp.h"

namespace hpki::x509 {

inline constexpr std::size_t kMaxBundleSize = 64 * 1024 * 1024;
inline constexpr std::size_t kMaxBundleItems = 10000;

[[nodiscard]] Result<std::vector<CertificatePtr>> parse_certificate_bundle(BytesView data);

// The same, keeping going past items the strict parser refuses (path validation: such a
// certificate or CRL is unusable, not an input error). `refused` holds "item N: <defect>" per
// refused item. Errors only for the container: size limits, broken PEM or DER framing, and
// kUnexpectedType when the input holds no item of the wanted type at all.
template <typename T>
struct BundleContents {
  std::vector<T> items;
  std::vector<std::string> refused;
};
[[nodiscard]] Result<BundleContents<CertificatePtr>> read_certificate_bundle(BytesView data);
[[nodiscard]] Result<BundleContents<CrlPtr>> read_crl_bundle(BytesView data);
[[nodiscard]] Result<std::vector<CrlPtr>> parse_crl_bundle(BytesView data);
// OCSPResponse (RFC 6960 4.2.1) items, each successful with a BasicOCSPResponse (returned
// parsed). A response with another status is refused: kUnexpectedType naming the status.
[[nodiscard]] Result<std::vector<BasicOcspResponsePtr>> parse_ocsp_response_bundle(BytesView data);

}  // namespace hpki::x509
