// Pkcs11KeyStore (crypto/pkcs11_keystore.h): the Signer and the Decrypter of a key on a token.
#include <p11-kit/pkcs11.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>

#include "crypto/detail/pkcs11.h"
#include "ossl/pkcs11_support.h"

namespace hpki::crypto::detail {
namespace {

class Pkcs11Signer final : public Signer {
 public:
  Pkcs11Signer(std::shared_ptr<Token> token, KeyInfo key, SignatureAlg alg)
      : token_(std::move(token)), key_(std::move(key)), alg_(alg) {}

  [[nodiscard]] SignatureAlg algorithm() const override { return alg_; }
  [[nodiscard]] const Bytes& public_key_der() const override { return key_.spki; }

  [[nodiscard]] Result<Bytes> sign(BytesView message) const override {
    CK_MECHANISM mech{};
    CK_RSA_PKCS_PSS_PARAMS pss{};
    Bytes digest;
    BytesView input = message;
    std::size_t expected = key_.modulus_len;
    bool ecdsa = false;
    switch (alg_) {
      case SignatureAlg::kRsaPkcs1Sha256:
        mech.mechanism = CKM_SHA256_RSA_PKCS;
        break;
      case SignatureAlg::kRsaPkcs1Sha384:
        mech.mechanism = CKM_SHA384_RSA_PKCS;
        break;
      case SignatureAlg::kRsaPkcs1Sha512:
        mech.mechanism = CKM_SHA512_RSA_PKCS;
        break;
      case SignatureAlg::kRsaPssSha256:
        // RFC 8017 9.1 / RFC 4055: SHA-256, MGF1-SHA-256, 32-byte salt.
        pss.hashAlg = CKM_SHA256;
        pss.mgf = CKG_MGF1_SHA256;
        pss.sLen = 32;
        mech = CK_MECHANISM{CKM_SHA256_RSA_PKCS_PSS, &pss, sizeof(pss)};
        break;
      case SignatureAlg::kEcdsaSha256:
      case SignatureAlg::kEcdsaSha384: {
        // Tokens like SoftHSM2 2.6 have no CKM_ECDSA_SHA256: hash here, sign the hash on the
        // token with CKM_ECDSA.
        const bool sha256 = alg_ == SignatureAlg::kEcdsaSha256;
        digest = HPKI_TRY(ossl::p11_digest(sha256 ? "SHA256" : "SHA384", message));
        input = digest;
        mech.mechanism = CKM_ECDSA;
        expected = 2 * (key_.spec.type == KeyType::kEcP256 ? 32 : 48);
        ecdsa = true;
        break;
      }
      case SignatureAlg::kSm2Sm3:
        return fail(ErrorCode::kUnsupportedByToken, sm2_unsupported(*token_));
    }
    Session s = HPKI_TRY(borrow(token_));
    CK_RV rv = s.f()->C_SignInit(s.get(), &mech, key_.priv);
    if (rv != CKR_OK) {
      s.discard();
      return fail(rv_error(rv, "C_SignInit", "key '" + key_.label + "'"));
    }
    std::uint8_t none = 0;  // C_Sign wants a pointer even for an empty message
    CK_BYTE_PTR data = input.empty() ? &none : const_cast<CK_BYTE_PTR>(input.data());
    Bytes sig(expected);
    CK_ULONG len = sig.size();
    rv = s.f()->C_Sign(s.get(), data, input.size(), sig.data(), &len);
    if (rv == CKR_BUFFER_TOO_SMALL && len <= kMaxAttribute) {
      sig.resize(len);
      rv = s.f()->C_Sign(s.get(), data, input.size(), sig.data(), &len);
    }
    if (rv != CKR_OK) {
      s.discard();
      return fail(rv_error(rv, "C_Sign", "key '" + key_.label + "'"));
    }
    sig.resize(std::min<std::size_t>(sig.size(), len));
    if (ecdsa) {
      if (sig.size() != expected) {
        return fail(ErrorCode::kTokenError, "token returned a " + std::to_string(sig.size()) +
                                                "-byte ECDSA signature, expected " +
                                                std::to_string(expected));
      }
      return ossl::p11_ecdsa_raw_to_der(sig);
    }
    return sig;
  }

 private:
  std::shared_ptr<Token> token_;
  KeyInfo key_;
  SignatureAlg alg_;
};

class Pkcs11Decrypter final : public Decrypter {
 public:
  Pkcs11Decrypter(std::shared_ptr<Token> token, KeyInfo key)
      : token_(std::move(token)), key_(std::move(key)) {}

