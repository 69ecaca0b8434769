// Pkcs11KeyStore against a real SoftHSM2 token. Every test makes its own token in a fresh temp
// dir (SOFTHSM2_CONF set before the module is loaded) and removes it afterwards. Signatures
// and ciphertexts are checked with the openssl CLI, key attributes with pkcs11-tool (OpenSC).
// SoftHSM2 missing is a failure, not a skip: scripts/install-deps.sh installs it.
#include "crypto/pkcs11_keystore.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <p11-kit/pkcs11.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <tuple>

#include "core/pem.h"

namespace hpki::crypto {
namespace {

namespace fs = std::filesystem;

constexpr const char* kModule = "/usr/lib/softhsm/libsofthsm2.so";
constexpr const char* kTokenLabel = "hpki-test";
constexpr const char* kPin = "1234";

int run(const std::string& cmd) {
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return out;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

void write_file(const fs::path& path, BytesView data) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

Bytes read_file(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

// Loads the module itself (no hpki code), logs in and reads the private key's flags and one
// secret attribute. Must run while no store holds the module.
std::string probe_private_key(const std::string& label, CK_ATTRIBUTE_TYPE secret) {
  void* lib = dlopen(kModule, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) return "dlopen failed";
  void* sym = dlsym(lib, "C_GetFunctionList");
  CK_C_GetFunctionList get = nullptr;
  std::memcpy(&get, &sym, sizeof(sym));
  CK_FUNCTION_LIST_PTR f = nullptr;
  if (get == nullptr || get(&f) != CKR_OK || f->C_Initialize(nullptr) != CKR_OK) {
    dlclose(lib);
    return "module init failed";
  }
  std::string out = "token not found";
  std::array<CK_SLOT_ID, 16> slots{};
  CK_ULONG n = slots.size();
  if (f->C_GetSlotList(CK_TRUE, slots.data(), &n) == CKR_OK) {
    for (CK_ULONG i = 0; i < n; ++i) {
      CK_TOKEN_INFO info{};
      std::string want(kTokenLabel);
      want.resize(sizeof(info.label), ' ');
      if (f->C_GetTokenInfo(slots[i], &info) != CKR_OK ||
          std::memcmp(info.label, want.data(), want.size()) != 0) {
        continue;
      }
      CK_SESSION_HANDLE s = 0;
      if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, nullptr, nullptr, &s) != CKR_OK) break;
      std::string pin = kPin;
      if (f->C_Login(s, CKU_USER, reinterpret_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size()) !=
          CKR_OK) {
        out = "login failed";
      } else {
        CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
        std::string l = label;
        std::array<CK_ATTRIBUTE, 2> tmpl = {
            {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_LABEL, l.data(), l.size()}}};
        CK_OBJECT_HANDLE key = 0;
        CK_ULONG found = 0;
        f->C_FindObjectsInit(s, tmpl.data(), tmpl.size());
        f->C_FindObjects(s, &key, 1, &found);
        f->C_FindObjectsFinal(s);
        if (found != 1) {
          out = "key not found";
        } else {
          CK_BBOOL sensitive = CK_FALSE, extractable = CK_TRUE, never = CK_FALSE;
          std::array<CK_ATTRIBUTE, 3> flags = {{{CKA_SENSITIVE, &sensitive, 1},
                                                {CKA_EXTRACTABLE, &extractable, 1},
                                                {CKA_NEVER_EXTRACTABLE, &never, 1}}};
          CK_RV frv = f->C_GetAttributeValue(s, key, flags.data(), flags.size());
          std::array<std::uint8_t, 2048> buf{};
          CK_ATTRIBUTE value{secret, buf.data(), buf.size()};
          CK_RV rv = f->C_GetAttributeValue(s, key, &value, 1);
          out = frv != CKR_OK ? "flags unreadable"
                              : "sensitive=" + std::to_string(sensitive) +
                                    " extractable=" + std::to_string(extractable) +
                                    " never_extractable=" + std::to_string(never) + " secret=" +
                                    (rv == CKR_ATTRIBUTE_SENSITIVE ? "CKR_ATTRIBUTE_SENSITIVE"
                                                                   : "rv " + std::to_string(rv));
        }
      }
      f->C_CloseSession(s);
      break;
    }
  }
  f->C_Finalize(nullptr);
  dlclose(lib);
  return out;
}

class Pkcs11KeyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kModule)) << kModule << " missing: run scripts/install-deps.sh";
    ASSERT_EQ(run("command -v softhsm2-util >/dev/null"), 0) << "softhsm2-util missing";
    std::string tmpl = (fs::path(::testing::TempDir()) / "hpki-p11-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    fs::create_directory(dir_ / "tokens");
    const fs::path conf = dir_ / "softhsm2.conf";
    std::ofstream(conf) << "directories.tokendir = " << (dir_ / "tokens").string()
                        << "\nobjectstore.backend = file\nlog.level = ERROR\n";
    // SoftHSM2 reads SOFTHSM2_CONF in C_Initialize, i.e. when the store loads the module.
    ASSERT_EQ(setenv("SOFTHSM2_CONF", conf.c_str(), 1), 0);
    ASSERT_EQ(run(std::string("softhsm2-util --init-token --free --label ") + kTokenLabel +
                  " --so-pin 5678 --pin " + kPin + " >/dev/null"),
              0);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  static Result<std::unique_ptr<Pkcs11KeyStore>> open_store(std::string_view pin = kPin,
                                                            std::string label = kTokenLabel) {
    return Pkcs11KeyStore::open(Pkcs11Options{
        .module_path = kModule, .token_label = std::move(label), .pin = SecretBytes(pin)});
  }

  fs::path file(const std::string& name) const { return dir_ / name; }

  // `openssl dgst -verify` of `sig` over `msg` with the public key `spki`; returns the exit code.
  int openssl_verify(BytesView spki, SignatureAlg alg, BytesView msg, BytesView sig) const {
    write_file(file("pub.pem"), as_bytes(pem_encode("PUBLIC KEY", spki)));
    write_file(file("msg"), msg);
    write_file(file("sig"), sig);
    std::string cmd = "openssl dgst -" + std::string(hash_name(signature_hash(alg))) + " -verify " +
                      file("pub.pem").string() + " -signature " + file("sig").string();
    if (alg == SignatureAlg::kRsaPssSha256) {
      cmd += " -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256";
    }
    return run(cmd + " " + file("msg").string() + " >/dev/null 2>&1");
  }

  // Signs `msg` with `alg` and checks the signature with openssl, and that a changed message
  // fails the same check.
  void sign_and_verify(Pkcs11KeyStore& store, const KeyRef& ref, SignatureAlg alg) const {
    SCOPED_TRACE(std::string(signature_alg_name(alg)));
    auto signer = store.signer(ref, alg);
    ASSERT_TRUE(signer.has_value()) << signer.error().to_string();
    EXPECT_EQ((*signer)->algorithm(), alg);
    auto spki = store.public_key(ref);
    ASSERT_TRUE(spki.has_value()) << spki.error().to_string();
    EXPECT_EQ((*signer)->public_key_der(), *spki);
    const Bytes msg = to_bytes("tbsCertificate stand-in for " + ref.id);
    auto sig = (*signer)->sign(msg);
    ASSERT_TRUE(sig.has_value()) << sig.error().to_string();
    EXPECT_EQ(openssl_verify(*spki, alg, msg, *sig), 0);
    Bytes other = msg;
    other.back() ^= 0x01;
    EXPECT_NE(openssl_verify(*spki, alg, other, *sig), 0);
  }

  fs::path dir_;
};

