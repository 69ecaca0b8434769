#include "crypto/key.h"

#include "core/pem.h"
#include "crypto/signature_cache.h"
#include "ossl/pkey.h"

namespace hpki::crypto {

struct PrivateKey::Impl {
  ossl::Ptr<EVP_PKEY> pkey;
  Bytes spki;
  KeySpec spec;
};

namespace {

inline constexpr std::string_view kPemPrivateKey = "PRIVATE KEY";
inline constexpr std::string_view kPemEncryptedPrivateKey = "ENCRYPTED PRIVATE KEY";

Result<KeySpec> spec_of(const EVP_PKEY* pkey, int min_rsa_bits = 2048) {
  ossl::PkeyInfo info = HPKI_TRY(ossl::pkey_info(pkey));
  switch (info.family) {
    case ossl::PkeyFamily::kRsa:
      if (info.bits < min_rsa_bits) {
        return fail(ErrorCode::kUnsupportedAlgorithm,
                    "RSA key of " + std::to_string(info.bits) + " bits (at least " +
                        std::to_string(min_rsa_bits) + " required)");
      }
      return KeySpec{KeyType::kRsa, info.bits};
    case ossl::PkeyFamily::kSm2:
      return KeySpec{KeyType::kSm2, 0};
    case ossl::PkeyFamily::kEc:
      if (info.group == "P-256" || info.group == "prime256v1") return KeySpec{KeyType::kEcP256, 0};
      if (info.group == "P-384" || info.group == "secp384r1") return KeySpec{KeyType::kEcP384, 0};
      return fail(ErrorCode::kUnsupportedAlgorithm,
                  "EC curve " + info.group + " (supported: P-256, P-384, SM2)");
  }
  return fail(ErrorCode::kUnsupportedAlgorithm, "unsupported key");
}

ossl::SignOptions sign_options(SignatureAlg alg, std::string_view sm2_id) {
  ossl::SignOptions o;
  switch (alg) {
    case SignatureAlg::kRsaPkcs1Sha256:
    case SignatureAlg::kEcdsaSha256:
      o.digest = "SHA256";
      break;
    case SignatureAlg::kRsaPkcs1Sha384:
    case SignatureAlg::kEcdsaSha384:
      o.digest = "SHA384";
      break;
    case SignatureAlg::kRsaPkcs1Sha512:
      o.digest = "SHA512";
      break;
    case SignatureAlg::kRsaPssSha256:
      // RFC 4055 3.1 parameters as hpki uses them: SHA-256, MGF1-SHA256, salt length 32.
      o.digest = "SHA256";
      o.rsa_padding = ossl::RsaPadding::kPss;
      o.pss_salt_len = 32;
      break;
    case SignatureAlg::kSm2Sm3:
      // GM/T 0009 / GM/T 0003.2 5.5: e = SM3(Z_A || M), Z_A computed with the ID.
      o.digest = "SM3";
      o.sm2_id = sm2_id;
      break;
  }
  return o;
}

Result<void> check_sm2_id(SignatureAlg alg, std::string_view sm2_id) {
  // GM/T 0009 requires a distinguishing ID; OpenSSL 3.0's empty default must never be used.
  if (alg == SignatureAlg::kSm2Sm3 && sm2_id.empty()) {
    return fail(ErrorCode::kInvalidArgument, "SM2 needs a non-empty distinguishing ID");
  }
  return {};
}

Result<std::shared_ptr<PrivateKey::Impl>> make_impl(ossl::Ptr<EVP_PKEY> pkey) {
  auto impl = std::make_shared<PrivateKey::Impl>();
  impl->spec = HPKI_TRY(spec_of(pkey.get()));
  impl->spki = HPKI_TRY(ossl::pkey_to_spki(pkey.get()));
  impl->pkey = std::move(pkey);
  return impl;
}

}  // namespace

Result<PrivateKey> PrivateKey::generate(const KeySpec& spec) {
  ossl::Ptr<EVP_PKEY> pkey;
  switch (spec.type) {
    case KeyType::kRsa:
      if (spec.rsa_bits != 2048 && spec.rsa_bits != 3072 && spec.rsa_bits != 4096) {
        return fail(ErrorCode::kInvalidArgument, "RSA key size " + std::to_string(spec.rsa_bits) +
                                                     " (expected 2048, 3072, 4096)");
      }
      pkey = HPKI_TRY(ossl::generate_rsa(spec.rsa_bits));
      break;
    case KeyType::kEcP256:
      pkey = HPKI_TRY(ossl::generate_ec(ossl::EcCurve::kP256));
      break;
    case KeyType::kEcP384:
      pkey = HPKI_TRY(ossl::generate_ec(ossl::EcCurve::kP384));
      break;
    case KeyType::kSm2:
      pkey = HPKI_TRY(ossl::generate_ec(ossl::EcCurve::kSm2));
      break;
  }
  return PrivateKey(HPKI_TRY(make_impl(std::move(pkey))));
}

Result<PrivateKey> PrivateKey::from_pkcs8_der(BytesView der) {
  ossl::Ptr<EVP_PKEY> pkey = HPKI_TRY(ossl::pkey_from_pkcs8(der));
  return PrivateKey(HPKI_TRY(make_impl(std::move(pkey))));
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem) {
  return from_pem(pem, SecretBytes{});
}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem, const SecretBytes& passphrase) {
  std::vector<PemBlock> blocks = HPKI_TRY(pem_decode_all(pem));
  if (blocks.size() != 1) {
    return fail(ErrorCode::kMalformed, "expected exactly one PEM block in a private key file");
  }
  const PemBlock& b = blocks.front();
  SecretBytes der(b.data);
  secure_wipe(blocks.front().data.data(), blocks.front().data.size());
  if (b.label == kPemPrivateKey) return from_pkcs8_der(der.view());
  if (b.label == kPemEncryptedPrivateKey) {
    if (passphrase.empty()) {
      return fail(ErrorCode::kBadPassphrase,
                  "the private key is encrypted: a passphrase is needed");
    }
    ossl::Ptr<EVP_PKEY> pkey =
        HPKI_TRY(ossl::pkey_from_encrypted_pkcs8(der.view(), passphrase.view()));
    return PrivateKey(HPKI_TRY(make_impl(std::move(pkey))));
  }
  return fail(ErrorCode::kUnexpectedType,
              "PEM label '" + b.label + "' (expected PRIVATE KEY or ENCRYPTED PRIVATE KEY)");
}

