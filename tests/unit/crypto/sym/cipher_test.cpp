#include "crypto/cipher.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include "core/encoding.h"
#include "crypto/hmac.h"
#include "crypto/random.h"
#include "ossl/cipher.h"
#include "sym_test_util.h"

namespace hpki::crypto {
namespace {

Bytes unhex(std::string_view s) {
  auto b = hex_decode(s);
  EXPECT_TRUE(b.has_value()) << s;
  return b.value_or(Bytes{});
}

std::string hex(const SecretBytes& s) { return hex_encode(s.view()); }

void expect_error(const auto& result, ErrorCode code, const std::string& what) {
  ASSERT_FALSE(result.has_value()) << what << ": expected " << error_name(code);
  EXPECT_EQ(result.error().code(), code) << what << ": " << result.error().to_string();
}

constexpr std::array kAllAead = {AeadAlg::kAes128Gcm, AeadAlg::kAes256Gcm, AeadAlg::kSm4CtrHmacSm3};

// ---- AES-GCM known answers --------------------------------------------------------------

// McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", rev. 2005, Appendix B:
// test cases 1-4 (AES-128) and 13-16 (AES-256). Cases 5/6 and 11/12/17/18 use non-96-bit
// IVs, which hpki does not accept (SP 800-38D 8.2), so they are not included.
TEST(AesGcm, McGrewViegaKnownAnswers) {
  const std::string k1 = "feffe9928665731c6d6a8f9467308308";
  const std::string p =
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
  const std::string p60 = p.substr(0, 120);
  const std::string a = "feedfacedeadbeeffeedfacedeadbeefabaddad2";
  const std::string iv = "cafebabefacedbaddecaf888";
  const std::string zero_iv(24, '0');
  struct Case {
    int number;
    AeadAlg alg;
    std::string key, iv, pt, aad, ct, tag;
  };
  const std::vector<Case> cases = {
      {1, AeadAlg::kAes128Gcm, std::string(32, '0'), zero_iv, "", "", "",
       "58e2fccefa7e3061367f1d57a4e7455a"},
      {2, AeadAlg::kAes128Gcm, std::string(32, '0'), zero_iv, std::string(32, '0'), "",
       "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf"},
      {3, AeadAlg::kAes128Gcm, k1, iv, p, "",
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
       "4d5c2af327cd64a62cf35abd2ba6fab4"},
      {4, AeadAlg::kAes128Gcm, k1, iv, p60, a,
       "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
       "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
       "5bc94fbc3221a5db94fae95ae7121a47"},
      {13, AeadAlg::kAes256Gcm, std::string(64, '0'), zero_iv, "", "", "",
       "530f8afbc74536b9a963b4f1c4cb738b"},
      {14, AeadAlg::kAes256Gcm, std::string(64, '0'), zero_iv, std::string(32, '0'), "",
       "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919"},
      {15, AeadAlg::kAes256Gcm, k1 + k1, iv, p, "",
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
       "b094dac5d93471bdec1a502270e3cc6c"},
      {16, AeadAlg::kAes256Gcm, k1 + k1, iv, p60, a,
       "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
       "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
       "76fc6ece0f4e1768cddf8853bb2d551b"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("GCM test case " + std::to_string(c.number));
    auto sealed = aead_seal_with_nonce(c.alg, unhex(c.key), unhex(c.iv), unhex(c.pt), unhex(c.aad));
    ASSERT_TRUE(sealed.has_value()) << sealed.error().to_string();
    EXPECT_EQ(hex_encode(sealed->ciphertext), c.ct);
    EXPECT_EQ(hex_encode(sealed->tag), c.tag);
    auto opened =
        aead_open(c.alg, unhex(c.key), unhex(c.iv), unhex(c.ct), unhex(c.tag), unhex(c.aad));
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    EXPECT_EQ(hex(*opened), c.pt);
  }
}

// ---- AEAD behaviour (all three algorithms) ------------------------------------------------

TEST(Aead, NamesAndSizes) {
  for (auto alg : kAllAead) {
    auto parsed = parse_aead(aead_name(alg));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, alg);
  }
  expect_error(parse_aead("sm4-gcm"), ErrorCode::kUnsupportedAlgorithm, "sm4-gcm");
  EXPECT_EQ(aead_key_size(AeadAlg::kAes128Gcm), 16u);
  EXPECT_EQ(aead_key_size(AeadAlg::kAes256Gcm), 32u);
  EXPECT_EQ(aead_key_size(AeadAlg::kSm4CtrHmacSm3), 32u);
  EXPECT_EQ(aead_nonce_size(AeadAlg::kAes128Gcm), 12u);
  EXPECT_EQ(aead_nonce_size(AeadAlg::kSm4CtrHmacSm3), 16u);
  EXPECT_EQ(aead_tag_size(AeadAlg::kAes256Gcm), 16u);
  EXPECT_EQ(aead_tag_size(AeadAlg::kSm4CtrHmacSm3), 32u);
}

TEST(Aead, RoundTripWithRandomNonces) {
  for (auto alg : kAllAead) {
    SCOPED_TRACE(std::string(aead_name(alg)));
    SecretBytes key(random_bytes(aead_key_size(alg)).value());
    std::set<Bytes> nonces;
    for (std::size_t len : {0uz, 1uz, 15uz, 16uz, 17uz, 4096uz}) {
      Bytes pt = random_bytes(len).value();
      Bytes aad = to_bytes("record 42");
      auto sealed = aead_seal(alg, key.view(), pt, aad);
      ASSERT_TRUE(sealed.has_value()) << sealed.error().to_string();
      EXPECT_EQ(sealed->nonce.size(), aead_nonce_size(alg));
      EXPECT_EQ(sealed->tag.size(), aead_tag_size(alg));
      EXPECT_EQ(sealed->ciphertext.size(), len);
      if (len >= 16) {
        EXPECT_NE(sealed->ciphertext, pt);
      }
      nonces.insert(sealed->nonce);
      auto opened = aead_open(alg, key.view(), *sealed, aad);
      ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
      EXPECT_EQ(hex(*opened), hex_encode(pt));

      // Packed form round trip.
      Bytes packed = aead_pack(*sealed);
      EXPECT_EQ(packed.size(), aead_nonce_size(alg) + len + aead_tag_size(alg));
      auto unpacked = aead_unpack(alg, packed);
      ASSERT_TRUE(unpacked.has_value());
      EXPECT_EQ(*unpacked, *sealed);
    }
    EXPECT_EQ(nonces.size(), 6u) << "random nonces repeated";
  }
}

// Every kind of tampering gives kDecryptFailed and no plaintext; wrong key or nonce lengths
// are caller errors (kInvalidArgument).
TEST(Aead, TamperingIsDetected) {
  for (auto alg : kAllAead) {
    SCOPED_TRACE(std::string(aead_name(alg)));
    SecretBytes key(random_bytes(aead_key_size(alg)).value());
    const Bytes pt = to_bytes("patient 0042: diagnosis confidential");
    const Bytes aad = to_bytes("table=records;id=42");
    const AeadSealed good = aead_seal(alg, key.view(), pt, aad).value();
    ASSERT_TRUE(aead_open(alg, key.view(), good, aad).has_value());

    AeadSealed s = good;
    s.tag[0] ^= 0x80;
    expect_error(aead_open(alg, key.view(), s, aad), ErrorCode::kDecryptFailed, "wrong tag");

    s = good;
    s.ciphertext[5] ^= 0x01;
    expect_error(aead_open(alg, key.view(), s, aad), ErrorCode::kDecryptFailed,
                 "flipped ciphertext bit");

    s = good;
    s.nonce[0] ^= 0x01;
    expect_error(aead_open(alg, key.view(), s, aad), ErrorCode::kDecryptFailed, "other nonce");

    expect_error(aead_open(alg, key.view(), good, to_bytes("table=records;id=43")),
                 ErrorCode::kDecryptFailed, "wrong AAD");
    expect_error(aead_open(alg, key.view(), good), ErrorCode::kDecryptFailed, "missing AAD");

    s = good;
    s.ciphertext.pop_back();
    expect_error(aead_open(alg, key.view(), s, aad), ErrorCode::kDecryptFailed,
                 "truncated ciphertext");

    s = good;
    s.ciphertext.push_back(0);
    expect_error(aead_open(alg, key.view(), s, aad), ErrorCode::kDecryptFailed,
                 "extended ciphertext");

    s = good;
    s.tag.resize(s.tag.size() - 4);
    expect_error(aead_open(alg, key.view(), s, aad), ErrorCode::kDecryptFailed, "truncated tag");

    s = good;
    s.tag.clear();
    expect_error(aead_open(alg, key.view(), s, aad), ErrorCode::kDecryptFailed, "empty tag");

    Bytes other_key = random_bytes(aead_key_size(alg)).value();
    expect_error(aead_open(alg, other_key, good, aad), ErrorCode::kDecryptFailed, "wrong key");

    Bytes packed = aead_pack(good);
    expect_error(
        aead_unpack(alg, BytesView(packed).first(aead_nonce_size(alg) + aead_tag_size(alg) - 1)),
        ErrorCode::kDecryptFailed, "packed value shorter than nonce + tag");
    auto cut = aead_unpack(alg, BytesView(packed).first(packed.size() - 1));
    ASSERT_TRUE(cut.has_value());
    expect_error(aead_open(alg, key.view(), *cut, aad), ErrorCode::kDecryptFailed,
                 "truncated packed value");

    // Caller errors.
    Bytes short_key = random_bytes(aead_key_size(alg) - 1).value();
    expect_error(aead_seal(alg, short_key, pt, aad), ErrorCode::kInvalidArgument, "short key");
    expect_error(aead_open(alg, short_key, good, aad), ErrorCode::kInvalidArgument,
                 "short key (open)");
    Bytes long_key = random_bytes(aead_key_size(alg) + 8).value();
    expect_error(aead_seal(alg, long_key, pt, aad), ErrorCode::kInvalidArgument, "long key");
    Bytes bad_nonce(aead_nonce_size(alg) + 1, 0);
    expect_error(aead_seal_with_nonce(alg, key.view(), bad_nonce, pt, aad),
                 ErrorCode::kInvalidArgument, "wrong nonce length");
    expect_error(aead_open(alg, key.view(), bad_nonce, good.ciphertext, good.tag, aad),
                 ErrorCode::kInvalidArgument, "wrong nonce length (open)");
  }
}

// ---- sm4-ctr-hmac-sm3 -------------------------------------------------------------------

// The construction of docs/crypto.md "Authenticated SM4", recomputed with the openssl CLI
// only: C = `openssl enc -sm4-ctr` under ENC_KEY = K[16..32), tag = `openssl mac HMAC-SM3`
// under MAC_KEY = K[0..16) over AL (64-bit big-endian AAD byte length) || AAD || IV || C.
TEST(Sm4CtrHmacSm3, ConstructionMatchesOpenSslCli) {
  test::TempDir dir;
  int compared = 0;
  for (std::size_t pt_len : {0uz, 1uz, 31uz, 32uz, 100uz, 5000uz}) {
    for (std::size_t aad_len : {0uz, 13uz, 300uz}) {
      Bytes key = random_bytes(32).value();
      Bytes iv = random_bytes(16).value();
      Bytes pt = random_bytes(pt_len).value();
      Bytes aad = random_bytes(aad_len).value();
      auto sealed = aead_seal_with_nonce(AeadAlg::kSm4CtrHmacSm3, key, iv, pt, aad);
      ASSERT_TRUE(sealed.has_value()) << sealed.error().to_string();

      test::write_file(dir.file("pt.bin"), pt);
      std::string err;
      ASSERT_EQ(test::run_openssl(dir,
                                  "enc -sm4-ctr -K " + hex_encode(BytesView(key).subspan(16)) +
                                      " -iv " + hex_encode(iv) + " -in '" + dir.file("pt.bin") +
                                      "' -out '" + dir.file("ct.bin") + "'",
                                  &err),
                0)
          << err;
      Bytes ct = test::read_file(dir.file("ct.bin"));
      EXPECT_EQ(hex_encode(sealed->ciphertext), hex_encode(ct));

      Bytes mac_input(8, 0);
      for (int i = 0; i < 8; ++i) {
        mac_input[static_cast<std::size_t>(7 - i)] =
            static_cast<std::uint8_t>(static_cast<std::uint64_t>(aad_len) >> (8 * i));
      }
      mac_input.insert(mac_input.end(), aad.begin(), aad.end());
      mac_input.insert(mac_input.end(), iv.begin(), iv.end());
      mac_input.insert(mac_input.end(), ct.begin(), ct.end());
      test::write_file(dir.file("mac_in.bin"), mac_input);
      ASSERT_EQ(test::run_openssl(
                    dir,
                    "mac -digest SM3 -macopt hexkey:" + hex_encode(BytesView(key).first(16)) +
                        " -binary -in '" + dir.file("mac_in.bin") + "' -out '" +
                        dir.file("tag.bin") + "' HMAC",
                    &err),
                0)
          << err;
      EXPECT_EQ(hex_encode(sealed->tag), hex_encode(test::read_file(dir.file("tag.bin"))))
          << "pt " << pt_len << " aad " << aad_len;
      ++compared;
    }
  }
  EXPECT_EQ(compared, 18);
}

// The AAD length prefix keeps (AAD, C) pairs apart that a plain concatenation would merge.
TEST(Sm4CtrHmacSm3, AadBoundaryIsAuthenticated) {
  Bytes key = random_bytes(32).value();
  Bytes iv = random_bytes(16).value();
  auto a = aead_seal_with_nonce(AeadAlg::kSm4CtrHmacSm3, key, iv, to_bytes("xyz"), to_bytes("ab"))
               .value();
  // Moving a byte from AAD into the (same) IV/ciphertext stream must not verify.
  expect_error(aead_open(AeadAlg::kSm4CtrHmacSm3, key, iv, a.ciphertext, a.tag, to_bytes("a")),
               ErrorCode::kDecryptFailed, "shorter AAD");
  // Swapping the two key halves must not verify either (they have distinct roles).
  Bytes swapped(key.begin() + 16, key.end());
  swapped.insert(swapped.end(), key.begin(), key.begin() + 16);
  expect_error(aead_open(AeadAlg::kSm4CtrHmacSm3, swapped, a, to_bytes("ab")),
               ErrorCode::kDecryptFailed, "swapped key halves");
}

// ---- SM4 known answers ------------------------------------------------------------------

// Botan src/tests/data/block/sm4.vec: raw block encryption = ECB without padding.
TEST(Sm4, BotanVectors) {
  auto recs = test::parse_botan_vec(test::read_vector_file("sm4.vec"));
  ASSERT_TRUE(recs.has_value()) << recs.error().to_string();
  int run = 0;
  for (const auto& r : *recs) {
    SCOPED_TRACE("sm4.vec line " + std::to_string(r.line));
    ASSERT_EQ(r.kind, "SM4");
    Bytes key = r.bytes("Key").value();
    Bytes in = r.bytes("In").value();
    Bytes out = r.bytes("Out").value();
    auto ct = sm4_ecb_encrypt(key, in, Padding::kNone);
    ASSERT_TRUE(ct.has_value()) << ct.error().to_string();
    EXPECT_EQ(hex_encode(*ct), hex_encode(out));
    auto pt = sm4_ecb_decrypt(key, out, Padding::kNone);
    ASSERT_TRUE(pt.has_value()) << pt.error().to_string();
    EXPECT_EQ(hex(*pt), hex_encode(in));
    ++run;
  }
  EXPECT_EQ(run, 22);
}

// GB/T 32907-2016 Appendix A.1 (also the first Botan vector): one block.
TEST(Sm4, StandardExample) {
  Bytes k = unhex("0123456789abcdeffedcba9876543210");
  auto ct = sm4_ecb_encrypt(k, k, Padding::kNone);
  ASSERT_TRUE(ct.has_value());
  EXPECT_EQ(hex_encode(*ct), "681edf34d206965e86b3e94f536e4246");
}

// OpenSSL test/recipes/30-test_evp_data/evpciph_sm4.txt (draft-ribose-cfrg-sm4 and
// RFC 8998). evp_test runs these without padding. ECB/CBC/CTR go through the crypto API;
// OFB and CFB (which OpenSSL 3.0 also has but hpki does not expose) through the ossl
// wrapper; GCM, CCM and XTS are not in OpenSSL 3.0 and must be reported as unsupported.
TEST(Sm4, OpenSslVectors) {
  auto recs = test::parse_evp_test(test::read_vector_file("evpciph_sm4.txt"));
  ASSERT_TRUE(recs.has_value()) << recs.error().to_string();
  std::map<std::string, int> run;
  std::map<std::string, int> unsupported;
  for (const auto& r : *recs) {
    SCOPED_TRACE("evpciph_sm4.txt line " + std::to_string(r.line));
    ASSERT_EQ(r.kind, "Cipher");
    Bytes key = r.bytes("Key").value();
    Bytes pt = r.bytes("Plaintext").value();
    Bytes ct = r.bytes("Ciphertext").value();
    Bytes iv = r.has("IV") ? r.bytes("IV").value() : Bytes{};
    const std::string& mode = r.name;
    if (mode == "SM4-GCM" || mode == "SM4-CCM" || mode == "SM4-XTS") {
      expect_error(ossl::cipher_info(mode), ErrorCode::kUnsupportedAlgorithm, mode);
      ++unsupported[mode];
      continue;
    }
    Result<Bytes> enc = fail(ErrorCode::kInternal, "unset");
    Result<SecretBytes> dec = fail(ErrorCode::kInternal, "unset");
    if (mode == "SM4-ECB") {
      enc = sm4_ecb_encrypt(key, pt, Padding::kNone);
      dec = sm4_ecb_decrypt(key, ct, Padding::kNone);
    } else if (mode == "SM4-CBC") {
      enc = sm4_cbc_encrypt_with_iv(key, iv, pt, Padding::kNone);
      dec = sm4_cbc_decrypt(key, iv, ct, Padding::kNone);
      // With the default PKCS#7 padding a whole extra block follows.
      auto padded = sm4_cbc_encrypt_with_iv(key, iv, pt);
      ASSERT_TRUE(padded.has_value());
      ASSERT_EQ(padded->size(), ct.size() + 16);
      EXPECT_EQ(hex_encode(BytesView(*padded).first(ct.size())), hex_encode(ct));
    } else if (mode == "SM4-CTR") {
      enc = sm4_ctr_encrypt_with_iv(key, iv, pt);
      dec = sm4_ctr_decrypt(key, iv, ct);
    } else if (mode == "SM4-OFB" || mode == "SM4-CFB") {
      Bytes out(pt.size() + 16);
      auto n = ossl::cipher_crypt(mode, ossl::Direction::kEncrypt, key, iv, pt, false, out);
      ASSERT_TRUE(n.has_value()) << n.error().to_string();
      out.resize(*n);
      enc = out;
      Bytes back(ct.size() + 16);
      auto m = ossl::cipher_crypt(mode, ossl::Direction::kDecrypt, key, iv, ct, false, back);
      ASSERT_TRUE(m.has_value()) << m.error().to_string();
      back.resize(*m);
      dec = SecretBytes(BytesView(back));
    } else {
      FAIL() << "unexpected cipher " << mode;
    }
    ASSERT_TRUE(enc.has_value()) << mode << ": " << enc.error().to_string();
    ASSERT_TRUE(dec.has_value()) << mode << ": " << dec.error().to_string();
    EXPECT_EQ(hex_encode(*enc), hex_encode(ct)) << mode;
    EXPECT_EQ(hex(*dec), hex_encode(pt)) << mode;
    ++run[mode];
  }
  EXPECT_EQ(run["SM4-ECB"], 1);
  EXPECT_EQ(run["SM4-CBC"], 4);
  EXPECT_EQ(run["SM4-CTR"], 1);
  EXPECT_EQ(run["SM4-OFB"], 1);
  EXPECT_EQ(run["SM4-CFB"], 1);
  EXPECT_EQ(unsupported["SM4-GCM"], 1);
  EXPECT_EQ(unsupported["SM4-CCM"], 1);
  EXPECT_EQ(unsupported["SM4-XTS"], 4);
}

// ---- SM4 padding and error cases ---------------------------------------------------------

TEST(Sm4, Pkcs7PaddingLengths) {
  Bytes key = random_bytes(16).value();
  Bytes iv = random_bytes(16).value();
  for (std::size_t len = 0; len <= 33; ++len) {
    Bytes pt = random_bytes(len).value();
    auto ct = sm4_cbc_encrypt_with_iv(key, iv, pt);
    ASSERT_TRUE(ct.has_value());
    EXPECT_EQ(ct->size(), (len / 16 + 1) * 16) << len;  // RFC 5652 6.3: always 1..16 bytes
    // The padding is n bytes of value n: decrypt without unpadding to see it.
    auto raw = sm4_cbc_decrypt(key, iv, *ct, Padding::kNone);
    ASSERT_TRUE(raw.has_value());
    std::size_t n = 16 - len % 16;
    for (std::size_t i = len; i < raw->size(); ++i) {
      EXPECT_EQ(raw->data()[i], n) << "len " << len << " byte " << i;
    }
    auto back = sm4_cbc_decrypt(key, iv, *ct);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(hex(*back), hex_encode(pt));

    auto ecb = sm4_ecb_encrypt(key, pt, Padding::kPkcs7);
    ASSERT_TRUE(ecb.has_value());
    EXPECT_EQ(ecb->size(), (len / 16 + 1) * 16);
    auto ecb_back = sm4_ecb_decrypt(key, *ecb, Padding::kPkcs7);
    ASSERT_TRUE(ecb_back.has_value());
    EXPECT_EQ(hex(*ecb_back), hex_encode(pt));
  }
}

TEST(Sm4, BadPaddingIsDecryptFailed) {
  Bytes key = random_bytes(16).value();
  Bytes iv = random_bytes(16).value();
  // Plaintext blocks whose last bytes are not valid PKCS#7 padding, encrypted raw.
  for (std::string last : {"00", "11", "ff", "0203", "0102"}) {
    Bytes block(16, 0x41);
    Bytes tail = unhex(last);
    std::copy(tail.begin(), tail.end(), block.end() - static_cast<std::ptrdiff_t>(tail.size()));
    if (last == "0203") block[13] = 0x41;  // ...41 02 03: value 3 but only one 03
    auto ct = sm4_cbc_encrypt_with_iv(key, iv, block, Padding::kNone).value();
    expect_error(sm4_cbc_decrypt(key, iv, ct), ErrorCode::kDecryptFailed, "CBC padding " + last);
    auto ecb = sm4_ecb_encrypt(key, block, Padding::kNone).value();
    expect_error(sm4_ecb_decrypt(key, ecb, Padding::kPkcs7), ErrorCode::kDecryptFailed,
                 "ECB padding " + last);
  }
  // Wrong key: the padding check fails (with overwhelming probability for 16 random keys).
  Bytes ct = sm4_cbc_encrypt_with_iv(key, iv, to_bytes("attack at dawn")).value();
  int failures = 0;
  for (int i = 0; i < 16; ++i) {
    auto r = sm4_cbc_decrypt(random_bytes(16).value(), iv, ct);
    if (!r.has_value()) {
      EXPECT_EQ(r.error().code(), ErrorCode::kDecryptFailed);
      ++failures;
    }
  }
  EXPECT_GE(failures, 12);
}

TEST(Sm4, LengthErrors) {
  Bytes key = random_bytes(16).value();
  Bytes iv = random_bytes(16).value();
  Bytes ct = sm4_cbc_encrypt_with_iv(key, iv, to_bytes("0123456789abcdef0123")).value();
  ASSERT_EQ(ct.size(), 32u);
  // Truncated or empty ciphertext.
  expect_error(sm4_cbc_decrypt(key, iv, BytesView(ct).first(31)), ErrorCode::kDecryptFailed,
               "CBC truncated by one byte");
  expect_error(sm4_cbc_decrypt(key, iv, BytesView(ct).first(16)), ErrorCode::kDecryptFailed,
               "CBC truncated by one block");  // last block now ends in garbage padding
  expect_error(sm4_cbc_decrypt(key, iv, {}), ErrorCode::kDecryptFailed, "CBC empty");
  expect_error(sm4_ecb_decrypt(key, BytesView(ct).first(20), Padding::kNone),
               ErrorCode::kDecryptFailed, "ECB not whole blocks");
  // Unpadded plaintext that is not whole blocks.
  expect_error(sm4_ecb_encrypt(key, Bytes(17, 1), Padding::kNone), ErrorCode::kInvalidArgument,
               "ECB nopad 17 bytes");
  expect_error(sm4_cbc_encrypt_with_iv(key, iv, Bytes(5, 1), Padding::kNone),
               ErrorCode::kInvalidArgument, "CBC nopad 5 bytes");
  // Key and IV lengths.
  for (std::size_t klen : {0uz, 15uz, 17uz, 32uz}) {
    Bytes k(klen, 7);
    std::string what = "key length " + std::to_string(klen);
    expect_error(sm4_ecb_encrypt(k, Bytes(16, 1), Padding::kNone), ErrorCode::kInvalidArgument,
                 what);
    expect_error(sm4_cbc_encrypt(k, Bytes(16, 1)), ErrorCode::kInvalidArgument, what);
    expect_error(sm4_cbc_decrypt(k, iv, ct), ErrorCode::kInvalidArgument, what);
    expect_error(sm4_ctr_encrypt(k, Bytes(16, 1)), ErrorCode::kInvalidArgument, what);
    expect_error(sm4_ctr_decrypt(k, iv, ct), ErrorCode::kInvalidArgument, what);
  }
  for (std::size_t ivlen : {0uz, 12uz, 15uz, 17uz}) {
    Bytes v(ivlen, 7);
    std::string what = "IV length " + std::to_string(ivlen);
    expect_error(sm4_cbc_encrypt_with_iv(key, v, Bytes(16, 1)), ErrorCode::kInvalidArgument, what);
    expect_error(sm4_cbc_decrypt(key, v, ct), ErrorCode::kInvalidArgument, what);
    expect_error(sm4_ctr_encrypt_with_iv(key, v, Bytes(16, 1)), ErrorCode::kInvalidArgument, what);
  }
}

TEST(Sm4, RandomIvsAndCtrLength) {
  Bytes key = random_bytes(16).value();
  Bytes pt = to_bytes("same plaintext, different ciphertexts");
  auto a = sm4_cbc_encrypt(key, pt).value();
  auto b = sm4_cbc_encrypt(key, pt).value();
  EXPECT_EQ(a.iv.size(), 16u);
  EXPECT_NE(a.iv, b.iv);
  EXPECT_NE(a.ciphertext, b.ciphertext);
  EXPECT_EQ(hex(sm4_cbc_decrypt(key, a.iv, a.ciphertext).value()), hex_encode(pt));
  auto c = sm4_ctr_encrypt(key, pt).value();
  EXPECT_EQ(c.ciphertext.size(), pt.size());
  EXPECT_EQ(hex(sm4_ctr_decrypt(key, c.iv, c.ciphertext).value()), hex_encode(pt));
}

// ---- SM4 against the openssl CLI, both directions ------------------------------------------

struct CliMode {
  const char* name;       // for messages
  const char* enc_flags;  // openssl enc flags (without key/iv)
  bool uses_iv;
  bool block_aligned_only;
};

Result<Bytes> ours_encrypt(const CliMode& m, BytesView key, BytesView iv, BytesView pt) {
  std::string_view n = m.name;
  if (n == "sm4-cbc") return sm4_cbc_encrypt_with_iv(key, iv, pt);
  if (n == "sm4-ctr") return sm4_ctr_encrypt_with_iv(key, iv, pt);
  if (n == "sm4-ecb") return sm4_ecb_encrypt(key, pt, Padding::kPkcs7);
  return sm4_ecb_encrypt(key, pt, Padding::kNone);
}

Result<SecretBytes> ours_decrypt(const CliMode& m, BytesView key, BytesView iv, BytesView ct) {
  std::string_view n = m.name;
  if (n == "sm4-cbc") return sm4_cbc_decrypt(key, iv, ct);
  if (n == "sm4-ctr") return sm4_ctr_decrypt(key, iv, ct);
  if (n == "sm4-ecb") return sm4_ecb_decrypt(key, ct, Padding::kPkcs7);
  return sm4_ecb_decrypt(key, ct, Padding::kNone);
}

TEST(Sm4, InteroperatesWithOpenSslCli) {
  test::TempDir dir;
  const CliMode modes[] = {
      {"sm4-cbc", "-sm4-cbc", true, false},
      {"sm4-ctr", "-sm4-ctr", true, false},
      {"sm4-ecb", "-sm4-ecb", false, false},
      {"sm4-ecb-nopad", "-sm4-ecb -nopad", false, true},
  };
  int checked = 0;
  for (const CliMode& m : modes) {
    for (std::size_t len : {0uz, 1uz, 15uz, 16uz, 17uz, 31uz, 48uz, 1000uz, 65536uz}) {
      if (m.block_aligned_only && len % 16 != 0) continue;
      SCOPED_TRACE(std::string(m.name) + " length " + std::to_string(len));
      Bytes key = random_bytes(16).value();
      Bytes iv = m.uses_iv ? random_bytes(16).value() : Bytes{};
      Bytes pt = random_bytes(len).value();
      std::string base = std::string("enc ") + m.enc_flags + " -K " + hex_encode(key) +
                         (m.uses_iv ? " -iv " + hex_encode(iv) : std::string());
      std::string err;

      // Ours -> CLI.
      Bytes ct = ours_encrypt(m, key, iv, pt).value();
      test::write_file(dir.file("ct.bin"), ct);
      ASSERT_EQ(
          test::run_openssl(
              dir, base + " -d -in '" + dir.file("ct.bin") + "' -out '" + dir.file("pt.bin") + "'",
              &err),
          0)
          << err;
      EXPECT_EQ(hex_encode(test::read_file(dir.file("pt.bin"))), hex_encode(pt));

      // CLI -> ours (with a fresh plaintext).
      Bytes pt2 = random_bytes(len).value();
      test::write_file(dir.file("pt2.bin"), pt2);
      ASSERT_EQ(
          test::run_openssl(
              dir, base + " -in '" + dir.file("pt2.bin") + "' -out '" + dir.file("ct2.bin") + "'",
              &err),
          0)
          << err;
      Bytes ct2 = test::read_file(dir.file("ct2.bin"));
      auto back = ours_decrypt(m, key, iv, ct2);
      ASSERT_TRUE(back.has_value()) << back.error().to_string();
      EXPECT_EQ(hex(*back), hex_encode(pt2));
      // Deterministic modes: identical ciphertext bytes as well.
      EXPECT_EQ(hex_encode(ours_encrypt(m, key, iv, pt2).value()), hex_encode(ct2));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 9 * 3 + 4);
}

}  // namespace
}  // namespace hpki::crypto

namespace hpki::crypto {
namespace {

// The fuzz seeds fuzz/corpus/aead_open/*_valid were made with Python's `cryptography`
// package (AESGCM; SM4-CTR + HMAC(SM3) composed by hand from docs/crypto.md; SM4-CBC with
// PKCS7 padding), key 00 01 .. 1f, AAD "fuzz". They must open here to the same plaintext.
TEST(Aead, OpensValuesSealedByAnIndependentImplementation) {
  Bytes key(32);
  for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i);
  const std::string expected = hex_encode(as_bytes("ID 110101199003077777 (test)"));
  auto seed = [](const std::string& name) {
    Bytes b = test::read_file(std::string(HPKI_SOURCE_DIR) + "/fuzz/corpus/aead_open/" + name);
    EXPECT_FALSE(b.empty()) << name;
    return b.empty() ? b : Bytes(b.begin() + 1, b.end());  // first byte selects the algorithm
  };
  struct Case {
    const char* file;
    AeadAlg alg;
  };
  for (Case c :
       {Case{"aes128_valid", AeadAlg::kAes128Gcm}, Case{"aes256_valid", AeadAlg::kAes256Gcm},
        Case{"sm4_aead_valid", AeadAlg::kSm4CtrHmacSm3}}) {
    auto sealed = aead_unpack(c.alg, seed(c.file));
    ASSERT_TRUE(sealed.has_value()) << c.file;
    auto pt =
        aead_open(c.alg, BytesView(key).first(aead_key_size(c.alg)), *sealed, as_bytes("fuzz"));
    ASSERT_TRUE(pt.has_value()) << c.file << ": " << pt.error().to_string();
    EXPECT_EQ(hex(*pt), expected) << c.file;
  }
  auto flipped = aead_unpack(AeadAlg::kSm4CtrHmacSm3, seed("sm4_aead_flipped")).value();
  expect_error(aead_open(AeadAlg::kSm4CtrHmacSm3, key, flipped, as_bytes("fuzz")),
               ErrorCode::kDecryptFailed, "sm4_aead_flipped");
  Bytes cbc = seed("sm4_cbc_valid");
  auto pt = sm4_cbc_decrypt(BytesView(key).first(16), BytesView(cbc).first(16),
                            BytesView(cbc).subspan(16));
  ASSERT_TRUE(pt.has_value()) << pt.error().to_string();
  EXPECT_EQ(hex(*pt), expected);
}

}  // namespace
}  // namespace hpki::crypto
