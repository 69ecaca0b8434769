// Files of several certificates or CRLs, as `hpki verify cert` and the API accept them: PEM
// with any number of CERTIFICATE / X509 CRL blocks (other blocks are skipped), or DER, one
// structure or several concatenated.
//
// Errors: kTooLarge beyond kMaxBundleSize or kMaxBundleItems; kUnexpectedType when the input
// holds none of the wanted structures; otherwise the first item's parse error (kBadCertificate,
// kBadCrl, kMalformed ...) with the item's position as context. Nothing is partially returned.
#pragma once

#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "x509/certificate.h"
#include "x509/crl.h"

namespace hpki::x509 {

inline constexpr std::size_t kMaxBundleSize = 64 * 1024 * 1024;
inline constexpr std::size_t kMaxBundleItems = 10000;

[[nodiscard]] Result<std::vector<CertificatePtr>> parse_certificate_bundle(BytesView data);
[[nodiscard]] Result<std::vector<CrlPtr>> parse_crl_bundle(BytesView data);

}  // namespace hpki::x509
