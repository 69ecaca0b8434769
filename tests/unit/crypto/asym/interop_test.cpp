// Cross-implementation tests against the real openssl CLI (OpenSSL 3.0), both directions:
// signatures (SM2 with the GM/T 0009 default ID, RSA PKCS#1 / PSS, ECDSA), SM2 and RSA-OAEP
// encryption, and key files (plain and scrypt-encrypted PKCS#8).
#include <gtest/gtest.h>

#include "asym_test_util.h"
#include "core/pem.h"
#include "crypto/key.h"
#include "ossl/pkey.h"

namespace hpki::crypto {
namespace {

using testing::p256;
using testing::p384;
using testing::read_file;
using testing::read_text;
using testing::rsa2048;
using testing::rsa3072;
using testing::run;
using testing::sm2;
using testing::TempDir;
using testing::write_file;

const std::string kDistId = "distid:" + std::string(kSm2DefaultId);
const std::string kPss =
    "-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:32 -pkeyopt rsa_mgf1_md:sha256";
const std::string kOaep =
    "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256";

// Writes the key's public PEM and plain private PEM into `dir` as pub.pem / key.pem.
void write_key_files(const TempDir& dir, const PrivateKey& key) {
  write_file(dir.file("pub.pem"), pem_encode("PUBLIC KEY", key.public_key_der()));
  SecretBytes der = key.to_pkcs8_der().value();
  write_file(dir.file("key.pem"), pem_encode("PRIVATE KEY", der.view()));
}

class OpensslCli : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string out;
    ASSERT_EQ(run("openssl version", &out), 0) << "the openssl CLI is required";
    ASSERT_NE(out.find("OpenSSL 3."), std::string::npos) << out;
    write_file(dir_.file("msg"), kMessage);
  }
  std::string f(std::string_view name) const { return dir_.file(name); }

  const Bytes kMessage = to_bytes("message signed across implementations\n");
  TempDir dir_;
};

TEST_F(OpensslCli, Sm2OurSignatureVerifiesWithOpenssl) {
  write_key_files(dir_, sm2());
  Bytes sig = sm2().signer().value()->sign(kMessage).value();
  write_file(f("sig"), sig);
  std::string out;
  EXPECT_EQ(run("openssl pkeyutl -verify -rawin -digest sm3 -pkeyopt " + kDistId +
                    " -pubin -inkey " + f("pub.pem") + " -in " + f("msg") + " -sigfile " + f("sig"),
                &out),
            0)
      << out;
  EXPECT_NE(out.find("Signature Verified Successfully"), std::string::npos) << out;
  // The guard: OpenSSL without the ID (its silent empty-ID default) must reject it.
  EXPECT_NE(run("openssl pkeyutl -verify -rawin -digest sm3 -pubin -inkey " + f("pub.pem") +
                    " -in " + f("msg") + " -sigfile " + f("sig"),
                &out),
            0)
      << out;
}

TEST_F(OpensslCli, Sm2OpensslSignatureVerifiesWithOurs) {
  write_key_files(dir_, sm2());
  std::string out;
  ASSERT_EQ(run("openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt " + kDistId + " -inkey " +
                    f("key.pem") + " -in " + f("msg") + " -out " + f("sig"),
                &out),
            0)
      << out;
  auto ok = verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage,
                             read_file(f("sig")));
  EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
}