  [[nodiscard]] const Bytes& public_key_der() const override { return key_.spki; }

  [[nodiscard]] Result<SecretBytes> decrypt(BytesView ciphertext) const override {
    // RFC 8017 7.1.2 step 1: the ciphertext is exactly k bytes.
    const std::size_t k = key_.modulus_len;
    if (ciphertext.size() != k) {
      return fail(ErrorCode::kDecryptFailed, "RSA-OAEP ciphertext must be " + std::to_string(k) +
                                                 " bytes, got " +
                                                 std::to_string(ciphertext.size()));
    }
    if (mode_.load() != Mode::kRawOnHost) {
      Session s = HPKI_TRY(borrow(token_));
      CK_RSA_PKCS_OAEP_PARAMS oaep{CKM_SHA256, CKG_MGF1_SHA256, CKZ_DATA_SPECIFIED, nullptr, 0};
      CK_MECHANISM mech{CKM_RSA_PKCS_OAEP, &oaep, sizeof(oaep)};
      CK_RV rv = s.f()->C_DecryptInit(s.get(), &mech, key_.priv);
      if (rv == CKR_OK) {
        mode_.store(Mode::kOaepOnToken);
        return run_decrypt(std::move(s), ciphertext);
      }
      // SoftHSM2 2.6 accepts only SHA-1 in CK_RSA_PKCS_OAEP_PARAMS (CKR_ARGUMENTS_BAD).
      const bool no_sha256_oaep = rv == CKR_ARGUMENTS_BAD || rv == CKR_MECHANISM_PARAM_INVALID ||
                                  rv == CKR_MECHANISM_INVALID;
      if (!no_sha256_oaep || mode_.load() == Mode::kOaepOnToken) {
        return fail(rv_error(rv, "C_DecryptInit(CKM_RSA_PKCS_OAEP)", "key '" + key_.label + "'"));
      }
      mode_.store(Mode::kRawOnHost);
    }
    // Raw RSA (RSADP) on the token, EME-OAEP decoding here.
    Session s = HPKI_TRY(borrow(token_));
    CK_MECHANISM mech{CKM_RSA_X_509, nullptr, 0};
    CK_RV rv = s.f()->C_DecryptInit(s.get(), &mech, key_.priv);
    if (rv != CKR_OK) {
      return fail(rv_error(rv, "C_DecryptInit(CKM_RSA_X_509)", "key '" + key_.label + "'"));
    }
    SecretBytes em = HPKI_TRY(run_decrypt(std::move(s), ciphertext));
    if (em.size() > k) return fail(ErrorCode::kDecryptFailed, "OAEP decoding error");
    if (em.size() < k) {  // some tokens strip leading zero bytes of the RSADP output
      SecretBytes padded(k);
      std::copy(em.view().begin(), em.view().end(), padded.data() + (k - em.size()));
      em = std::move(padded);
    }
    return ossl::p11_oaep_sha256_decode(em.view());
  }

 private:
  enum class Mode { kUnknown, kOaepOnToken, kRawOnHost };

  Result<SecretBytes> run_decrypt(Session s, BytesView ciphertext) const {
    SecretBytes out(key_.modulus_len);
    CK_ULONG len = out.size();
    CK_RV rv = s.f()->C_Decrypt(s.get(), const_cast<CK_BYTE_PTR>(ciphertext.data()),
                                ciphertext.size(), out.data(), &len);
    if (rv != CKR_OK) {
      s.discard();
      if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE ||
          rv == CKR_DATA_INVALID || rv == CKR_DATA_LEN_RANGE) {
        return fail(ErrorCode::kDecryptFailed, "C_Decrypt: " + describe_rv(rv));
      }
      return fail(rv_error(rv, "C_Decrypt", "key '" + key_.label + "'"));
    }
    out.truncate(std::min<std::size_t>(out.size(), len));
    return out;
  }

  std::shared_ptr<Token> token_;
  KeyInfo key_;
  mutable std::atomic<Mode> mode_{Mode::kUnknown};
};

}  // namespace

std::unique_ptr<Signer> new_signer(std::shared_ptr<Token> token, KeyInfo key, SignatureAlg alg) {
  return std::make_unique<Pkcs11Signer>(std::move(token), std::move(key), alg);
}

std::unique_ptr<Decrypter> new_decrypter(std::shared_ptr<Token> token, KeyInfo key) {
  return std::make_unique<Pkcs11Decrypter>(std::move(token), std::move(key));
}

}  // namespace hpki::crypto::detail
