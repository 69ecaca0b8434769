// Algorithm implementations fetched once per process. In OpenSSL 3.0 every EVP_MD_fetch walks
// the provider store under its lock (a few µs, and contention between threads); a digest
// computed per request (audit entries, CMS messageDigest, OCSP CertIDs, SM2's Z) fetched its
// EVP_MD each time.
#pragma once

#include <openssl/evp.h>

#include <string_view>

#include "core/error.h"
#include "ossl/ptr.h"

namespace hpki::ossl {

// The digest `name` ("SHA256", "SM3", ...) of the default provider, fetched on first use and kept
// for the life of the process; each call returns its own reference. kUnsupportedAlgorithm when
// the provider does not have it (not remembered: a later call fetches again). Thread-safe.
[[nodiscard]] Result<Ptr<EVP_MD>> fetch_md(std::string_view name);

}  // namespace hpki::ossl