TEST_F(OpensslCli, Sm2EmptyIdGuard) {
  write_key_files(dir_, sm2());
  std::string out;
  // An OpenSSL signature made with the EMPTY ID (no distid) does not verify under the standard ID.
  ASSERT_EQ(run("openssl pkeyutl -sign -rawin -digest sm3 -inkey " + f("key.pem") + " -in " +
                    f("msg") + " -out " + f("sig_empty"),
                &out),
            0)
      << out;
  const Bytes sig_empty = read_file(f("sig_empty"));
  EXPECT_EQ(verify_signature(sm2().public_key_der(), SignatureAlg::kSm2Sm3, kMessage, sig_empty)
                .error()
                .code(),
            ErrorCode::kBadSignature);
  // ...but it is a valid signature under the empty ID (test-only path of the ossl layer), so the
  // rejection above is due to the ID alone.
  auto pub = ossl::pkey_from_spki(sm2().public_key_der()).value();
  ossl::SignOptions empty_id{.digest = "SM3", .sm2_id = std::string_view()};
  EXPECT_TRUE(ossl::digest_verify(pub.get(), empty_id, kMessage, sig_empty).has_value());
  // Ours (standard ID) does not verify under the empty ID.
  Bytes ours = sm2().signer().value()->sign(kMessage).value();
  EXPECT_EQ(ossl::digest_verify(pub.get(), empty_id, kMessage, ours).error().code(),
            ErrorCode::kBadSignature);
  // And the ossl layer refuses to run SM2 without an explicit ID at all.
  ossl::SignOptions no_id{.digest = "SM3", .sm2_id = std::nullopt};
  EXPECT_EQ(ossl::digest_verify(pub.get(), no_id, kMessage, ours).error().code(),
            ErrorCode::kInvalidArgument);
}

struct RsaCase {
  SignatureAlg alg;
  std::string opts;  // pkeyutl options
  std::string digest;
};

TEST_F(OpensslCli, RsaBothDirections) {
  const std::vector<RsaCase> cases = {
      {SignatureAlg::kRsaPkcs1Sha256, "", "sha256"},
      {SignatureAlg::kRsaPkcs1Sha384, "", "sha384"},
      {SignatureAlg::kRsaPssSha256, kPss, "sha256"},
  };
  for (const PrivateKey* key : {&rsa2048(), &rsa3072()}) {
    write_key_files(dir_, *key);
    for (const auto& c : cases) {
      SCOPED_TRACE(std::string(signature_alg_name(c.alg)) + " " + key_spec_name(key->spec()));
      std::string out;
      Bytes sig = key->signer(c.alg).value()->sign(kMessage).value();
      write_file(f("sig"), sig);
      EXPECT_EQ(
          run("openssl pkeyutl -verify -rawin -digest " + c.digest + " " + c.opts +
                  " -pubin -inkey " + f("pub.pem") + " -in " + f("msg") + " -sigfile " + f("sig"),
              &out),
          0)
          << out;
      ASSERT_EQ(run("openssl pkeyutl -sign -rawin -digest " + c.digest + " " + c.opts + " -inkey " +
                        f("key.pem") + " -in " + f("msg") + " -out " + f("sig2"),
                    &out),
                0)
          << out;
      auto ok = verify_signature(key->public_key_der(), c.alg, kMessage, read_file(f("sig2")));
      EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
    }
  }
  // A PSS signature with another salt length (OpenSSL's default: maximal) is refused: hpki
  // requires salt 32 (RFC 4055 parameters it writes in certificates).
  std::string out;
  ASSERT_EQ(run("openssl pkeyutl -sign -rawin -digest sha256 -pkeyopt rsa_padding_mode:pss "
                "-inkey " +
                    f("key.pem") + " -in " + f("msg") + " -out " + f("sig3"),
                &out),
            0)
      << out;
  EXPECT_EQ(verify_signature(rsa3072().public_key_der(), SignatureAlg::kRsaPssSha256, kMessage,
                             read_file(f("sig3")))
                .error()
                .code(),
            ErrorCode::kBadSignature);
}

