// crypto/key.h: generation, PKCS#8 import/export, sign/verify round trips, encryption.
#include <gtest/gtest.h>

#include "asym_test_util.h"
#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/key.h"
#include "ossl/pkey.h"
#include "ossl/random.h"

namespace hpki::crypto {
namespace {

using testing::p256;
using testing::p384;
using testing::rsa2048;
using testing::rsa3072;
using testing::sm2;

const Bytes kMessage = to_bytes("hpki: the quick brown fox signs a certificate");

void expect_round_trip(const PrivateKey& key, SignatureAlg alg) {
  SCOPED_TRACE(std::string(signature_alg_name(alg)) + " / " + key_spec_name(key.spec()));
  auto signer = key.signer(alg);
  ASSERT_TRUE(signer.has_value()) << signer.error().to_string();
  EXPECT_EQ((*signer)->algorithm(), alg);
  EXPECT_EQ((*signer)->public_key_der(), key.public_key_der());
  auto sig = (*signer)->sign(kMessage);
  ASSERT_TRUE(sig.has_value()) << sig.error().to_string();
  auto ok = verify_signature(key.public_key_der(), alg, kMessage, *sig);
  EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
  // A changed message, a changed signature, or another key do not verify.
  Bytes other = kMessage;
  other[0] ^= 1;
  EXPECT_EQ(verify_signature(key.public_key_der(), alg, other, *sig).error().code(),
            ErrorCode::kBadSignature);
  Bytes bad = *sig;
  bad[bad.size() / 2] ^= 0x40;
  EXPECT_EQ(verify_signature(key.public_key_der(), alg, kMessage, bad).error().code(),
            ErrorCode::kBadSignature);
  EXPECT_EQ(verify_signature(key.public_key_der(), alg, kMessage, {}).error().code(),
            ErrorCode::kBadSignature);
  auto fresh = PrivateKey::generate(key.spec().type == KeyType::kRsa ? KeySpec{KeyType::kRsa, 2048}
                                                                     : key.spec());
  ASSERT_TRUE(fresh.has_value());
  if (signature_alg_fits(alg, fresh->spec().type)) {
    EXPECT_EQ(verify_signature(fresh->public_key_der(), alg, kMessage, *sig).error().code(),
              ErrorCode::kBadSignature);
  }
}

TEST(SignVerify, Rsa2048) {
  for (auto alg : {SignatureAlg::kRsaPkcs1Sha256, SignatureAlg::kRsaPkcs1Sha384,
                   SignatureAlg::kRsaPkcs1Sha512, SignatureAlg::kRsaPssSha256}) {
    expect_round_trip(rsa2048(), alg);
  }
}

TEST(SignVerify, Rsa3072) {
  expect_round_trip(rsa3072(), SignatureAlg::kRsaPkcs1Sha256);
  expect_round_trip(rsa3072(), SignatureAlg::kRsaPssSha256);
}

TEST(SignVerify, Rsa4096Once) {
  // The one RSA-4096 key generation of this binary (slow).
  auto key = PrivateKey::generate({KeyType::kRsa, 4096});
  ASSERT_TRUE(key.has_value()) << key.error().to_string();
  EXPECT_EQ(key->spec(), (KeySpec{KeyType::kRsa, 4096}));
  EXPECT_EQ(key_spec_of(key->public_key_der()).value(), (KeySpec{KeyType::kRsa, 4096}));
  auto signer = key->signer(SignatureAlg::kRsaPssSha256).value();
  Bytes sig = signer->sign(kMessage).value();
  EXPECT_EQ(sig.size(), 512u);
  EXPECT_TRUE(verify_signature(key->public_key_der(), SignatureAlg::kRsaPssSha256, kMessage, sig));
}

TEST(SignVerify, Ecdsa) {
  expect_round_trip(p256(), SignatureAlg::kEcdsaSha256);
  expect_round_trip(p256(), SignatureAlg::kEcdsaSha384);
  expect_round_trip(p384(), SignatureAlg::kEcdsaSha384);
  expect_round_trip(p384(), SignatureAlg::kEcdsaSha256);
}

TEST(SignVerify, Sm2WithStandardId) {
  expect_round_trip(sm2(), SignatureAlg::kSm2Sm3);
  // GM/T 0009: the ID is part of the signed hash; another ID does not verify.
  Bytes sig = sm2().signer().value()->sign(kMessage).value();
  EXPECT_TRUE(verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig,
                               kSm2DefaultId));
  EXPECT_EQ(verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig,
                             "alice@example.com")
                .error()
                .code(),
            ErrorCode::kBadSignature);
  auto custom = sm2().signer(SignatureAlg::kSm2Sm3, "alice@example.com").value();
  Bytes sig2 = custom->sign(kMessage).value();
  EXPECT_TRUE(verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig2,
                               "alice@example.com"));
  EXPECT_FALSE(verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig2));
}

