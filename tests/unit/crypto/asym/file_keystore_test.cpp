// crypto/file_keystore.h: encrypted key files, passphrase handling, atomic no-clobber writes.
#include "crypto/file_keystore.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "asym_test_util.h"
#include "core/pem.h"

namespace hpki::crypto {
namespace {

using testing::read_text;
using testing::run;
using testing::TempDir;
using testing::write_file;

const Bytes kMessage = to_bytes("to be signed by a stored key");

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 07777;
}

TEST(FileKeyStore, GenerateReopenAndSign) {
  TempDir tmp;
  const auto dir = tmp.path() / "keys";
  KeyRef sm2_ref;
  KeyRef rsa_ref;
  Bytes sm2_pub;
  {
    auto store = FileKeyStore::open(dir, SecretBytes("store pass")).value();
    EXPECT_EQ(store->kind(), "file");
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_TRUE(store->list().value().empty());
    sm2_ref = store->generate({KeyType::kSm2, 0}, "issuing-sm2").value();
    rsa_ref = store->generate({KeyType::kRsa, 2048}, "issuing_rsa.2026").value();
    EXPECT_EQ(sm2_ref.id, "file:issuing-sm2");
    EXPECT_EQ(rsa_ref.id, "file:issuing_rsa.2026");
    sm2_pub = store->public_key(sm2_ref).value();
    EXPECT_EQ(key_spec_of(sm2_pub).value().type, KeyType::kSm2);
  }
  // Files: encrypted PKCS#8 PEM, mode 0600, no temporary left behind.
  const auto file = dir / "issuing-sm2.key.pem";
  EXPECT_EQ(mode_of(file), 0600u);
  EXPECT_EQ(mode_of(dir / "issuing_rsa.2026.key.pem"), 0600u);
  const std::string pem = read_text(file.string());
  EXPECT_TRUE(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")) << pem;
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 2);
  // The CLI opens the file with the passphrase and finds the same public key.
  std::string out;
  ASSERT_EQ(run("openssl pkey -passin pass:'store pass' -in " + file.string() +
                    " -pubout -outform DER -out " + tmp.file("pub.der"),
                &out),
            0)
      << out;
  EXPECT_EQ(testing::read_file(tmp.file("pub.der")), sm2_pub);

  // Reopen with the right passphrase: keys are listed and usable.
  auto store = FileKeyStore::open(dir, SecretBytes("store pass")).value();
  std::vector<KeyRef> refs = store->list().value();
  ASSERT_EQ(refs.size(), 2u);
  EXPECT_EQ(refs[0], sm2_ref);
  EXPECT_EQ(refs[1], rsa_ref);
  auto signer = store->signer(sm2_ref).value();
  EXPECT_EQ(signer->algorithm(), SignatureAlg::kSm2Sm3);
  EXPECT_EQ(signer->public_key_der(), sm2_pub);
  Bytes sig = signer->sign(kMessage).value();
  EXPECT_TRUE(verify_signature(sm2_pub, SignatureAlg::kSm2Sm3, kMessage, sig));
  auto pss = store->signer(rsa_ref, SignatureAlg::kRsaPssSha256).value();
  EXPECT_TRUE(verify_signature(store->public_key(rsa_ref).value(), SignatureAlg::kRsaPssSha256,
                               kMessage, pss->sign(kMessage).value()));
  auto dec = store->decrypter(sm2_ref).value();
  Bytes ct = encrypt(sm2_pub, to_bytes("k")).value();
  EXPECT_EQ(dec->decrypt(ct).value().as_string_view(), "k");
}

TEST(FileKeyStore, WrongPassphraseIsClear) {
  TempDir tmp;
  {
    auto store = FileKeyStore::open(tmp.path(), SecretBytes("right")).value();
    ASSERT_TRUE(store->generate({KeyType::kEcP256, 0}, "a").has_value());
  }
  auto bad = FileKeyStore::open(tmp.path(), SecretBytes("wrong"));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kBadPassphrase);
  EXPECT_NE(bad.error().detail().find("wrong passphrase"), std::string::npos)
      << bad.error().detail();
  EXPECT_EQ(FileKeyStore::open(tmp.path(), SecretBytes()).error().code(),
            ErrorCode::kInvalidArgument);

