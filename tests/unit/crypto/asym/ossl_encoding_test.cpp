// ossl/ecdsa_sig.h and ossl/spki.h: raw <-> DER signature conversion and SPKI building.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <atomic>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "ossl/digest.h"
#include "ossl/ecdsa_sig.h"
#include "ossl/fetch.h"
#include "ossl/pkey.h"
#include "ossl/spki.h"

namespace hpki::ossl {
namespace {

Bytes hex(std::string_view h) { return hex_decode(h).value(); }

TEST(EcdsaSig, RawToDerAndBack) {
  // r has its top bit set (needs a 0x00 pad in DER), s has a leading zero byte (shorter INTEGER).
  const Bytes raw =
      hex("AB1DB64DE7C40EDBDE6651C9B8EBDB804673DB836E5D5C7FE15DCF9ED2725037"
          "002714451FF69B0BB930B379E192E7CD5FA6E3C41C7FBD8303B799AB54A54621");
  auto der = ecdsa_sig_raw_to_der(raw);
  ASSERT_TRUE(der.has_value()) << der.error().to_string();
  EXPECT_EQ(hex_encode(*der),
            "3044022100ab1db64de7c40edbde6651c9b8ebdb804673db836e5d5c7fe15dcf9ed2725037"
            "021f2714451ff69b0bb930b379e192e7cd5fa6e3c41c7fbd8303b799ab54a54621");
  auto back = ecdsa_sig_der_to_raw(*der, 32);
  ASSERT_TRUE(back.has_value()) << back.error().to_string();
  EXPECT_EQ(*back, raw);
}

TEST(EcdsaSig, RejectsBadInput) {
  EXPECT_EQ(ecdsa_sig_raw_to_der({}).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(ecdsa_sig_raw_to_der(hex("010203")).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(ecdsa_sig_raw_to_der(Bytes(64, 0)).error().code(), ErrorCode::kMalformed);
  // r does not fit in 32 bytes.
  const Bytes der48 = ecdsa_sig_raw_to_der(Bytes(96, 0x11)).value();
  EXPECT_EQ(ecdsa_sig_der_to_raw(der48, 32).error().code(), ErrorCode::kMalformed);
  EXPECT_TRUE(ecdsa_sig_der_to_raw(der48, 48).has_value());
  // Trailing byte, truncation, non-minimal INTEGER.
  Bytes trailing = der48;
  trailing.push_back(0);
  EXPECT_EQ(ecdsa_sig_der_to_raw(trailing, 48).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(ecdsa_sig_der_to_raw(BytesView(der48).first(10), 48).error().code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ecdsa_sig_der_to_raw(hex("3008020300000102010a"), 32).error().code(),
            ErrorCode::kMalformed);
  EXPECT_EQ(ecdsa_sig_der_to_raw(hex("30"), 32).error().code(), ErrorCode::kMalformed);
}

TEST(Spki, FromEcPointMatchesOpenSslEncoding) {
  for (EcCurve c : {EcCurve::kP256, EcCurve::kP384, EcCurve::kSm2}) {
    auto key = generate_ec(c).value();
    const Bytes spki = pkey_to_spki(key.get()).value();
    // The uncompressed point is the tail of the SPKI BIT STRING.
    const std::size_t point_len = c == EcCurve::kP384 ? 97 : 65;
    BytesView point = BytesView(spki).last(point_len);
    ASSERT_EQ(point[0], 0x04);
    auto built = spki_from_ec_point(c, point);
    ASSERT_TRUE(built.has_value()) << built.error().to_string();
    EXPECT_EQ(*built, spki);
    if (c == EcCurve::kSm2) {
      auto loaded = pkey_from_spki(*built).value();
      EXPECT_EQ(pkey_info(loaded.get()).value().family, PkeyFamily::kSm2);
    }
    // A point off the curve is refused.
    Bytes bad(point.begin(), point.end());
    bad.back() ^= 1;
    EXPECT_EQ(spki_from_ec_point(c, bad).error().code(), ErrorCode::kInvalidArgument);
  }
  EXPECT_FALSE(spki_from_ec_point(EcCurve::kP256, {}).has_value());
}

// pkey_from_spki decodes named-curve EC keys with EVP_PKEY_fromdata (fast path) and anything
// else with d2i_PUBKEY: both give the same key, points off the curve are refused on the fast
// path too, and near-misses of the fast shape (compressed point, trailing byte) still decode
// exactly as before.
TEST(Spki, EcFastPathMatchesTheDecoder) {
  for (EcCurve c : {EcCurve::kP256, EcCurve::kP384, EcCurve::kSm2}) {
    auto key = generate_ec(c).value();
    const Bytes spki = pkey_to_spki(key.get()).value();
    auto loaded = pkey_from_spki(spki);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    EXPECT_EQ(pkey_to_spki(loaded->get()).value(), spki);
    EXPECT_EQ(EVP_PKEY_eq(loaded->get(), key.get()), 1);
    const auto info = pkey_info(loaded->get()).value();
    EXPECT_EQ(info.family, c == EcCurve::kSm2 ? PkeyFamily::kSm2 : PkeyFamily::kEc);
    // The loaded key verifies a signature of the generated key.
    SignOptions o;
    o.digest = c == EcCurve::kP384 ? "SHA384" : (c == EcCurve::kSm2 ? "SM3" : "SHA256");
    if (c == EcCurve::kSm2) o.sm2_id = "1234567812345678";
    const Bytes msg{1, 2, 3};
    auto sig = digest_sign(key.get(), o, msg).value();
    EXPECT_TRUE(digest_verify(loaded->get(), o, msg, sig).has_value());
    // A point off the curve: kMalformed.
    Bytes bad = spki;
    bad.back() ^= 1;
    EXPECT_EQ(pkey_from_spki(bad).error().code(), ErrorCode::kMalformed);
    // Trailing data after the fast shape: refused as before.
    Bytes trailing = spki;
    trailing.push_back(0);
    EXPECT_FALSE(pkey_from_spki(trailing).has_value());
    // Not 0x04 (hybrid/garbage form marker): handled by the decoder, refused.
    Bytes marker = spki;
    marker[marker.size() - (c == EcCurve::kP384 ? 97 : 65)] = 0x05;
    EXPECT_FALSE(pkey_from_spki(marker).has_value());
  }
}

// What d2i_PUBKEY (OpenSSL's decoder) makes of `der`: the key when it decodes all of it.
Ptr<EVP_PKEY> decoder_key(const Bytes& der) {
  const unsigned char* p = der.data();
  Ptr<EVP_PKEY> k = own(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  ERR_clear_error();
  if (k && p != der.data() + der.size()) k.reset();
  return k;
}

// pkey_from_spki imports rsaEncryption keys in strict DER from (n, e) with EVP_PKEY_fromdata
// (fast path) and leaves everything else to d2i_PUBKEY: for the real key and for every
// corrupted, truncated or extended variant of it, the outcome is the decoder's.
TEST(Spki, RsaFastPathMatchesTheDecoder) {
  for (int bits : {2048, 3072}) {
    auto key = generate_rsa(bits).value();
    const Bytes spki = pkey_to_spki(key.get()).value();
    auto loaded = pkey_from_spki(spki);
    ASSERT_TRUE(loaded.has_value()) << loaded.error().to_string();
    EXPECT_EQ(EVP_PKEY_eq(loaded->get(), key.get()), 1);
    EXPECT_EQ(pkey_to_spki(loaded->get()).value(), spki);
    EXPECT_EQ(pkey_info(loaded->get()).value().family, PkeyFamily::kRsa);
    EXPECT_EQ(pkey_info(loaded->get()).value().bits, bits);
    SignOptions o;
    o.digest = "SHA256";
    const Bytes msg{1, 2, 3};
    const auto sig = digest_sign(key.get(), o, msg).value();
    EXPECT_TRUE(digest_verify(loaded->get(), o, msg, sig).has_value());
    o.rsa_padding = RsaPadding::kPss;
    o.pss_salt_len = 32;
    const auto pss = digest_sign(key.get(), o, msg).value();
    EXPECT_TRUE(digest_verify(loaded->get(), o, msg, pss).has_value());

    std::vector<Bytes> variants;
    for (std::size_t i = 0; i < 40; ++i) {  // the headers, the modulus' first bytes
      for (int x : {0x01, 0x80, 0xff}) {
        Bytes v = spki;
        v[i] = static_cast<std::uint8_t>(v[i] ^ x);
        variants.push_back(std::move(v));
      }
    }
    for (std::size_t i = spki.size() - 6; i < spki.size(); ++i) {  // the exponent
      Bytes v = spki;
      v[i] ^= 0x01;
      variants.push_back(std::move(v));
    }
    variants.emplace_back(spki.begin(), spki.end() - 1);
    variants.emplace_back(spki.begin(), spki.begin() + 30);
    Bytes trailing = spki;
    trailing.push_back(0);
    variants.push_back(trailing);
    // The exponent with a superfluous leading zero (not DER), every length fixed up.
    Bytes padded(spki.begin(), spki.end() - 3);
    padded.back() = 0x04;  // 02 03 -> 02 04
    for (int b : {0x00, 0x01, 0x00, 0x01}) padded.push_back(static_cast<std::uint8_t>(b));
    for (std::size_t at : {std::size_t{3}, std::size_t{22}, std::size_t{27}}) ++padded[at];
    variants.push_back(padded);
    for (const Bytes& v : variants) {
      auto ref = decoder_key(v);
      auto got = pkey_from_spki(v);
      EXPECT_EQ(got.has_value(), ref != nullptr) << hex_encode(v).substr(0, 80);
      if (got && ref) {
        EXPECT_EQ(EVP_PKEY_eq(got->get(), ref.get()), 1);
      }
    }
    // (OpenSSL's decoder accepts that padded exponent: the fast path leaves it to the decoder,
    // so hpki's answer stays the decoder's, as the loop checked.)
    EXPECT_EQ(EVP_PKEY_eq(pkey_from_spki(padded).value().get(), key.get()), 1);
  }
}

// Digests are fetched once per name and shared; an unknown name fails every time it is asked.
TEST(FetchMd, OncePerNameSharedBetweenThreads) {
  auto a = fetch_md("SHA256").value();
  auto b = fetch_md("SHA256").value();
  EXPECT_EQ(a.get(), b.get());
  EXPECT_EQ(EVP_MD_get_size(a.get()), 32);
  EXPECT_NE(fetch_md("SM3").value().get(), a.get());
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(fetch_md("NO-SUCH-DIGEST").error().code(), ErrorCode::kUnsupportedAlgorithm);
  }
  std::vector<std::thread> threads;
  std::atomic<int> different{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto md = fetch_md(i % 2 == 0 ? "SHA384" : "SHA256");
        if (!md || (i % 2 == 1 && md->get() != a.get())) ++different;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(different.load(), 0);
  // The shared EVP_MD computes what it should.
  EXPECT_EQ(hex_encode(digest("SHA256", {}).value()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// RepeatSigner makes the signatures digest_sign makes: byte for byte for RSA PKCS#1 v1.5
// (deterministic), verifying ones for PSS, ECDSA and SM2 (with its ID, not another), also when
// several threads share it; an SM2 key without an ID is refused as digest_sign refuses it.
TEST(RepeatSigner, SignsWhatDigestSignSigns) {
  const Bytes msg = to_bytes(std::string_view("处方 prescription 0042"));
  auto rsa = generate_rsa(2048).value();
  SignOptions pkcs1;
  auto rs = RepeatSigner::create(rsa.get(), pkcs1).value();
  EXPECT_EQ(rs->sign(msg).value(), digest_sign(rsa.get(), pkcs1, msg).value());
  SignOptions sha512 = pkcs1;
  sha512.digest = "SHA512";
  EXPECT_EQ(RepeatSigner::create(rsa.get(), sha512).value()->sign(msg).value(),
            digest_sign(rsa.get(), sha512, msg).value());
  SignOptions pss;
  pss.rsa_padding = RsaPadding::kPss;
  pss.pss_salt_len = 32;
  auto ps = RepeatSigner::create(rsa.get(), pss).value();
  EXPECT_TRUE(digest_verify(rsa.get(), pss, msg, ps->sign(msg).value()).has_value());
  EXPECT_FALSE(digest_verify(rsa.get(), pkcs1, msg, ps->sign(msg).value()).has_value());

  auto p256 = generate_ec(EcCurve::kP256).value();
  auto es = RepeatSigner::create(p256.get(), pkcs1).value();
  EXPECT_TRUE(digest_verify(p256.get(), pkcs1, msg, es->sign(msg).value()).has_value());

  auto sm2 = generate_ec(EcCurve::kSm2).value();
  SignOptions sm3;
  sm3.digest = "SM3";
  EXPECT_EQ(RepeatSigner::create(sm2.get(), sm3).error().code(), ErrorCode::kInvalidArgument);
  sm3.sm2_id = "1234567812345678";
  auto ss = RepeatSigner::create(sm2.get(), sm3).value();
  SignOptions other = sm3;
  other.sm2_id = "1234567812345679";
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        Bytes m = msg;
        m.push_back(static_cast<std::uint8_t>(t * 20 + i));
        const auto sig = ss->sign(m).value();
        if (!digest_verify(sm2.get(), sm3, m, sig)) ++bad;
        if (digest_verify(sm2.get(), other, m, sig)) ++bad;  // the ID is bound
        if (!digest_verify(rsa.get(), pkcs1, m, rs->sign(m).value())) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Spki, FromRsaComponents) {
  auto key = generate_rsa(2048).value();
  BIGNUM* n = nullptr;
  BIGNUM* e = nullptr;
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), "n", &n), 1);
  ASSERT_EQ(EVP_PKEY_get_bn_param(key.get(), "e", &e), 1);
  Bytes nb(static_cast<std::size_t>(BN_num_bytes(n)));
  Bytes eb(static_cast<std::size_t>(BN_num_bytes(e)));
  BN_bn2bin(n, nb.data());
  BN_bn2bin(e, eb.data());
  BN_free(n);
  BN_free(e);
  auto built = spki_from_rsa(nb, eb);
  ASSERT_TRUE(built.has_value()) << built.error().to_string();
  EXPECT_EQ(*built, pkey_to_spki(key.get()).value());
  // Leading zero bytes are accepted; an even exponent and a tiny modulus are not.
  Bytes padded = nb;
  padded.insert(padded.begin(), 0);
  EXPECT_EQ(spki_from_rsa(padded, eb).value(), *built);
  EXPECT_EQ(spki_from_rsa(nb, hex("010000")).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(spki_from_rsa(BytesView(nb).first(64), eb).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hpki::ossl