TEST_F(Pkcs11KeyStoreTest, Rsa2048GeneratedOnTokenSignsForOpenssl) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  EXPECT_EQ((*store)->kind(), "pkcs11");
  auto ref = (*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}, "ca-rsa");
  ASSERT_TRUE(ref.has_value()) << ref.error().to_string();
  EXPECT_EQ(ref->id, "pkcs11:ca-rsa");
  auto spec = (*store)->key_spec(*ref);
  ASSERT_TRUE(spec.has_value());
  EXPECT_EQ(*spec, (KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}));

  auto def = (*store)->signer(*ref);
  ASSERT_TRUE(def.has_value());
  EXPECT_EQ((*def)->algorithm(), SignatureAlg::kRsaPkcs1Sha256);
  for (SignatureAlg alg : {SignatureAlg::kRsaPkcs1Sha256, SignatureAlg::kRsaPkcs1Sha384,
                           SignatureAlg::kRsaPkcs1Sha512, SignatureAlg::kRsaPssSha256}) {
    sign_and_verify(**store, *ref, alg);
  }
}

TEST_F(Pkcs11KeyStoreTest, EcP256AndP384GeneratedOnTokenSignForOpenssl) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto p256 = (*store)->generate(KeySpec{.type = KeyType::kEcP256}, "ca-p256");
  ASSERT_TRUE(p256.has_value()) << p256.error().to_string();
  auto p384 = (*store)->generate(KeySpec{.type = KeyType::kEcP384}, "ca-p384");
  ASSERT_TRUE(p384.has_value()) << p384.error().to_string();
  EXPECT_EQ((*store)->key_spec(*p384).value(), KeySpec{.type = KeyType::kEcP384});

  auto def = (*store)->signer(*p384);
  ASSERT_TRUE(def.has_value());
  EXPECT_EQ((*def)->algorithm(), SignatureAlg::kEcdsaSha384);
  sign_and_verify(**store, *p256, SignatureAlg::kEcdsaSha256);
  sign_and_verify(**store, *p384, SignatureAlg::kEcdsaSha384);

  // The SPKI is a named-curve id-ecPublicKey key that openssl reads as such.
  write_file(file("p256.der"), (*store)->public_key(*p256).value());
  std::string text = capture("openssl pkey -pubin -inform DER -in " + file("p256.der").string() +
                             " -noout -text 2>&1");
  EXPECT_NE(text.find("NIST CURVE: P-256"), std::string::npos) << text;
}

