#include "crypto/pkcs12.h"

#include "ossl/pkcs12.h"

namespace hpki::crypto {

Result<Bytes> make_pkcs12(const PrivateKey& key, BytesView cert_der,
                          const std::vector<Bytes>& chain_der, const SecretBytes& passphrase,
                          std::string_view friendly_name) {
  if (key.spec().type == KeyType::kSm2) {
    return fail(ErrorCode::kUnsupported,
                "SM2 keys are delivered as encrypted PKCS#8 PEM, not PKCS#12");
  }
  auto pkcs8 = HPKI_TRY(key.to_pkcs8_der());
  return ossl::pkcs12_create(pkcs8.view(), cert_der, chain_der, passphrase, friendly_name);
}

Result<SecretBytes> derive_key_from_passphrase(const SecretBytes& passphrase, BytesView salt,
                                               std::size_t out_len) {
  if (salt.size() < 16) return fail(ErrorCode::kInvalidArgument, "salt shorter than 16 bytes");
  return ossl::scrypt(passphrase, salt, 1u << 15, 8, 1, out_len);
}

}  // namespace hpki::crypto