TEST_F(OpensslCli, EcdsaBothDirections) {
  struct Case {
    const PrivateKey* key;
    SignatureAlg alg;
    std::string dgst;
  };
  for (const auto& c : {Case{&p256(), SignatureAlg::kEcdsaSha256, "-sha256"},
                        Case{&p384(), SignatureAlg::kEcdsaSha384, "-sha384"},
                        Case{&p256(), SignatureAlg::kEcdsaSha384, "-sha384"}}) {
    SCOPED_TRACE(std::string(signature_alg_name(c.alg)) + " " + key_spec_name(c.key->spec()));
    write_key_files(dir_, *c.key);
    std::string out;
    write_file(f("sig"), c.key->signer(c.alg).value()->sign(kMessage).value());
    EXPECT_EQ(run("openssl dgst " + c.dgst + " -verify " + f("pub.pem") + " -signature " +
                      f("sig") + " " + f("msg"),
                  &out),
              0)
        << out;
    EXPECT_NE(out.find("Verified OK"), std::string::npos) << out;
    ASSERT_EQ(run("openssl dgst " + c.dgst + " -sign " + f("key.pem") + " -out " + f("sig2") + " " +
                      f("msg"),
                  &out),
              0)
        << out;
    auto ok = verify_signature(c.key->public_key_der(), c.alg, kMessage, read_file(f("sig2")));
    EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
  }
}

TEST_F(OpensslCli, Sm2EncryptionBothDirections) {
  write_key_files(dir_, sm2());
  const Bytes secret = to_bytes("session key material 1234567890");
  write_file(f("ct"), encrypt(sm2().public_key_der(), secret).value());
  std::string out;
  ASSERT_EQ(run("openssl pkeyutl -decrypt -inkey " + f("key.pem") + " -in " + f("ct") + " -out " +
                    f("pt"),
                &out),
            0)
      << out;
  EXPECT_EQ(read_file(f("pt")), secret);

  write_file(f("pt2"), secret);
  ASSERT_EQ(run("openssl pkeyutl -encrypt -pubin -inkey " + f("pub.pem") + " -in " + f("pt2") +
                    " -out " + f("ct2"),
                &out),
            0)
      << out;
  auto dec = sm2().decrypter().value()->decrypt(read_file(f("ct2")));
  ASSERT_TRUE(dec.has_value()) << dec.error().to_string();
  EXPECT_EQ(Bytes(dec->view().begin(), dec->view().end()), secret);
}

TEST_F(OpensslCli, RsaOaepBothDirections) {
  write_key_files(dir_, rsa2048());
  const Bytes secret = to_bytes("AES-256 key for a document......");
  write_file(f("ct"), encrypt(rsa2048().public_key_der(), secret).value());
  std::string out;
  ASSERT_EQ(run("openssl pkeyutl -decrypt " + kOaep + " -inkey " + f("key.pem") + " -in " +
                    f("ct") + " -out " + f("pt"),
                &out),
            0)
      << out;
  EXPECT_EQ(read_file(f("pt")), secret);
  write_file(f("pt2"), secret);
  ASSERT_EQ(run("openssl pkeyutl -encrypt " + kOaep + " -pubin -inkey " + f("pub.pem") + " -in " +
                    f("pt2") + " -out " + f("ct2"),
                &out),
            0)
      << out;
  auto dec = rsa2048().decrypter().value()->decrypt(read_file(f("ct2")));
  ASSERT_TRUE(dec.has_value()) << dec.error().to_string();
  EXPECT_EQ(Bytes(dec->view().begin(), dec->view().end()), secret);
}