TEST(SignVerify, EmptySm2IdIsRefused) {
  EXPECT_EQ(sm2().signer(SignatureAlg::kSm2Sm3, "").error().code(), ErrorCode::kInvalidArgument);
  Bytes sig = sm2().signer().value()->sign(kMessage).value();
  EXPECT_EQ(verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig, "")
                .error()
                .code(),
            ErrorCode::kInvalidArgument);
}

TEST(SignVerify, AlgorithmMustFitKey) {
  EXPECT_EQ(p256().signer(SignatureAlg::kRsaPkcs1Sha256).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(rsa2048().signer(SignatureAlg::kSm2Sm3).error().code(), ErrorCode::kInvalidArgument);
  // An ECDSA signature made with a P-256 key must not pass as SM2 for the same bytes.
  Bytes sig = p256().signer().value()->sign(kMessage).value();
  EXPECT_EQ(verify_signature(p256().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig)
                .error()
                .code(),
            ErrorCode::kKeyMismatch);
  EXPECT_EQ(verify_signature(sm2().public_key_der(), SignatureAlg::kEcdsaSha256, kMessage, sig)
                .error()
                .code(),
            ErrorCode::kKeyMismatch);
  EXPECT_EQ(verify_signature(to_bytes("garbage"), SignatureAlg::kEcdsaSha256, kMessage, sig)
                .error()
                .code(),
            ErrorCode::kMalformed);
}

TEST(Keys, DefaultAlgorithms) {
  EXPECT_EQ(rsa2048().signer().value()->algorithm(), SignatureAlg::kRsaPkcs1Sha256);
  EXPECT_EQ(p384().signer().value()->algorithm(), SignatureAlg::kEcdsaSha384);
  EXPECT_EQ(sm2().signer().value()->algorithm(), SignatureAlg::kSm2Sm3);
}

TEST(Keys, SpecOfSpki) {
  EXPECT_EQ(key_spec_of(rsa2048().public_key_der()).value(), (KeySpec{KeyType::kRsa, 2048}));
  EXPECT_EQ(key_spec_of(rsa3072().public_key_der()).value(), (KeySpec{KeyType::kRsa, 3072}));
  EXPECT_EQ(key_spec_of(p256().public_key_der()).value(), (KeySpec{KeyType::kEcP256, 0}));
  EXPECT_EQ(key_spec_of(p384().public_key_der()).value(), (KeySpec{KeyType::kEcP384, 0}));
  EXPECT_EQ(key_spec_of(sm2().public_key_der()).value(), (KeySpec{KeyType::kSm2, 0}));
  Bytes trailing = p256().public_key_der();
  trailing.push_back(0);
  EXPECT_EQ(key_spec_of(trailing).error().code(), ErrorCode::kTrailingData);
  EXPECT_EQ(key_spec_of({}).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(key_spec_of(BytesView(p256().public_key_der()).first(20)).error().code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(PrivateKey::generate({KeyType::kRsa, 1024}).error().code(),
            ErrorCode::kInvalidArgument);
}

TEST(Keys, Sm2KeysStaySm2ThroughEncodings) {
  // OpenSSL 3.0 could decode an SM2 SPKI / PKCS#8 as a plain EC key; ours must be type SM2.
  auto pub = ossl::pkey_from_spki(sm2().public_key_der()).value();
  EXPECT_TRUE(EVP_PKEY_is_a(pub.get(), "SM2"));
  SecretBytes p8 = sm2().to_pkcs8_der().value();
  auto priv = ossl::pkey_from_pkcs8(p8.view()).value();
  EXPECT_TRUE(EVP_PKEY_is_a(priv.get(), "SM2"));
  // An EC-typed key on the SM2 curve (what `-algorithm EC -pkeyopt ec_paramgen_curve:SM2`
  // yields in memory) is converted when imported.
  EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "SM2");
  ASSERT_NE(raw, nullptr);
  auto ec = ossl::own(raw);
  EXPECT_TRUE(EVP_PKEY_is_a(ec.get(), "EC"));
  SecretBytes ec_p8 = ossl::pkey_to_pkcs8(ec.get()).value();
  auto loaded = PrivateKey::from_pkcs8_der(ec_p8.view());
  ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
  EXPECT_EQ(loaded->spec().type, KeyType::kSm2);
}

TEST(Keys, Pkcs8RoundTrip) {
  for (const PrivateKey* k : {&rsa2048(), &p256(), &p384(), &sm2()}) {
    SecretBytes der = k->to_pkcs8_der().value();
    auto back = PrivateKey::from_pkcs8_der(der.view());
    ASSERT_TRUE(back.has_value()) << back.error().to_string();
    EXPECT_EQ(back->public_key_der(), k->public_key_der());
    EXPECT_EQ(back->spec(), k->spec());
  }
  EXPECT_EQ(PrivateKey::from_pkcs8_der(to_bytes("nope")).error().code(), ErrorCode::kMalformed);
  SecretBytes der = p256().to_pkcs8_der().value();
  Bytes trailing(der.view().begin(), der.view().end());
  trailing.push_back(0);
  EXPECT_EQ(PrivateKey::from_pkcs8_der(trailing).error().code(), ErrorCode::kTrailingData);
}

TEST(Keys, EncryptedPemRoundTripAndWrongPassphrase) {
  const SecretBytes pass("correct horse battery staple");
  std::string pem = sm2().to_encrypted_pem(pass).value();
  EXPECT_NE(pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----"), std::string::npos);
  auto back = PrivateKey::from_pem(pem, pass);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(back->public_key_der(), sm2().public_key_der());
  EXPECT_EQ(back->spec().type, KeyType::kSm2);
  // The loaded key signs with the standard ID like the original.
  Bytes sig = back->signer().value()->sign(kMessage).value();
  EXPECT_TRUE(verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig));

  EXPECT_EQ(PrivateKey::from_pem(pem, SecretBytes("wrong")).error().code(),
            ErrorCode::kBadPassphrase);
  EXPECT_EQ(PrivateKey::from_pem(pem).error().code(), ErrorCode::kBadPassphrase);
  EXPECT_EQ(sm2().to_encrypted_pem(SecretBytes()).error().code(), ErrorCode::kInvalidArgument);
  // Two encryptions differ (random salt and IV).
  EXPECT_NE(sm2().to_encrypted_pem(pass).value(), pem);
  // A corrupted body is refused, never crashes.
  std::string broken = pem;
  broken[broken.size() / 2] = broken[broken.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(PrivateKey::from_pem(broken, pass).has_value());
  EXPECT_EQ(PrivateKey::from_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
                .error()
                .code(),
            ErrorCode::kUnexpectedType);
  EXPECT_FALSE(PrivateKey::from_pem("no pem here").has_value());
}

TEST(Keys, PlainPem) {
  SecretBytes der = p384().to_pkcs8_der().value();
  std::string pem = pem_encode("PRIVATE KEY", der.view());
  auto back = PrivateKey::from_pem(pem);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(back->public_key_der(), p384().public_key_der());
}

TEST(Encryption, RsaOaepRoundTrip) {
  const Bytes secret = to_bytes("a 32-byte content-encryption key");
  Bytes ct = encrypt(rsa2048().public_key_der(), secret).value();
  EXPECT_EQ(ct.size(), 256u);
  auto dec = rsa2048().decrypter().value();
  SecretBytes pt = dec->decrypt(ct).value();
  EXPECT_EQ(Bytes(pt.view().begin(), pt.view().end()), secret);
  ct[10] ^= 1;
  EXPECT_EQ(dec->decrypt(ct).error().code(), ErrorCode::kDecryptFailed);
  EXPECT_EQ(dec->decrypt(Bytes(17, 1)).error().code(), ErrorCode::kDecryptFailed);
  EXPECT_EQ(encrypt(p256().public_key_der(), secret).error().code(),
            ErrorCode::kUnsupportedAlgorithm);
  EXPECT_EQ(p256().decrypter().error().code(), ErrorCode::kUnsupportedAlgorithm);
}

TEST(Encryption, Sm2AllLayouts) {
  const Bytes secret = to_bytes("SM4 key 0123456789abcdef");
  Bytes ct = encrypt(sm2().public_key_der(), secret).value();
  // GM/T 0009 7.2 ASN.1 C1C3C2: SEQUENCE{INTEGER, INTEGER, OCTET STRING(32), OCTET STRING}.
  ASSERT_EQ(ct[0], 0x30);
  Bytes c1c3c2 = sm2_ciphertext_der_to_raw(ct, Sm2CiphertextFormat::kRawC1C3C2).value();
  Bytes c1c2c3 = sm2_ciphertext_der_to_raw(ct, Sm2CiphertextFormat::kRawC1C2C3).value();
  EXPECT_EQ(c1c3c2.size(), 65 + 32 + secret.size());
  EXPECT_EQ(sm2_ciphertext_raw_to_der(c1c3c2, Sm2CiphertextFormat::kRawC1C3C2).value(), ct);
  EXPECT_EQ(sm2_ciphertext_raw_to_der(c1c2c3, Sm2CiphertextFormat::kRawC1C2C3).value(), ct);

  auto dec_any = sm2().decrypter().value();
  auto& dec = dynamic_cast<const SoftwareDecrypter&>(*dec_any);
  auto same = [&](const Result<SecretBytes>& r) {
    return r.has_value() && Bytes(r->view().begin(), r->view().end()) == secret;
  };
  EXPECT_TRUE(same(dec.decrypt(ct)));
  EXPECT_TRUE(same(dec.decrypt(ct, Sm2CiphertextFormat::kAsn1C1C3C2)));
  EXPECT_TRUE(same(dec.decrypt(c1c3c2, Sm2CiphertextFormat::kRawC1C3C2)));
  EXPECT_TRUE(same(dec.decrypt(c1c2c3, Sm2CiphertextFormat::kRawC1C2C3)));
  EXPECT_TRUE(same(dec.decrypt(c1c3c2, Sm2CiphertextFormat::kAuto)));
  EXPECT_TRUE(same(dec.decrypt(c1c2c3, Sm2CiphertextFormat::kAuto)));
  // The wrong explicit layout fails the C3 check.
  EXPECT_EQ(dec.decrypt(c1c3c2, Sm2CiphertextFormat::kRawC1C2C3).error().code(),
            ErrorCode::kDecryptFailed);
  EXPECT_EQ(dec.decrypt(ct, Sm2CiphertextFormat::kRawC1C3C2).error().code(),
            ErrorCode::kDecryptFailed);
  // Another key cannot decrypt.
  auto other = PrivateKey::generate({KeyType::kSm2, 0}).value();
  EXPECT_EQ(other.decrypter().value()->decrypt(ct).error().code(), ErrorCode::kDecryptFailed);
}

TEST(Encryption, Sm2GarbageNeverCrashes) {
  auto dec = sm2().decrypter().value();
  Bytes ct = encrypt(sm2().public_key_der(), to_bytes("x")).value();
  int checked = 0;
  // Every truncation and every single-byte corruption of a real ciphertext is refused.
  for (std::size_t n = 0; n < ct.size(); ++n) {
    EXPECT_EQ(dec->decrypt(BytesView(ct).first(n)).error().code(), ErrorCode::kDecryptFailed) << n;
    Bytes bad = ct;
    bad[n] ^= 0x5a;
    auto r = dec->decrypt(bad);
    EXPECT_FALSE(r.has_value()) << n;
    if (!r) {
      EXPECT_EQ(r.error().code(), ErrorCode::kDecryptFailed) << n;
    }
    checked += 2;
  }
  // Random bytes of many lengths, with and without a leading 04 / 30.
  for (std::size_t len : {1u, 2u, 64u, 65u, 97u, 98u, 130u, 200u, 1000u}) {
    for (int first : {0x04, 0x30, 0x00}) {
      Bytes junk(len);
      ASSERT_TRUE(ossl::random_bytes(junk));
      junk[0] = static_cast<std::uint8_t>(first);
      EXPECT_EQ(dec->decrypt(junk).error().code(), ErrorCode::kDecryptFailed) << len;
      ++checked;
    }
  }
  EXPECT_GT(checked, 200);
  EXPECT_EQ(dec->decrypt(Bytes(kMaxSm2Ciphertext + 1, 4)).error().code(), ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace hpki::crypto

namespace hpki::crypto {
namespace {

TEST(PublicKeyTest, ParsedOnceVerifiesAndEncrypts) {
  auto pub = PublicKey::from_spki(testing::sm2().public_key_der()).value();
  EXPECT_EQ(pub.spec().type, KeyType::kSm2);
  EXPECT_EQ(pub.der(), testing::sm2().public_key_der());
  const Bytes msg = to_bytes("m");
  Bytes sig = testing::sm2().signer().value()->sign(msg).value();
  EXPECT_TRUE(pub.verify(SignatureAlg::kSm2Sm3, msg, sig).has_value());
  EXPECT_EQ(pub.verify(SignatureAlg::kSm2Sm3, to_bytes("n"), sig).error().code(),
            ErrorCode::kBadSignature);
  EXPECT_EQ(pub.verify(SignatureAlg::kEcdsaSha256, msg, sig).error().code(),
            ErrorCode::kKeyMismatch);
  Bytes ct = pub.encrypt(msg).value();
  EXPECT_EQ(testing::sm2().decrypter().value()->decrypt(ct).value().as_string_view(), "m");
  auto ec = PublicKey::from_spki(testing::p256().public_key_der()).value();
  EXPECT_EQ(ec.encrypt(msg).error().code(), ErrorCode::kUnsupportedAlgorithm);
  EXPECT_EQ(PublicKey::from_spki(to_bytes("x")).error().code(), ErrorCode::kMalformed);
}

}  // namespace
}  // namespace hpki::crypto