Result<std::string> PrivateKey::to_encrypted_pem(const SecretBytes& passphrase) const {
  if (passphrase.empty()) {
    return fail(ErrorCode::kInvalidArgument, "refusing to encrypt a key with an empty passphrase");
  }
  Bytes der = HPKI_TRY(ossl::pkey_to_encrypted_pkcs8(impl_->pkey.get(), passphrase.view()));
  return pem_encode(kPemEncryptedPrivateKey, der);
}

Result<SecretBytes> PrivateKey::to_pkcs8_der() const {
  return ossl::pkey_to_pkcs8(impl_->pkey.get());
}

const Bytes& PrivateKey::public_key_der() const { return impl_->spki; }

KeySpec PrivateKey::spec() const { return impl_->spec; }

Result<std::unique_ptr<Signer>> PrivateKey::signer(std::optional<SignatureAlg> alg,
                                                   std::string_view sm2_id) const {
  return HPKI_TRY(SoftwareSigner::create(*this, alg, sm2_id));
}

Result<std::unique_ptr<Decrypter>> PrivateKey::decrypter() const {
  return HPKI_TRY(SoftwareDecrypter::create(*this));
}

Result<std::unique_ptr<SoftwareSigner>> SoftwareSigner::create(PrivateKey key,
                                                               std::optional<SignatureAlg> alg,
                                                               std::string_view sm2_id) {
  const SignatureAlg a = alg.value_or(default_signature_alg(key.spec().type));
  if (!signature_alg_fits(a, key.spec().type)) {
    return fail(ErrorCode::kInvalidArgument, std::string(signature_alg_name(a)) +
                                                 " does not fit a " + key_spec_name(key.spec()) +
                                                 " key");
  }
  HPKI_TRY(check_sm2_id(a, sm2_id));
  std::shared_ptr<const ossl::RepeatSigner> repeat =
      HPKI_TRY(ossl::RepeatSigner::create(key.impl_->pkey.get(), sign_options(a, sm2_id)));
  return std::unique_ptr<SoftwareSigner>(
      new SoftwareSigner(std::move(key), a, std::string(sm2_id), std::move(repeat)));
}