TEST_F(Pkcs11KeyStoreTest, ReopenedStoreFindsKeysByLabel) {
  Bytes rsa_spki;
  Bytes ec_spki;
  {
    auto store = open_store();
    ASSERT_TRUE(store.has_value()) << store.error().to_string();
    auto rsa = (*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}, "keep-rsa");
    auto ec = (*store)->generate(KeySpec{.type = KeyType::kEcP256}, "keep-ec");
    ASSERT_TRUE(rsa.has_value() && ec.has_value());
    rsa_spki = (*store)->public_key(*rsa).value();
    ec_spki = (*store)->public_key(*ec).value();
  }  // module finalized here: the next open is a fresh C_Initialize
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto refs = (*store)->list();
  ASSERT_TRUE(refs.has_value()) << refs.error().to_string();
  EXPECT_EQ(*refs, (std::vector<KeyRef>{{"pkcs11:keep-ec"}, {"pkcs11:keep-rsa"}}));
  EXPECT_EQ((*store)->public_key({"pkcs11:keep-rsa"}).value(), rsa_spki);
  EXPECT_EQ((*store)->public_key({"pkcs11:keep-ec"}).value(), ec_spki);

  // Signatures of the reopened keys verify with the public keys exported before.
  for (auto [id, spki, alg] :
       {std::tuple{"pkcs11:keep-rsa", &rsa_spki, SignatureAlg::kRsaPssSha256},
        std::tuple{"pkcs11:keep-ec", &ec_spki, SignatureAlg::kEcdsaSha256}}) {
    auto signer = (*store)->signer({id}, alg);
    ASSERT_TRUE(signer.has_value()) << signer.error().to_string();
    const Bytes msg = to_bytes("after reopen");
    auto sig = (*signer)->sign(msg);
    ASSERT_TRUE(sig.has_value()) << sig.error().to_string();
    EXPECT_EQ(openssl_verify(*spki, alg, msg, *sig), 0) << id;
  }
}

