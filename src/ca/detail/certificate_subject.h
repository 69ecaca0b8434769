// Helpers of the CA service shared by its units (private to the ca module): CA family names
// and key sizes, the subject of a request (CSR subject merged in) or of an issued certificate.
#pragma once

#include <string>

#include "crypto/algorithm.h"
#include "store/store.h"
#include "x509/builder.h"
#include "x509/certificate.h"
#include "x509/name.h"

namespace hpki::ca::detail {

[[nodiscard]] std::string family_prefix(store::CaFamily f);  // "rsa", "ecdsa", "sm2"
[[nodiscard]] const char* family_title(store::CaFamily f);   // "RSA", "ECDSA", "SM2"
[[nodiscard]] std::string key_type_name(const crypto::KeySpec& k);

// The key types of a family's root, issuing CA and leaves (OCSP responder, TSA).
struct FamilyKeys {
  crypto::KeySpec root, issuing, leaf;
};
[[nodiscard]] FamilyKeys keys_of(store::CaFamily f);
// The family that certifies a key of this type by default (EC keys: ECDSA when that hierarchy
// exists, else RSA).
[[nodiscard]] store::CaFamily family_for_key(const crypto::KeySpec& k, bool have_ecdsa);
[[nodiscard]] store::SubjectKind kind_for_profile(std::string_view profile);
// Fills empty subject fields from the CSR's subject.
void merge_csr_subject(x509::SubjectData& s, const x509::Name& n);
// A SubjectData back from an issued certificate (renew / re-key / modify keep the subject).
[[nodiscard]] x509::SubjectData subject_from_cert(const x509::Certificate& c);

}  // namespace hpki::ca::detail