Result<Bytes> SoftwareSigner::sign(BytesView message) const { return repeat_->sign(message); }

Result<std::unique_ptr<SoftwareDecrypter>> SoftwareDecrypter::create(PrivateKey key) {
  const KeyType t = key.spec().type;
  if (t != KeyType::kRsa && t != KeyType::kSm2) {
    return fail(ErrorCode::kUnsupportedAlgorithm,
                "decryption needs an RSA or SM2 key, not " + key_spec_name(key.spec()));
  }
  return std::unique_ptr<SoftwareDecrypter>(new SoftwareDecrypter(std::move(key)));
}

Result<SecretBytes> SoftwareDecrypter::decrypt(BytesView ciphertext) const {
  return decrypt(ciphertext, Sm2CiphertextFormat::kAuto);
}

Result<SecretBytes> SoftwareDecrypter::decrypt(BytesView ciphertext,
                                               Sm2CiphertextFormat format) const {
  const EVP_PKEY* pkey = key_.impl_->pkey.get();
  if (key_.spec().type != KeyType::kSm2) return ossl::pkey_decrypt(pkey, ciphertext);
  if (ciphertext.size() > kMaxSm2Ciphertext) {
    return fail(ErrorCode::kTooLarge, "SM2 ciphertext too large");
  }
  if (format == Sm2CiphertextFormat::kAuto) {
    // GM/T 0009 7.2 DER starts with a SEQUENCE tag; raw layouts start with C1's 04.
    if (!ciphertext.empty() && ciphertext[0] == 0x30) {
      return decrypt(ciphertext, Sm2CiphertextFormat::kAsn1C1C3C2);
    }
    // C1C3C2 and C1C2C3 cannot be told apart by their shape; C3 authenticates the message, so
    // at most one of them decrypts.
    auto r = decrypt(ciphertext, Sm2CiphertextFormat::kRawC1C3C2);
    if (r.has_value()) return r;
    auto r2 = decrypt(ciphertext, Sm2CiphertextFormat::kRawC1C2C3);
    if (r2.has_value()) return r2;
    return fail(ErrorCode::kDecryptFailed,
                "SM2 ciphertext is neither valid ASN.1 C1C3C2 nor raw C1C3C2 / C1C2C3: " +
                    r.error().detail());
  }
  if (format == Sm2CiphertextFormat::kAsn1C1C3C2) {
    // Strict DER check first (OpenSSL's decoder is more lenient), then decrypt the input as is.
    auto parsed = sm2_ciphertext_der_to_raw(ciphertext, Sm2CiphertextFormat::kRawC1C3C2);
    if (!parsed) return fail(ErrorCode::kDecryptFailed, parsed.error().detail());
    return ossl::pkey_decrypt(pkey, ciphertext);
  }
  auto der = sm2_ciphertext_raw_to_der(ciphertext, format);
  if (!der) return fail(ErrorCode::kDecryptFailed, der.error().detail());
  return ossl::pkey_decrypt(pkey, *der);
}

struct PublicKey::Impl {
  ossl::Ptr<EVP_PKEY> pkey;
  Bytes der;
  KeySpec spec;
};

Result<PublicKey> PublicKey::from_spki(BytesView spki_der) {
  return from_spki(spki_der, VerifyPolicy{});
}