TEST_F(Pkcs11KeyStoreTest, TwoStoresOnOneTokenShareTheLoginButNotAWrongPin) {
  auto first = open_store();
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  auto ref = (*first)->generate(KeySpec{.type = KeyType::kEcP256}, "shared");
  ASSERT_TRUE(ref.has_value());
  auto second = open_store();
  ASSERT_TRUE(second.has_value()) << second.error().to_string();
  EXPECT_EQ((*second)->public_key(*ref).value(), (*first)->public_key(*ref).value());

  auto wrong = open_store("9999");
  ASSERT_FALSE(wrong.has_value());
  EXPECT_EQ(wrong.error().code(), ErrorCode::kBadPassphrase);

  // A signer outlives its store; closing one store does not log the other out.
  auto signer = (*first)->signer(*ref);
  ASSERT_TRUE(signer.has_value());
  first->reset();
  second->reset();
  auto sig = (*signer)->sign(as_bytes("still logged in"));
  ASSERT_TRUE(sig.has_value()) << sig.error().to_string();
  EXPECT_EQ(openssl_verify((*signer)->public_key_der(), SignatureAlg::kEcdsaSha256,
                           as_bytes("still logged in"), *sig),
            0);
}

TEST_F(Pkcs11KeyStoreTest, WrongPinIsBadPassphrase) {
  auto store = open_store("0000");
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), ErrorCode::kBadPassphrase);
  EXPECT_NE(store.error().detail().find("CKR_PIN_INCORRECT"), std::string::npos)
      << store.error().detail();
  // The right PIN still works afterwards.
  EXPECT_TRUE(open_store().has_value());
}

TEST_F(Pkcs11KeyStoreTest, DuplicateLabelIsRefusedAndTheKeyKept) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto ref = (*store)->generate(KeySpec{.type = KeyType::kEcP256}, "dup");
  ASSERT_TRUE(ref.has_value());
  const Bytes spki = (*store)->public_key(*ref).value();
  auto again = (*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}, "dup");
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code(), ErrorCode::kAlreadyExists);
  EXPECT_EQ((*store)->public_key(*ref).value(), spki);
  EXPECT_EQ((*store)->list().value(), std::vector<KeyRef>{{"pkcs11:dup"}});
}

TEST_F(Pkcs11KeyStoreTest, Sm2IsUnsupportedByTheToken) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto ref = (*store)->generate(KeySpec{.type = KeyType::kSm2}, "ca-sm2");
  ASSERT_FALSE(ref.has_value());
  EXPECT_EQ(ref.error().code(), ErrorCode::kUnsupportedByToken);
  EXPECT_NE(ref.error().detail().find("SM2 keys are not supported by this PKCS#11 token"),
            std::string::npos)
      << ref.error().detail();
  EXPECT_NE(ref.error().detail().find("SoftHSM"), std::string::npos) << ref.error().detail();
  EXPECT_NE(ref.error().detail().find("file key store"), std::string::npos);
  EXPECT_TRUE((*store)->list().value().empty());

  // An EC key cannot be made to sign SM2-with-SM3.
  auto ec = (*store)->generate(KeySpec{.type = KeyType::kEcP256}, "ec");
  ASSERT_TRUE(ec.has_value());
  auto sm2_signer = (*store)->signer(*ec, SignatureAlg::kSm2Sm3);
  ASSERT_FALSE(sm2_signer.has_value());
  EXPECT_EQ(sm2_signer.error().code(), ErrorCode::kKeyMismatch);
}