TEST_F(OpensslCli, GenpkeyKeysLoadInOurs) {
  struct Case {
    std::string args;
    KeySpec spec;
  };
  const std::vector<Case> cases = {
      {"-algorithm RSA -pkeyopt rsa_keygen_bits:2048", {KeyType::kRsa, 2048}},
      {"-algorithm EC -pkeyopt ec_paramgen_curve:P-256", {KeyType::kEcP256, 0}},
      {"-algorithm EC -pkeyopt ec_paramgen_curve:P-384", {KeyType::kEcP384, 0}},
      {"-algorithm SM2", {KeyType::kSm2, 0}},
      {"-algorithm EC -pkeyopt ec_paramgen_curve:SM2", {KeyType::kSm2, 0}},
  };
  const SecretBytes pass("s3cret pass");
  for (const auto& c : cases) {
    SCOPED_TRACE(c.args);
    std::string out;
    ASSERT_EQ(run("openssl genpkey " + c.args + " -out " + f("gen.pem"), &out), 0) << out;
    ASSERT_EQ(
        run("openssl pkey -in " + f("gen.pem") + " -pubout -outform DER -out " + f("gen_pub.der"),
            &out),
        0)
        << out;
    const Bytes pub = read_file(f("gen_pub.der"));
    auto plain = PrivateKey::from_pem(read_text(f("gen.pem")));
    ASSERT_TRUE(plain.has_value()) << plain.error().to_string();
    EXPECT_EQ(plain->spec(), c.spec);
    EXPECT_EQ(plain->public_key_der(), pub);
    // Encrypted by the CLI with PBES2 + scrypt + AES-256-CBC.
    ASSERT_EQ(run("openssl pkcs8 -topk8 -v2 aes-256-cbc -scrypt -in " + f("gen.pem") +
                      " -passout pass:'s3cret pass' -out " + f("enc.pem"),
                  &out),
              0)
        << out;
    const std::string enc = read_text(f("enc.pem"));
    auto loaded = PrivateKey::from_pem(enc, pass);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    EXPECT_EQ(loaded->spec(), c.spec);
    EXPECT_EQ(loaded->public_key_der(), pub);
    EXPECT_EQ(PrivateKey::from_pem(enc, SecretBytes("s3cret pas")).error().code(),
              ErrorCode::kBadPassphrase);
    // The loaded key signs something the CLI accepts (SM2: with the standard ID).
    Bytes sig = loaded->signer().value()->sign(kMessage).value();
    write_file(f("sig"), sig);
    write_file(f("pub.pem"), pem_encode("PUBLIC KEY", pub));
    const std::string digest = c.spec.type == KeyType::kSm2      ? "sm3 -pkeyopt " + kDistId
                               : c.spec.type == KeyType::kEcP384 ? "sha384"
                                                                 : "sha256";
    EXPECT_EQ(run("openssl pkeyutl -verify -rawin -digest " + digest + " -pubin -inkey " +
                      f("pub.pem") + " -in " + f("msg") + " -sigfile " + f("sig"),
                  &out),
              0)
        << out;
  }
}

TEST_F(OpensslCli, OurEncryptedKeysLoadInOpenssl) {
  const SecretBytes pass("pässwörd with spaces");
  for (const PrivateKey* key : {&rsa2048(), &p256(), &p384(), &sm2()}) {
    SCOPED_TRACE(key_spec_name(key->spec()));
    write_file(f("ours.pem"), key->to_encrypted_pem(pass).value());
    write_file(f("pass.txt"), pass.view());
    std::string out;
    ASSERT_EQ(run("openssl pkey -passin file:" + f("pass.txt") + " -in " + f("ours.pem") +
                      " -pubout -outform DER -out " + f("pub.der"),
                  &out),
              0)
        << out;
    EXPECT_EQ(read_file(f("pub.der")), key->public_key_der());
    // The CLI sees PBES2 with scrypt and AES-256-CBC.
    ASSERT_EQ(run("openssl asn1parse -in " + f("ours.pem"), &out), 0) << out;
    EXPECT_NE(out.find(":PBES2"), std::string::npos) << out;
    EXPECT_NE(out.find(":scrypt"), std::string::npos) << out;
    EXPECT_NE(out.find(":aes-256-cbc"), std::string::npos) << out;
    // A wrong passphrase fails in the CLI as well.
    EXPECT_NE(run("openssl pkey -passin pass:wrong -in " + f("ours.pem") + " -noout", &out), 0);
  }
}

}  // namespace
}  // namespace hpki::crypto