Result<PublicKey> PublicKey::from_spki(BytesView spki_der, const VerifyPolicy& policy) {
  auto impl = std::make_shared<Impl>();
  impl->pkey = HPKI_TRY(ossl::pkey_from_spki(spki_der));
  impl->spec = HPKI_TRY(
      spec_of(impl->pkey.get(), policy.allow_legacy_rsa_insecure ? kMinLegacyRsaBits : 2048));
  impl->der.assign(spki_der.begin(), spki_der.end());
  return PublicKey(std::move(impl));
}

const Bytes& PublicKey::der() const { return impl_->der; }

KeySpec PublicKey::spec() const { return impl_->spec; }

Result<void> PublicKey::verify(SignatureAlg alg, BytesView message, BytesView signature,
                               std::string_view sm2_id) const {
  if (!signature_alg_fits(alg, impl_->spec.type)) {
    return fail(ErrorCode::kKeyMismatch, std::string(signature_alg_name(alg)) + " does not fit a " +
                                             key_spec_name(impl_->spec) + " key");
  }
  HPKI_TRY(check_sm2_id(alg, sm2_id));
  return ossl::digest_verify(impl_->pkey.get(), sign_options(alg, sm2_id), message, signature);
}

Result<Bytes> PublicKey::encrypt(BytesView plaintext) const {
  if (impl_->spec.type != KeyType::kRsa && impl_->spec.type != KeyType::kSm2) {
    return fail(ErrorCode::kUnsupportedAlgorithm,
                "encryption needs an RSA or SM2 key, not " + key_spec_name(impl_->spec));
  }
  if (plaintext.empty()) return fail(ErrorCode::kInvalidArgument, "empty plaintext");
  return ossl::pkey_encrypt(impl_->pkey.get(), plaintext);
}

Result<KeySpec> key_spec_of(BytesView spki_der) {
  ossl::Ptr<EVP_PKEY> pkey = HPKI_TRY(ossl::pkey_from_spki(spki_der));
  return spec_of(pkey.get());
}

Result<Bytes> encrypt(BytesView spki_der, BytesView plaintext) {
  PublicKey key = HPKI_TRY(PublicKey::from_spki(spki_der));
  return key.encrypt(plaintext);
}

Result<void> verify_signature(BytesView spki_der, SignatureAlg alg, BytesView message,
                              BytesView signature, std::string_view sm2_id) {
  PublicKey key = HPKI_TRY(PublicKey::from_spki(spki_der));
  return key.verify(alg, message, signature, sm2_id);
}

Result<void> verify_signature_once(BytesView spki_der, SignatureAlg alg, BytesView message,
                                   BytesView signature, std::string_view sm2_id,
                                   const VerifyPolicy& policy) {
  if (policy.cache == nullptr) {
    return verify_signature(spki_der, alg, message, signature, sm2_id, policy);
  }
  PublicKey key = HPKI_TRY(policy.cache->key(spki_der, policy));
  return key.verify(alg, message, signature, sm2_id);
}

Result<void> verify_rsa_pkcs1_sha1(BytesView spki_der, BytesView message, BytesView signature) {
  ossl::Ptr<EVP_PKEY> pkey = HPKI_TRY(ossl::pkey_from_spki(spki_der));
  if (HPKI_TRY(spec_of(pkey.get())).type != KeyType::kRsa)
    return fail(ErrorCode::kKeyMismatch, "sha1WithRSAEncryption needs an RSA key");
  ossl::SignOptions o;
  o.digest = "SHA1";
  return ossl::digest_verify(pkey.get(), o, message, signature);
}

Result<void> verify_signature(BytesView spki_der, SignatureAlg alg, BytesView message,
                              BytesView signature, std::string_view sm2_id,
                              const VerifyPolicy& policy) {
  if (policy.cache != nullptr)
    return policy.cache->verify(spki_der, alg, message, signature, sm2_id, policy);
  PublicKey key = HPKI_TRY(PublicKey::from_spki(spki_der, policy));
  return key.verify(alg, message, signature, sm2_id);
}

}  // namespace hpki::crypto