TEST_F(Pkcs11KeyStoreTest, PrivateKeyIsSensitiveAndNotExtractable) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  ASSERT_TRUE((*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}, "hsm-rsa"));
  ASSERT_TRUE((*store)->generate(KeySpec{.type = KeyType::kEcP256}, "hsm-ec"));
  ASSERT_EQ(run("command -v pkcs11-tool >/dev/null"), 0) << "pkcs11-tool (opensc) missing";
  const std::string tool = std::string("pkcs11-tool --module ") + kModule + " --token-label " +
                           kTokenLabel + " --login --pin " + kPin;
  const std::string out = capture(tool + " --list-objects --type privkey 2>&1");
  // One block per object: "Private Key Object; RSA" then indented attribute lines.
  std::vector<std::string> blocks;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("Private Key Object")) blocks.emplace_back();
    if (!blocks.empty()) blocks.back() += line + "\n";
  }
  ASSERT_EQ(blocks.size(), 2u) << out;
  for (const char* label : {"hsm-rsa", "hsm-ec"}) {
    SCOPED_TRACE(label);
    auto it = std::find_if(blocks.begin(), blocks.end(), [&](const std::string& b) {
      return b.find(std::string("label:      ") + label + "\n") != std::string::npos;
    });
    ASSERT_NE(it, blocks.end()) << out;
    EXPECT_NE(it->find("Access:     sensitive, always sensitive, never extractable"),
              std::string::npos)
        << *it;
    // No "extractable" flag among the access flags (only "never extractable").
    std::string access = it->substr(it->find("Access:"));
    access = access.substr(0, access.find('\n'));
    EXPECT_EQ(access.find(": extractable"), std::string::npos) << access;
    EXPECT_EQ(access.find(", extractable"), std::string::npos) << access;
  }
  // Straight from the module, not through hpki: the secret parts cannot be read.
  store->reset();
  EXPECT_EQ(probe_private_key("hsm-rsa", CKA_PRIVATE_EXPONENT),
            "sensitive=1 extractable=0 never_extractable=1 secret=CKR_ATTRIBUTE_SENSITIVE");
  EXPECT_EQ(probe_private_key("hsm-ec", CKA_VALUE),
            "sensitive=1 extractable=0 never_extractable=1 secret=CKR_ATTRIBUTE_SENSITIVE");
}

TEST_F(Pkcs11KeyStoreTest, RsaOaepDecryptsOpensslCiphertext) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto ref = (*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}, "kmc-rsa");
  ASSERT_TRUE(ref.has_value());
  auto dec = (*store)->decrypter(*ref);
  ASSERT_TRUE(dec.has_value()) << dec.error().to_string();
  EXPECT_EQ((*dec)->public_key_der(), (*store)->public_key(*ref).value());
  write_file(file("pub.pem"), as_bytes(pem_encode("PUBLIC KEY", (*dec)->public_key_der())));
  const std::string secret = "a 32-byte SM4 key would go here!";
  write_file(file("pt"), as_bytes(secret));
  const std::string encrypt = "openssl pkeyutl -encrypt -pubin -inkey " + file("pub.pem").string() +
                              " -in " + file("pt").string() + " -pkeyopt rsa_padding_mode:oaep";
  ASSERT_EQ(run(encrypt + " -pkeyopt rsa_oaep_md:sha256 -out " + file("ct").string()), 0);
  const Bytes ct = read_file(file("ct"));
  ASSERT_EQ(ct.size(), 256u);

  auto pt = (*dec)->decrypt(ct);
  ASSERT_TRUE(pt.has_value()) << pt.error().to_string();
  EXPECT_EQ(pt->as_string_view(), secret);
  auto pt2 = (*dec)->decrypt(ct);  // the second call takes the cached path
  ASSERT_TRUE(pt2.has_value()) << pt2.error().to_string();
  EXPECT_EQ(pt2->as_string_view(), secret);

  Bytes tampered = ct;
  tampered[100] ^= 0x40;
  auto bad = (*dec)->decrypt(tampered);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kDecryptFailed);

  auto short_ct = (*dec)->decrypt(BytesView(ct).first(255));
  ASSERT_FALSE(short_ct.has_value());
  EXPECT_EQ(short_ct.error().code(), ErrorCode::kDecryptFailed);

  // OAEP with SHA-1 is not what the decrypter speaks.
  ASSERT_EQ(run(encrypt + " -pkeyopt rsa_oaep_md:sha1 -out " + file("ct1").string()), 0);
  auto sha1 = (*dec)->decrypt(read_file(file("ct1")));
  ASSERT_FALSE(sha1.has_value());
  EXPECT_EQ(sha1.error().code(), ErrorCode::kDecryptFailed);
}

TEST_F(Pkcs11KeyStoreTest, EcKeysCannotDecrypt) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto ref = (*store)->generate(KeySpec{.type = KeyType::kEcP256}, "ec");
  ASSERT_TRUE(ref.has_value());
  auto dec = (*store)->decrypter(*ref);
  ASSERT_FALSE(dec.has_value());
  EXPECT_EQ(dec.error().code(), ErrorCode::kUnsupportedByToken);
}

