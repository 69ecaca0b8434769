// Pkcs11KeyStore: keys generated on, and used inside, a PKCS#11 token (an HSM; SoftHSM2 in
// tests). Private keys are created CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE and not
// CKA_EXTRACTABLE, and this class has no export: they never leave the token.
//
// What it does (PKCS#11 v2.40):
//   - generate: RSA 2048/3072/4096 (CKM_RSA_PKCS_KEY_PAIR_GEN, e = 65537) and EC P-256/P-384
//     (CKM_EC_KEY_PAIR_GEN, CKA_EC_PARAMS = namedCurve OID), with CKA_LABEL = label and a random
//     16-byte CKA_ID shared by the private and the public key object. SM2 is
//     kUnsupportedByToken: PKCS#11 defines no SM2 mechanism (SoftHSM2 has none).
//   - signer: RSA PKCS#1 v1.5 (CKM_SHA{256,384,512}_RSA_PKCS), RSA-PSS (CKM_SHA256_RSA_PKCS_PSS,
//     MGF1-SHA256, salt 32), ECDSA (message hashed in software, then CKM_ECDSA; the raw r||s is
//     returned as DER). Signers keep the token open and are thread-safe (each sign() borrows
//     its own session from a pool).
//   - decrypter: RSA-OAEP with SHA-256 / MGF1-SHA256. Tokens whose CKM_RSA_PKCS_OAEP only does
//     SHA-1 (SoftHSM2 2.6) are served by CKM_RSA_X_509 on the token plus OAEP decoding on the
//     host; the private key stays on the token either way. EC keys cannot decrypt
//     (kUnsupportedByToken).
//   - KeyRef ids are "pkcs11:<CKA_LABEL>" of the private key object.
//
// Errors: every CK_RV is named in the detail ("C_Login: CKR_PIN_INCORRECT (0xa0)").
// CKR_PIN_INCORRECT / CKR_PIN_INVALID / CKR_PIN_LEN_RANGE -> kBadPassphrase; CKR_PIN_LOCKED /
// CKR_PIN_EXPIRED -> kPermissionDenied; a missing module file or token -> kNotFound; a missing
// key -> kKeyNotFound; unsupported mechanisms -> kUnsupportedByToken; anything else
// kTokenError.
//
// Process-wide state: a PKCS#11 module is initialised once per process, and a token login is
// shared by all sessions of the process. Stores opening the same module share one
// C_Initialize (C_Finalize when the last store/signer using it is gone), and stores opening
// the same token share one login: a second store must present the same PIN (compared in
// constant time), else kBadPassphrase. The module library stays mapped until then.
// Not handled: another process generating the same label concurrently (the duplicate check
// and the generation are not atomic across processes).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"
#include "crypto/keystore.h"

namespace hpki::crypto {

struct Pkcs11Options {
  std::string module_path;  // e.g. "/usr/lib/softhsm/libsofthsm2.so"
  std::string token_label;  // CK_TOKEN_INFO.label (blank padding ignored)
  SecretBytes pin;          // user PIN
};

// Reads the user PIN from environment variable `name` (e.g. "HPKI_PKCS11_PIN"), so PINs stay
// out of configuration files. Unset or empty -> kConfigMissing.
[[nodiscard]] Result<SecretBytes> pkcs11_pin_from_env(std::string_view name);

class Pkcs11KeyStore final : public KeyStore {
 public:
  // Loads the module (dlopen + C_GetFunctionList + C_Initialize), finds the token by label and
  // logs in as CKU_USER. Fails with kNotFound (module file or token missing), kTokenError
  // (not a PKCS#11 module, module errors), kBadPassphrase (wrong PIN).
  [[nodiscard]] static Result<std::unique_ptr<Pkcs11KeyStore>> open(const Pkcs11Options& options);

  ~Pkcs11KeyStore() override;
  Pkcs11KeyStore(const Pkcs11KeyStore&) = delete;
  Pkcs11KeyStore& operator=(const Pkcs11KeyStore&) = delete;

  [[nodiscard]] std::string_view kind() const override { return "pkcs11"; }
  [[nodiscard]] Result<KeyRef> generate(const KeySpec& spec, std::string_view label) override;
  // `sm2_id` is ignored: there are no SM2 keys on a PKCS#11 token.
  [[nodiscard]] Result<std::unique_ptr<Signer>> signer(
      const KeyRef& ref, std::optional<SignatureAlg> alg = std::nullopt,
      std::string_view sm2_id = kSm2DefaultId) override;
  [[nodiscard]] Result<std::unique_ptr<Decrypter>> decrypter(const KeyRef& ref) override;
  [[nodiscard]] Result<Bytes> public_key(const KeyRef& ref) override;
  // Every private key object with a label, sorted by id.
  [[nodiscard]] Result<std::vector<KeyRef>> list() override;

  // The key type and size of a stored key.
  [[nodiscard]] Result<KeySpec> key_spec(const KeyRef& ref);
  // "<token label> (<manufacturer> <model>)", for messages and logs.
  [[nodiscard]] const std::string& token_description() const noexcept;

  struct Token;  // implementation detail (crypto/detail/pkcs11.h)

 private:
  explicit Pkcs11KeyStore(std::shared_ptr<Token> token);
  std::shared_ptr<Token> token_;
};

}  // namespace hpki::crypto