  // A key file written with another passphrase (e.g. copied in) fails on use with kBadPassphrase.
  auto store = FileKeyStore::open(tmp.path(), SecretBytes("right")).value();
  auto other = PrivateKey::generate({KeyType::kEcP256, 0}).value();
  write_file((tmp.path() / "z-foreign.key.pem").string(),
             other.to_encrypted_pem(SecretBytes("not the store's")).value());
  EXPECT_EQ(store->signer(KeyRef{"file:z-foreign"}).error().code(), ErrorCode::kBadPassphrase);
}

TEST(FileKeyStore, ExistingLabelRefusedAndBadRefs) {
  TempDir tmp;
  auto store = FileKeyStore::open(tmp.path(), SecretBytes("pw")).value();
  auto first = store->generate({KeyType::kEcP256, 0}, "ca").value();
  const Bytes pub = store->public_key(first).value();
  auto again = store->generate({KeyType::kEcP384, 0}, "ca");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  auto imported = store->import_key(PrivateKey::generate({KeyType::kSm2, 0}).value(), "ca");
  EXPECT_EQ(imported.error().code(), ErrorCode::kAlreadyExists);
  // The original key is untouched (also on disk, through a fresh store).
  auto reopened = FileKeyStore::open(tmp.path(), SecretBytes("pw")).value();
  EXPECT_EQ(reopened->public_key(first).value(), pub);

  for (std::string_view label : {"", ".hidden", "a/b", "../x", "sp ace", "é"}) {
    EXPECT_EQ(store->generate({KeyType::kEcP256, 0}, label).error().code(),
              ErrorCode::kInvalidArgument)
        << label;
  }
  EXPECT_EQ(store->signer(KeyRef{"file:missing"}).error().code(), ErrorCode::kKeyNotFound);
  EXPECT_EQ(store->signer(KeyRef{"pkcs11:ca"}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->public_key(KeyRef{"file:../etc/passwd"}).error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(store->signer(first, SignatureAlg::kSm2Sm3).error().code(),
            ErrorCode::kInvalidArgument);
  // A garbage file under a valid name is an error, not a crash.
  write_file((tmp.path() / "junk.key.pem").string(), std::string_view("not a key"));
  EXPECT_FALSE(reopened->signer(KeyRef{"file:junk"}).has_value());
}

TEST(FileKeyStore, FileModeIgnoresUmask) {
  TempDir tmp;
  const mode_t old = ::umask(0);
  auto store = FileKeyStore::open(tmp.path() / "k", SecretBytes("pw"));
  auto ref = store.value()->generate({KeyType::kEcP256, 0}, "loose-umask");
  ::umask(old);
  ASSERT_TRUE(ref.has_value());
  EXPECT_EQ(mode_of(tmp.path() / "k" / "loose-umask.key.pem"), 0600u);
}

TEST(Passphrase, EnvThenFileThenError) {
  TempDir tmp;
  const std::string file = tmp.file("pass.txt");
  write_file(file, std::string_view("from file\n"));
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);

  ::setenv("HPKI_TEST_PASSPHRASE", "from env", 1);
  EXPECT_EQ(resolve_passphrase({"HPKI_TEST_PASSPHRASE", file}).value().as_string_view(),
            "from env");
  ::unsetenv("HPKI_TEST_PASSPHRASE");
  EXPECT_EQ(resolve_passphrase({"HPKI_TEST_PASSPHRASE", file}).value().as_string_view(),
            "from file");
  ::setenv("HPKI_TEST_PASSPHRASE", "", 1);  // empty counts as unset
  EXPECT_EQ(resolve_passphrase({"HPKI_TEST_PASSPHRASE", file}).value().as_string_view(),
            "from file");
  ::unsetenv("HPKI_TEST_PASSPHRASE");

  EXPECT_EQ(resolve_passphrase({"HPKI_TEST_PASSPHRASE", {}}).error().code(),
            ErrorCode::kConfigMissing);
  EXPECT_EQ(resolve_passphrase({"", tmp.path() / "none"}).error().code(), ErrorCode::kIo);
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  EXPECT_EQ(resolve_passphrase({"", file}).error().code(), ErrorCode::kPermissionDenied);
  write_file(file, std::string_view("\r\n"));
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  EXPECT_EQ(resolve_passphrase({"", file}).error().code(), ErrorCode::kConfigInvalid);
}

}  // namespace
}  // namespace hpki::crypto