TEST_F(Pkcs11KeyStoreTest, SignerIsThreadSafe) {
  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto ref = (*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}, "busy");
  ASSERT_TRUE(ref.has_value());
  auto signer = (*store)->signer(*ref);
  ASSERT_TRUE(signer.has_value());
  const Bytes msg = to_bytes("same message");
  const Bytes reference = (*signer)->sign(msg).value();
  ASSERT_EQ(
      openssl_verify((*signer)->public_key_der(), SignatureAlg::kRsaPkcs1Sha256, msg, reference),
      0);
  // PKCS#1 v1.5 is deterministic: every concurrent signature must equal the reference.
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        auto sig = (*signer)->sign(msg);
        if (sig.has_value() && *sig == reference) ++good;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 40);
}

TEST_F(Pkcs11KeyStoreTest, ClearErrors) {
  auto missing = Pkcs11KeyStore::open(Pkcs11Options{.module_path = "/nonexistent/libp11.so",
                                                    .token_label = kTokenLabel,
                                                    .pin = SecretBytes(std::string_view(kPin))});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().detail().find("does not exist"), std::string::npos);

  // A real shared library that is not a PKCS#11 module.
  auto not_p11 =
      Pkcs11KeyStore::open(Pkcs11Options{.module_path = "/lib/x86_64-linux-gnu/libz.so.1",
                                         .token_label = kTokenLabel,
                                         .pin = SecretBytes(std::string_view(kPin))});
  ASSERT_FALSE(not_p11.has_value());
  EXPECT_EQ(not_p11.error().code(), ErrorCode::kTokenError);
  EXPECT_NE(not_p11.error().detail().find("C_GetFunctionList"), std::string::npos)
      << not_p11.error().detail();

  write_file(file("fake.so"), as_bytes("not an ELF file"));
  auto not_elf = Pkcs11KeyStore::open(Pkcs11Options{.module_path = file("fake.so").string(),
                                                    .token_label = kTokenLabel,
                                                    .pin = SecretBytes(std::string_view(kPin))});
  ASSERT_FALSE(not_elf.has_value());
  EXPECT_EQ(not_elf.error().code(), ErrorCode::kTokenError);
  EXPECT_NE(not_elf.error().detail().find("cannot load"), std::string::npos);

  auto no_token = open_store(kPin, "no-such-token");
  ASSERT_FALSE(no_token.has_value());
  EXPECT_EQ(no_token.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(no_token.error().detail().find("'hpki-test'"), std::string::npos)
      << no_token.error().detail();

  auto store = open_store();
  ASSERT_TRUE(store.has_value()) << store.error().to_string();
  auto unknown = (*store)->signer({"pkcs11:nope"});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kKeyNotFound);
  EXPECT_EQ((*store)->public_key({"file:nope"}).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ((*store)->generate(KeySpec{.type = KeyType::kEcP256}, "has space").error().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(
      (*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 1024}, "small").error().code(),
      ErrorCode::kInvalidArgument);
  auto rsa = (*store)->generate(KeySpec{.type = KeyType::kRsa, .rsa_bits = 2048}, "r");
  ASSERT_TRUE(rsa.has_value());
  EXPECT_EQ((*store)->signer(*rsa, SignatureAlg::kEcdsaSha256).error().code(),
            ErrorCode::kKeyMismatch);
}

TEST(Pkcs11PinFromEnv, ReadsOrFails) {
  ASSERT_EQ(setenv("HPKI_TEST_P11_PIN", "4321", 1), 0);
  auto pin = pkcs11_pin_from_env("HPKI_TEST_P11_PIN");
  ASSERT_TRUE(pin.has_value());
  EXPECT_EQ(pin->as_string_view(), "4321");
  ASSERT_EQ(unsetenv("HPKI_TEST_P11_PIN"), 0);
  auto none = pkcs11_pin_from_env("HPKI_TEST_P11_PIN");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code(), ErrorCode::kConfigMissing);
}

}  // namespace
}  // namespace hpki::crypto
