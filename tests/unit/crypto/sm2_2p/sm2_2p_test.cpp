// Two-party SM2 (src/ossl/sm2_2p.h, docs/cosign.md §1.1): the whole flow phone <-> hpki, checked
// by hpki's own SM2 verifier, OpenSSL's (EVP and the `openssl pkeyutl` CLI) and OpenSSL's SM2
// encryption; and every refusal: bad points from the other party, bad proofs, altered shares,
// one share alone, stale shares after a refresh.
#include "ossl/sm2_2p.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>

#include <string>
#include <vector>

#include "core/encoding.h"
#include "core/pem.h"
#include "crypto/algorithm.h"
#include "crypto/key.h"
#include "crypto/signer.h"
#include "crypto/sm2_ciphertext.h"
#include "ossl/ecdsa_sig.h"
#include "ossl/pkey.h"
#include "ossl/sm2.h"
#include "tests/support/test_util.h"

namespace hpki::ossl::sm2_2p {
namespace {

constexpr std::string_view kCtx = "enrollment-7f3a";

Bytes hex(std::string_view h) {
  auto r = hex_decode(h);
  EXPECT_TRUE(r.has_value()) << h;
  return r.value_or(Bytes{});
}

template <typename T>
T must(Result<T> r) {
  if (!r) ADD_FAILURE() << r.error().to_string();
  EXPECT_TRUE(r.has_value());
  return std::move(*r);
}

// The joint key of a phone and hpki after K1, K2 and K3.
struct Joint {
  ClientKey client;
  ServerKey server;
};

Joint enroll(std::string_view ctx = kCtx) {
  Joint j;
  j.client = must(keygen_client(ctx));
  j.server = must(keygen_server(j.client.p1, j.client.proof, ctx));
  auto ok = check_joint_key(j.client.d1, j.server.p, j.server.p2, j.server.proof, ctx);
  EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
  return j;
}

// S1, S2, S3 for e: the phone's s, or the phone's error.
Result<Bytes> cosign(const SecretBytes& d1, const SecretBytes& d2, BytesView p, BytesView e,
                     Bytes* r_out = nullptr) {
  ClientSignStart start = HPKI_TRY(sign_client_start());
  ServerSignature half = HPKI_TRY(sign_server(d2, start.q1, e));
  if (r_out != nullptr) *r_out = half.r;
  return sign_client_finish(d1, std::move(start.w1), half.r, half.s1, e, p);
}

// D1, D2, D3 for a raw C1 || C3 || C2 ciphertext.
Result<SecretBytes> codecrypt(const SecretBytes& d1, const SecretBytes& d2, BytesView ciphertext) {
  ClientDecryptStart start = HPKI_TRY(decrypt_client_start(ciphertext.first(kPointLen)));
  Bytes t2 = HPKI_TRY(decrypt_server(d2, start.t1));
  return decrypt_client_finish(d1, std::move(start.w), t2, ciphertext);
}

void expect_error(const Result<void>& r, ErrorCode code, std::string_view detail_part,
                  std::string_view what) {
  ASSERT_FALSE(r.has_value()) << what;
  EXPECT_EQ(r.error().code(), code) << what << ": " << r.error().to_string();
  EXPECT_NE(r.error().detail().find(detail_part), std::string::npos)
      << what << ": " << r.error().to_string();
}
template <typename T>
void expect_error(const Result<T>& r, ErrorCode code, std::string_view detail_part,
                  std::string_view what) {
  expect_error(r.has_value() ? Result<void>() : Result<void>(std::unexpected(r.error())), code,
               detail_part, what);
}

// The SM2 base point G (GM/T 0003.5) and the field prime p.
const std::string kGx = "32c4ae2c1f1981195f9904466a39c9948fe30bbff2660be1715a4589334c74c7";
const std::string kGy = "bc3736a2f4f6779c59bdcee36b692153d0a9877cc62a474002df32e52139f0a0";
const std::string kP = "fffffffeffffffffffffffffffffffffffffffff00000000ffffffffffffffff";
const std::string kN = "fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123";

struct BadPoint {
  std::string label;
  Bytes bytes;
  std::string reason;  // part of the error detail
};

// mobile.md §1.7(2): the encodings every received point must be refused in.
std::vector<BadPoint> bad_points() {
  Bytes g = hex("04" + kGx + kGy);
  Bytes off_curve = g;
  off_curve.back() ^= 0x01;  // (xG, yG ^ 1): off the curve
  Bytes compressed_prefix = g;
  compressed_prefix[0] = 0x02;
  Bytes hybrid_prefix = g;
  hybrid_prefix[0] = 0x06;
  Bytes short_point(g.begin(), g.end() - 1);
  Bytes long_point = g;
  long_point.push_back(0x00);
  Bytes compressed = hex("02" + kGx);
  Bytes x_is_p = hex("04" + kP + kGy);
  Bytes zeros(kPointLen, 0x00);
  zeros[0] = 0x04;  // (0, 0): affine coordinates some libraries use for O
  return {
      {"off curve", off_curve, "not on the SM2 curve"},
      {"infinity", Bytes{0x00}, "the point at infinity"},
      {"(0, 0)", zeros, "not on the SM2 curve"},
      {"prefix 02 on 65 bytes", compressed_prefix, "prefix 0x02, expected 0x04"},
      {"prefix 06 (hybrid)", hybrid_prefix, "prefix 0x06, expected 0x04"},
      {"64 bytes", short_point, "64 bytes, expected 65"},
      {"66 bytes", long_point, "66 bytes, expected 65"},
      {"compressed (33 bytes)", compressed, "33 bytes, expected 65"},
      {"empty", Bytes{}, "0 bytes, expected 65"},
      {"x = p", x_is_p, "a coordinate is not below the prime p"},
  };
}

TEST(Sm2TwoParty, ValidatePointAcceptsGAndNamesTheRefusal) {
  EXPECT_TRUE(validate_point(hex("04" + kGx + kGy), "G").has_value());
  for (const auto& bad : bad_points()) {
    expect_error(validate_point(bad.bytes, "Q1"), ErrorCode::kInvalidArgument, "Q1: " + bad.reason,
                 bad.label);
  }
}

// docs/cosign.md §1.1 K1-K3, S1-S3 and hpki's final check; the result is a standard SM2
// signature with the ID 1234567812345678 that hpki, OpenSSL's EVP and the openssl CLI accept.
TEST(Sm2TwoParty, JointSignatureVerifiesWithHpkiAndOpenssl) {
  Joint j = enroll();
  const Bytes spki = must(spki_from_point(j.server.p));
  const Bytes message = to_bytes("prescription 2026-0042: amoxicillin 500 mg\n");
  const Bytes e = must(message_digest(j.server.p, message));
  // e = SM3(Z || M) agrees with the existing Z_A code on an EVP_PKEY of the same key.
  auto pkey = must(pkey_from_spki(spki));
  EXPECT_EQ(e, must(sm2_message_digest(pkey.get(), "SM3", "1234567812345678", message)));

  ClientSignStart start = must(sign_client_start());
  ServerSignature half = must(sign_server(j.server.d2, start.q1, e));
  Bytes s =
      must(sign_client_finish(j.client.d1, std::move(start.w1), half.r, half.s1, e, j.server.p));
  ASSERT_EQ(s.size(), kScalarLen);
  // hpki's own final check (the row after S3).
  ASSERT_TRUE(verify_signature(j.server.p, e, half.r, s).has_value());
  const Bytes der = must(signature_der(half.r, s));
  Bytes raw = half.r;
  raw.insert(raw.end(), s.begin(), s.end());
  EXPECT_EQ(must(ecdsa_sig_der_to_raw(der, 32)), raw);

  auto ok = crypto::verify_signature(spki, crypto::SignatureAlg::kSm2Sm3, message, der);
  EXPECT_TRUE(ok.has_value()) << ok.error().to_string();
  // Under another ID it is not the same signature.
  EXPECT_EQ(crypto::verify_signature(spki, crypto::SignatureAlg::kSm2Sm3, message, der, "alice")
                .error()
                .code(),
            ErrorCode::kBadSignature);

  test::TempDir dir;
  test::write_file(dir.file("pub.pem"), pem_encode("PUBLIC KEY", spki));
  test::write_file(dir.file("msg"), message);
  test::write_file(dir.file("sig"), der);
  const std::string verify = "openssl pkeyutl -verify -pubin -inkey " + dir.file("pub.pem") +
                             " -rawin -digest sm3 -in " + dir.file("msg") + " -sigfile " +
                             dir.file("sig");
  auto cli = test::run(verify + " -pkeyopt distid:1234567812345678");
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("Signature Verified Successfully"), std::string::npos) << cli.output;
  // The guard: OpenSSL's silent empty ID must not accept it, so the run above checked the ID.
  EXPECT_NE(test::run(verify).exit_code, 0);
  // A different message is refused by the CLI too.
  test::write_file(dir.file("msg"), to_bytes("prescription 2026-0042: amoxicillin 5000 mg\n"));
  EXPECT_NE(test::run(verify + " -pkeyopt distid:1234567812345678").exit_code, 0);
}

// The joint key is an ordinary SM2 key: OpenSSL derives the same P from d = (d1·d2)^-1 − 1.
TEST(Sm2TwoParty, JointKeyIsTheSm2KeyOfTheCombinedShares) {
  Joint j = enroll();
  SecretBytes d = must(testing::joint_private_key(j.client.d1, j.server.d2));
  auto pkey = must(pkey_from_private_scalar(EcCurve::kSm2, d.view()));
  EXPECT_EQ(must(pkey_to_spki(pkey.get())), must(spki_from_point(j.server.p)));
}

// docs/cosign.md §1.1 D1-D3 on ciphertexts made by OpenSSL's EVP SM2 encryption (ASN.1 C1C3C2,
// converted to raw C1 || C3 || C2), one and several KDF blocks long.
TEST(Sm2TwoParty, DecryptsOpensslEvpCiphertext) {
  Joint j = enroll();
  const Bytes spki = must(spki_from_point(j.server.p));
  for (std::size_t len : {1u, 16u, 32u, 33u, 100u, 1000u}) {
    Bytes plaintext(len);
    for (std::size_t i = 0; i < len; ++i) plaintext[i] = static_cast<std::uint8_t>(i * 7 + 3);
    const Bytes der = must(crypto::encrypt(spki, plaintext));
    const Bytes raw =
        must(crypto::sm2_ciphertext_der_to_raw(der, crypto::Sm2CiphertextFormat::kRawC1C3C2));
    SecretBytes out = must(codecrypt(j.client.d1, j.server.d2, raw));
    EXPECT_EQ(Bytes(out.view().begin(), out.view().end()), plaintext) << len;
  }
}

TEST(Sm2TwoParty, DecryptsOpensslCliCiphertext) {
  Joint j = enroll();
  test::TempDir dir;
  test::write_file(dir.file("pub.pem"),
                   pem_encode("PUBLIC KEY", must(spki_from_point(j.server.p))));
  const std::string plaintext = "SM4 key for the record of patient 0042, 2026-12-07";
  test::write_file(dir.file("pt"), plaintext);
  auto cli = test::run("openssl pkeyutl -encrypt -pubin -inkey " + dir.file("pub.pem") + " -in " +
                       dir.file("pt") + " -out " + dir.file("ct"));
  ASSERT_EQ(cli.exit_code, 0) << cli.output;
  const Bytes raw = must(crypto::sm2_ciphertext_der_to_raw(
      test::read_file(dir.file("ct")), crypto::Sm2CiphertextFormat::kRawC1C3C2));
  SecretBytes out = must(codecrypt(j.client.d1, j.server.d2, raw));
  EXPECT_EQ(out.as_string_view(), plaintext);
}

// GM/T 0003.4 7.1 B6: C3 is checked; a wrong share, a T2 from another d2, or an altered
// ciphertext gives kDecryptFailed and no plaintext.
TEST(Sm2TwoParty, DecryptionFailsWithAWrongShareOrAlteredCiphertext) {
  Joint j = enroll();
  Joint other = enroll();
  const Bytes spki = must(spki_from_point(j.server.p));
  const Bytes raw = must(crypto::sm2_ciphertext_der_to_raw(
      must(crypto::encrypt(spki, to_bytes("a 32-byte key for the record..."))),
      crypto::Sm2CiphertextFormat::kRawC1C3C2));
  ASSERT_TRUE(codecrypt(j.client.d1, j.server.d2, raw).has_value());
  expect_error(codecrypt(other.client.d1, j.server.d2, raw), ErrorCode::kDecryptFailed,
               "C3 does not match", "the phone's share of another key");
  expect_error(codecrypt(j.client.d1, other.server.d2, raw), ErrorCode::kDecryptFailed,
               "C3 does not match", "the server's share of another key");
  Bytes c2_altered = raw;
  c2_altered.back() ^= 0x01;
  expect_error(codecrypt(j.client.d1, j.server.d2, c2_altered), ErrorCode::kDecryptFailed,
               "C3 does not match", "C2 altered");
  Bytes c3_altered = raw;
  c3_altered[kPointLen] ^= 0x80;
  expect_error(codecrypt(j.client.d1, j.server.d2, c3_altered), ErrorCode::kDecryptFailed,
               "C3 does not match", "C3 altered");
  // The blinding factor w must be the one T1 was made with.
  ClientDecryptStart start = must(decrypt_client_start(BytesView(raw).first(kPointLen)));
  Bytes t2 = must(decrypt_server(j.server.d2, start.t1));
  expect_error(decrypt_client_finish(j.client.d1, must(random_scalar()), t2, raw),
               ErrorCode::kDecryptFailed, "C3 does not match", "another w");
}

TEST(Sm2TwoParty, DecryptionRefusesShortAndOversizedCiphertexts) {
  Joint j = enroll();
  const Bytes c1 = hex("04" + kGx + kGy);
  ClientDecryptStart start = must(decrypt_client_start(c1));
  const Bytes t2 = must(decrypt_server(j.server.d2, start.t1));
  Bytes short_ct = c1;
  short_ct.resize(kPointLen + kC3Len);  // no C2
  expect_error(decrypt_client_finish(j.client.d1, start.w.copy(), t2, short_ct),
               ErrorCode::kInvalidArgument, "97 bytes, shorter than C1 || C3 || C2", "no C2");
  Bytes huge = c1;
  huge.resize(kPointLen + kC3Len + kMaxPlaintextLen + 1);
  expect_error(decrypt_client_finish(j.client.d1, start.w.copy(), t2, huge), ErrorCode::kTooLarge,
               "C2 longer than 1 MiB", "C2 over the limit");
}

// mobile.md §1.7(2): every point received from the other party is validated, with a message
// that names it: P1 (K2), P2 and P (K3), Q1 (S2), P (S3), T1 (D2), C1 (D1, D3), T2 (D3), and the
// R of each proof.
TEST(Sm2TwoParty, EveryReceivedPointIsValidated) {
  Joint j = enroll();
  const Bytes e(32, 0x42);
  ClientSignStart start = must(sign_client_start());
  ServerSignature half = must(sign_server(j.server.d2, start.q1, e));
  const Bytes spki = must(spki_from_point(j.server.p));
  const Bytes ct = must(crypto::sm2_ciphertext_der_to_raw(must(crypto::encrypt(spki, e)),
                                                          crypto::Sm2CiphertextFormat::kRawC1C3C2));
  ClientDecryptStart dstart = must(decrypt_client_start(BytesView(ct).first(kPointLen)));
  const Bytes t2 = must(decrypt_server(j.server.d2, dstart.t1));

  for (const auto& bad : bad_points()) {
    const std::string& why = bad.reason;
    // Server side.
    expect_error(keygen_server(bad.bytes, j.client.proof, kCtx), ErrorCode::kInvalidArgument,
                 "P1: " + why, "K2 P1 " + bad.label);
    expect_error(keygen_server(j.client.p1, Proof{bad.bytes, j.client.proof.z}, kCtx),
                 ErrorCode::kInvalidArgument, "P1 proof R: " + why, "K2 proof R " + bad.label);
    expect_error(sign_server(j.server.d2, bad.bytes, e), ErrorCode::kInvalidArgument, "Q1: " + why,
                 "S2 Q1 " + bad.label);
    expect_error(decrypt_server(j.server.d2, bad.bytes), ErrorCode::kInvalidArgument, "T1: " + why,
                 "D2 T1 " + bad.label);
    expect_error(verify_signature(bad.bytes, e, half.r, half.r), ErrorCode::kInvalidArgument,
                 "P: " + why, "verify P " + bad.label);
    // Phone side.
    expect_error(check_joint_key(j.client.d1, j.server.p, bad.bytes, j.server.proof, kCtx),
                 ErrorCode::kInvalidArgument, "P2: " + why, "K3 P2 " + bad.label);
    expect_error(check_joint_key(j.client.d1, bad.bytes, j.server.p2, j.server.proof, kCtx),
                 ErrorCode::kInvalidArgument, "P: " + why, "K3 P " + bad.label);
    expect_error(check_joint_key(j.client.d1, j.server.p, j.server.p2,
                                 Proof{bad.bytes, j.server.proof.z}, kCtx),
                 ErrorCode::kInvalidArgument, "P2 proof R: " + why, "K3 proof R " + bad.label);
    expect_error(sign_client_finish(j.client.d1, start.w1.copy(), half.r, half.s1, e, bad.bytes),
                 ErrorCode::kInvalidArgument, "P: " + why, "S3 P " + bad.label);
    expect_error(decrypt_client_start(bad.bytes), ErrorCode::kInvalidArgument, "C1: " + why,
                 "D1 C1 " + bad.label);
    expect_error(decrypt_client_finish(j.client.d1, dstart.w.copy(), bad.bytes, ct),
                 ErrorCode::kInvalidArgument, "T2: " + why, "D3 T2 " + bad.label);
    if (bad.bytes.size() == kPointLen) {
      Bytes bad_ct = bad.bytes;
      bad_ct.insert(bad_ct.end(), ct.begin() + kPointLen, ct.end());
      expect_error(decrypt_client_finish(j.client.d1, dstart.w.copy(), t2, bad_ct),
                   ErrorCode::kInvalidArgument, "C1: " + why, "D3 C1 " + bad.label);
    }
    expect_error(spki_from_point(bad.bytes), ErrorCode::kInvalidArgument, "P: " + why,
                 "SPKI " + bad.label);
  }
  // The good values still work after all that (nothing was changed by the refusals).
  EXPECT_TRUE(sign_client_finish(j.client.d1, std::move(start.w1), half.r, half.s1, e, j.server.p)
                  .has_value());
  EXPECT_TRUE(decrypt_client_finish(j.client.d1, std::move(dstart.w), t2, ct).has_value());
}

TEST(Sm2TwoParty, ScalarsAndDigestsAreChecked) {
  Joint j = enroll();
  const Bytes e(32, 0x42);
  const Bytes q1 = must(sign_client_start()).q1;
  expect_error(sign_server(j.server.d2, q1, Bytes(31, 0x42)), ErrorCode::kInvalidArgument,
               "e: 31 bytes, expected 32", "short e");
  expect_error(sign_server(SecretBytes(Bytes(31, 1)), q1, e), ErrorCode::kInvalidArgument,
               "d2: 31 bytes, expected 32", "short d2");
  expect_error(sign_server(SecretBytes(Bytes(32, 0)), q1, e), ErrorCode::kInvalidArgument,
               "d2: not in [1, n-1]", "d2 = 0");
  expect_error(sign_server(SecretBytes(hex(kN)), q1, e), ErrorCode::kInvalidArgument,
               "d2: not in [1, n-1]", "d2 = n");
  ClientSignStart start = must(sign_client_start());
  ServerSignature half = must(sign_server(j.server.d2, start.q1, e));
  expect_error(
      sign_client_finish(j.client.d1, start.w1.copy(), Bytes(32, 0), half.s1, e, j.server.p),
      ErrorCode::kInvalidArgument, "r: not in [1, n-1]", "r = 0");
  expect_error(sign_client_finish(j.client.d1, start.w1.copy(), half.r, hex(kN), e, j.server.p),
               ErrorCode::kInvalidArgument, "s1: not in [1, n-1]", "s1 = n");
  expect_error(signature_der(half.r, Bytes(32, 0)), ErrorCode::kInvalidArgument,
               "s: not in [1, n-1]", "DER with s = 0");
  // GM/T 0003.2 7.1 B1-B2: the verifier refuses r or s out of [1, n-1] as a bad signature.
  expect_error(verify_signature(j.server.p, e, half.r, hex(kN)), ErrorCode::kBadSignature,
               "not in [1, n-1]", "verify s = n");
  expect_error(verify_signature(j.server.p, e, Bytes(32, 0), half.s1), ErrorCode::kBadSignature,
               "not in [1, n-1]", "verify r = 0");
}

// mobile.md §1.7(7): keygen proofs of knowledge, bound to the enrollment (ctx).
TEST(Sm2TwoParty, ProofsOfKnowledgeAreChecked) {
  ClientKey client = must(keygen_client(kCtx));
  EXPECT_TRUE(verify_proof(client.p1, client.proof, kCtx).has_value());
  expect_error(verify_proof(client.p1, client.proof, "enrollment-other"), ErrorCode::kBadSignature,
               "does not verify", "another ctx");
  expect_error(keygen_server(client.p1, client.proof, "enrollment-other"), ErrorCode::kBadSignature,
               "P1: the proof of knowledge does not verify", "K2 with another ctx");
  Proof z_altered = client.proof;
  z_altered.z.back() ^= 0x01;
  expect_error(keygen_server(client.p1, z_altered, kCtx), ErrorCode::kBadSignature,
               "does not verify", "z altered");
  Proof z_too_big = client.proof;
  z_too_big.z = hex(kN);
  expect_error(verify_proof(client.p1, z_too_big, kCtx), ErrorCode::kInvalidArgument,
               "X proof z: not in [0, n-1]", "z = n");
  z_too_big.z.pop_back();
  expect_error(verify_proof(client.p1, z_too_big, kCtx), ErrorCode::kInvalidArgument,
               "X proof z: 31 bytes, expected 32", "z of 31 bytes");
  // A proof for another point (a rogue P1 that reuses someone else's proof).
  ClientKey other = must(keygen_client(kCtx));
  expect_error(keygen_server(other.p1, client.proof, kCtx), ErrorCode::kBadSignature,
               "does not verify", "another point's proof");
  // The proof of a point whose discrete log we know is valid only for that point.
  SecretBytes x = must(random_scalar());
  ClientKey from_x = must(testing::keygen_client(x, kCtx, must(random_scalar())));
  // keygen_client proves d1^-1 for P1; prove() refuses an X that is not x·G.
  expect_error(prove(x, from_x.p1, kCtx), ErrorCode::kInvalidArgument, "X is not x·G",
               "prove with a mismatched X");
  expect_error(verify_proof(client.p1, client.proof, std::string(kMaxContextLen + 1, 'a')),
               ErrorCode::kInvalidArgument, "longer than 65535", "ctx too long");

  // K3: the server's proof for P2 and the relation P = d1^-1·P2 − G.
  ServerKey server = must(keygen_server(client.p1, client.proof, kCtx));
  EXPECT_TRUE(check_joint_key(client.d1, server.p, server.p2, server.proof, kCtx).has_value());
  expect_error(check_joint_key(client.d1, server.p, server.p2, server.proof, "enrollment-other"),
               ErrorCode::kBadSignature, "P2: the proof of knowledge does not verify",
               "K3 with another ctx");
  // A server that ignores P1 (builds P from a key of its own) is caught.
  ServerKey rogue = must(keygen_server(other.p1, other.proof, kCtx));
  expect_error(check_joint_key(client.d1, rogue.p, server.p2, server.proof, kCtx),
               ErrorCode::kKeyMismatch, "P is not d1^-1·P2 − G", "P of another P1");
  expect_error(check_joint_key(client.d1, rogue.p, rogue.p2, rogue.proof, kCtx),
               ErrorCode::kKeyMismatch, "P is not d1^-1·P2 − G", "P2 of another P1");
}

// mobile.md §1.7(5): the phone's final check catches an altered r or s1.
TEST(Sm2TwoParty, TamperedServerShareIsCaughtByThePhone) {
  Joint j = enroll();
  const Bytes e = must(message_digest(j.server.p, to_bytes("document")));
  ClientSignStart start = must(sign_client_start());
  ServerSignature half = must(sign_server(j.server.d2, start.q1, e));
  Bytes s1 = half.s1;
  s1.back() ^= 0x01;
  expect_error(sign_client_finish(j.client.d1, start.w1.copy(), half.r, s1, e, j.server.p),
               ErrorCode::kBadSignature, "does not verify under P", "s1 altered");
  Bytes r = half.r;
  r.back() ^= 0x01;
  expect_error(sign_client_finish(j.client.d1, start.w1.copy(), r, half.s1, e, j.server.p),
               ErrorCode::kBadSignature, "does not verify under P", "r altered");
  // A server that signed another digest than the one the phone computed.
  Bytes other_e = e;
  other_e[0] ^= 0x01;
  expect_error(
      sign_client_finish(j.client.d1, start.w1.copy(), half.r, half.s1, other_e, j.server.p),
      ErrorCode::kBadSignature, "does not verify under P", "another e");
  EXPECT_TRUE(sign_client_finish(j.client.d1, std::move(start.w1), half.r, half.s1, e, j.server.p)
                  .has_value());
}

// Neither share alone signs: the server's d2 with a guessed d1, and the phone's d1 with the
// s1 of another server share, give no valid signature.
TEST(Sm2TwoParty, NeitherShareAloneSigns) {
  Joint j = enroll();
  const Bytes e = must(message_digest(j.server.p, to_bytes("document")));
  ASSERT_TRUE(cosign(j.client.d1, j.server.d2, j.server.p, e).has_value());
  // The server's share without the real d1.
  expect_error(cosign(must(random_scalar()), j.server.d2, j.server.p, e), ErrorCode::kBadSignature,
               "does not verify under P", "d2 with a guessed d1");
  // Nor with a trivial phone share (the server acting alone with d1 = 1).
  Bytes one(32, 0);
  one.back() = 1;
  expect_error(cosign(SecretBytes(one), j.server.d2, j.server.p, e), ErrorCode::kBadSignature,
               "does not verify under P", "d2 with d1 = 1");
  // The phone's share with a server share made for the same P1 in another enrollment.
  ServerKey other_server = must(keygen_server(j.client.p1, j.client.proof, kCtx));
  ASSERT_NE(other_server.p, j.server.p);
  expect_error(cosign(j.client.d1, other_server.d2, j.server.p, e), ErrorCode::kBadSignature,
               "does not verify under P", "d1 with another d2");
}

// mobile.md §1.7(1): a fresh w2 on every S2 call, even for the same Q1 and e.
TEST(Sm2TwoParty, EveryServerCallDrawsAFreshNonce) {
  Joint j = enroll();
  const Bytes e = must(message_digest(j.server.p, to_bytes("document")));
  ClientSignStart start = must(sign_client_start());
  ServerSignature a = must(sign_server(j.server.d2, start.q1, e));
  ServerSignature b = must(sign_server(j.server.d2, start.q1, e));
  EXPECT_NE(a.r, b.r);
  EXPECT_NE(a.s1, b.s1);
  // Fixed nonces (the testing variant) are deterministic, which is what the random ones are not.
  SecretBytes w2 = must(random_scalar());
  EXPECT_EQ(must(testing::sign_server(j.server.d2, start.q1, e, w2)).r,
            must(testing::sign_server(j.server.d2, start.q1, e, w2)).r);
  EXPECT_NE(must(sign_client_start()).q1, must(sign_client_start()).q1);
}

// mobile.md §1.7(9): refreshing both shares by t keeps P; the new shares sign and decrypt; an old
// share with a new one does neither.
TEST(Sm2TwoParty, RefreshKeepsTheKeyAndRetiresOldShares) {
  Joint j = enroll();
  const Bytes e = must(message_digest(j.server.p, to_bytes("document")));
  SecretBytes t = must(random_scalar());
  SecretBytes d1_new = must(refresh_client(j.client.d1, t));
  SecretBytes d2_new = must(refresh_server(j.server.d2, t));
  EXPECT_NE(Bytes(d1_new.view().begin(), d1_new.view().end()),
            Bytes(j.client.d1.view().begin(), j.client.d1.view().end()));
  // P is unchanged: the combined private key is the same.
  SecretBytes d_old = must(testing::joint_private_key(j.client.d1, j.server.d2));
  SecretBytes d_new = must(testing::joint_private_key(d1_new, d2_new));
  EXPECT_TRUE(constant_time_equal(d_old.view(), d_new.view()));

  Bytes r;
  Bytes s = must(cosign(d1_new, d2_new, j.server.p, e, &r));
  EXPECT_TRUE(verify_signature(j.server.p, e, r, s).has_value());
  expect_error(cosign(j.client.d1, d2_new, j.server.p, e), ErrorCode::kBadSignature,
               "does not verify under P", "old d1 with new d2");
  expect_error(cosign(d1_new, j.server.d2, j.server.p, e), ErrorCode::kBadSignature,
               "does not verify under P", "new d1 with old d2");

  const Bytes raw = must(crypto::sm2_ciphertext_der_to_raw(
      must(crypto::encrypt(must(spki_from_point(j.server.p)), to_bytes("secret"))),
      crypto::Sm2CiphertextFormat::kRawC1C3C2));
  EXPECT_EQ(must(codecrypt(d1_new, d2_new, raw)).as_string_view(), "secret");
  expect_error(codecrypt(j.client.d1, d2_new, raw), ErrorCode::kDecryptFailed, "C3 does not match",
               "old d1 with new d2");
  expect_error(refresh_server(j.server.d2, SecretBytes(Bytes(32, 0))), ErrorCode::kInvalidArgument,
               "t: not in [1, n-1]", "t = 0");
}

// ServerKey::d2_inv and the S2 / D2 variants that take it (hpki stores d2 || d2^-1): the
// same results as from d2 alone, and a stored inverse that does not belong to d2 is refused.
TEST(Sm2TwoParty, StoredInverseOfTheServerShareGivesTheSameResults) {
  Joint j = enroll();
  ASSERT_EQ(j.server.d2_inv.size(), kScalarLen);
  EXPECT_TRUE(constant_time_equal(must(share_inverse(j.server.d2)).view(), j.server.d2_inv.view()));
  const Bytes e = must(message_digest(j.server.p, to_bytes("document")));
  ClientSignStart start = must(sign_client_start());
  SecretBytes w2 = must(random_scalar());
  ServerSignature a = must(testing::sign_server(j.server.d2, start.q1, e, w2));
  ServerSignature b = must(testing::sign_server(j.server.d2, j.server.d2_inv, start.q1, e, w2));
  EXPECT_EQ(a.r, b.r);
  EXPECT_EQ(a.s1, b.s1);
  // The random-nonce variant completes a signature that OpenSSL accepts.
  ServerSignature half = must(sign_server(j.server.d2, j.server.d2_inv, start.q1, e));
  Bytes s =
      must(sign_client_finish(j.client.d1, std::move(start.w1), half.r, half.s1, e, j.server.p));
  auto pkey = must(pkey_from_spki(must(spki_from_point(j.server.p))));
  EXPECT_TRUE(sm2_verify_digest(pkey.get(), e, must(signature_der(half.r, s))).has_value());
  // D2 with the inverse opens what D2 without it opens.
  const Bytes raw = must(crypto::sm2_ciphertext_der_to_raw(
      must(crypto::encrypt(must(spki_from_point(j.server.p)), to_bytes("secret"))),
      crypto::Sm2CiphertextFormat::kRawC1C3C2));
  ClientDecryptStart d = must(decrypt_client_start(BytesView(raw).first(kPointLen)));
  const Bytes t2 = must(decrypt_server(j.server.d2, j.server.d2_inv, d.t1));
  EXPECT_EQ(t2, must(decrypt_server(j.server.d2, d.t1)));
  EXPECT_EQ(must(decrypt_client_finish(j.client.d1, std::move(d.w), t2, raw)).as_string_view(),
            "secret");

  // Another key's inverse, d2 itself, 0 and a short value are refused by S2 and D2.
  Joint other = enroll();
  const SecretBytes d2_copy = j.server.d2.copy();
  const SecretBytes zero(Bytes(kScalarLen, 0));
  const SecretBytes short_inv(Bytes(31, 1));
  using Case = std::pair<const SecretBytes*, std::string_view>;
  for (const auto& [inv, why] :
       {Case{&other.server.d2_inv, "not the inverse of d2"},
        Case{&d2_copy, "not the inverse of d2"}, Case{&zero, "d2_inv: not in [1, n-1]"},
        Case{&short_inv, "d2_inv: 31 bytes"}}) {
    expect_error(sign_server(j.server.d2, *inv, start.q1, e), ErrorCode::kInvalidArgument, why,
                 "S2 with a wrong d2_inv");
    expect_error(decrypt_server(j.server.d2, *inv, d.t1), ErrorCode::kInvalidArgument, why,
                 "D2 with a wrong d2_inv");
  }
  expect_error(share_inverse(zero), ErrorCode::kInvalidArgument, "d2: not in [1, n-1]", "d2 = 0");
}

// A signature with a chosen t = r + s under P: s given, r = t − s, and
// e = r − x([s]G + [t]P) mod n makes GM/T 0003.2 7.1 B7 hold (e is a digest of nothing; the test
// needs t's 32-bit pieces at their edges, which real signatures reach only by chance). Computed
// with OpenSSL's own EC_POINT_mul on a group of its own.
struct Crafted {
  Bytes e, r, s;
};
Crafted craft(BytesView p_bytes, const std::string& t_hex, const std::string& s_hex) {
  Crafted out;
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_sm2);
  BN_CTX* ctx = BN_CTX_new();
  EC_POINT* p = EC_POINT_new(group);
  EC_POINT* q = EC_POINT_new(group);
  BIGNUM *t = nullptr, *s = nullptr, *r = BN_new(), *x1 = BN_new(), *e = BN_new();
  const BIGNUM* n = EC_GROUP_get0_order(group);
  auto bytes = [](const BIGNUM* v) {
    Bytes b(kScalarLen);
    EXPECT_EQ(BN_bn2binpad(v, b.data(), static_cast<int>(b.size())), 32);
    return b;
  };
  if (EC_POINT_oct2point(group, p, p_bytes.data(), p_bytes.size(), ctx) == 1 &&
      BN_hex2bn(&t, t_hex.c_str()) > 0 && BN_hex2bn(&s, s_hex.c_str()) > 0 && BN_cmp(t, n) < 0 &&
      !BN_is_zero(t) && EC_POINT_mul(group, q, s, p, t, ctx) == 1 &&
      EC_POINT_get_affine_coordinates(group, q, x1, nullptr, ctx) == 1 &&
      BN_mod_sub(r, t, s, n, ctx) == 1 && BN_mod_sub(e, r, x1, n, ctx) == 1) {
    out = Crafted{bytes(e), bytes(r), bytes(s)};
  } else {
    ADD_FAILURE() << "crafting a signature for t = " << t_hex;
  }
  BN_free(t);
  BN_free(s);
  BN_free(r);
  BN_free(x1);
  BN_free(e);
  EC_POINT_free(p);
  EC_POINT_free(q);
  BN_CTX_free(ctx);
  EC_GROUP_free(group);
  return out;
}

// GM/T 0003.2 7.1 B6: verify_signature computes [t]P from t's eight 32-bit pieces and the cached
// multiples 2^(32j)·P. Pieces that are 0 or all ones, t = 1 and t = n − 1 give the verdict of
// ossl::sm2_verify_digest (one EC_POINT_mul, no cache), accepted and altered, with a cold and a
// warm cache.
TEST(Sm2TwoParty, VerificationAgreesWithOpensslWhateverThePiecesOfT) {
  Joint j = enroll();
  auto pkey = must(pkey_from_spki(must(spki_from_point(j.server.p))));
  const std::string ones = "ffffffff";
  const std::string zeros = "00000000";
  auto repeat = [](const std::string& piece, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += piece;
    return out;
  };
  const std::vector<std::string> ts = {
      "1",
      "1" + zeros,              // 2^32: pieces 0, 1, 0, ...
      repeat(ones, 4),          // 2^128 − 1: the low half full, the high half 0
      "1" + repeat(zeros, 7),   // 2^224: only the top piece
      repeat(zeros + ones, 4),  // every other piece 0
      "7fffffff" + repeat(zeros + ones, 3) + zeros,
      "fffffffe" + repeat(zeros, 6) + ones,  // the middle pieces 0
      kN.substr(0, 63) + "2",                // n − 1
      "fffffffe" + repeat(zeros, 7),         // the top piece alone, near n
  };
  for (const std::string& t : ts) {
    for (const std::string& s_hex : {std::string("2"), std::string(kN.substr(0, 63) + "0")}) {
      const Crafted c = craft(j.server.p, t, s_hex);
      if (c.r.empty()) continue;
      const Bytes der = must(signature_der(c.r, c.s));
      ASSERT_TRUE(sm2_verify_digest(pkey.get(), c.e, der).has_value()) << t;
      testing::clear_key_cache();
      EXPECT_TRUE(verify_signature(j.server.p, c.e, c.r, c.s).has_value()) << "cold, t = " << t;
      EXPECT_TRUE(verify_signature(j.server.p, c.e, c.r, c.s).has_value()) << "warm, t = " << t;
      Bytes e2 = c.e;
      e2[31] ^= 1;
      EXPECT_FALSE(sm2_verify_digest(pkey.get(), e2, der).has_value()) << t;
      expect_error(verify_signature(j.server.p, e2, c.r, c.s), ErrorCode::kBadSignature, "R != r",
                   "altered e, t = " + t);
    }
  }
  // Real signatures, cold and warm, against OpenSSL; altered s refused.
  for (int i = 0; i < 8; ++i) {
    const Bytes e = must(message_digest(j.server.p, to_bytes("document " + std::to_string(i))));
    Bytes r;
    Bytes s = must(cosign(j.client.d1, j.server.d2, j.server.p, e, &r));
    EXPECT_TRUE(sm2_verify_digest(pkey.get(), e, must(signature_der(r, s))).has_value());
    testing::clear_key_cache();
    EXPECT_TRUE(verify_signature(j.server.p, e, r, s).has_value());
    EXPECT_TRUE(verify_signature(j.server.p, e, r, s).has_value());
    s[0] ^= 0x01;
    EXPECT_FALSE(verify_signature(j.server.p, e, r, s).has_value());
  }
}

// The cache of verify_signature: bounded by kKeyCacheSize (least recently used out), keyed by the
// exact bytes of P, and a refused P is never cached (it is refused again, with its name).
TEST(Sm2TwoParty, KeyCacheIsBoundedAndHoldsOnlyValidatedKeys) {
  testing::clear_key_cache();
  EXPECT_EQ(testing::key_cache_size(), 0u);
  const Bytes e(kDigestLen, 0x42);
  const Bytes one = hex("0000000000000000000000000000000000000000000000000000000000000001");
  // Distinct valid points: G, 2G, 3G, ... (any r, s: the table is made before the check).
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_sm2);
  BN_CTX* ctx = BN_CTX_new();
  EC_POINT* pt = EC_POINT_dup(EC_GROUP_get0_generator(group), group);
  std::vector<Bytes> keys;
  for (std::size_t i = 0; i <= kKeyCacheSize; ++i) {
    Bytes b(kPointLen);
    ASSERT_EQ(EC_POINT_point2oct(group, pt, POINT_CONVERSION_UNCOMPRESSED, b.data(), b.size(), ctx),
              kPointLen);
    keys.push_back(std::move(b));
    ASSERT_EQ(EC_POINT_add(group, pt, pt, EC_GROUP_get0_generator(group), ctx), 1);
  }
  EC_POINT_free(pt);
  BN_CTX_free(ctx);
  EC_GROUP_free(group);
  for (std::size_t i = 0; i < kKeyCacheSize; ++i) {
    expect_error(verify_signature(keys[i], e, one, one), ErrorCode::kBadSignature, "",
                 "a made-up signature");
  }
  EXPECT_EQ(testing::key_cache_size(), kKeyCacheSize);
  // keys[0] used again, then one key more: keys[1] goes, keys[0] stays.
  EXPECT_TRUE(testing::key_cached(keys[0]));
  EXPECT_FALSE(verify_signature(keys[0], e, one, one).has_value());
  EXPECT_FALSE(verify_signature(keys[kKeyCacheSize], e, one, one).has_value());
  EXPECT_EQ(testing::key_cache_size(), kKeyCacheSize);
  EXPECT_TRUE(testing::key_cached(keys[0]));
  EXPECT_FALSE(testing::key_cached(keys[1]));
  EXPECT_TRUE(testing::key_cached(keys[kKeyCacheSize]));

  // A joint key evicted and used again verifies as before.
  Joint j = enroll();
  const Bytes doc_e = must(message_digest(j.server.p, to_bytes("document")));
  Bytes r;
  const Bytes s = must(cosign(j.client.d1, j.server.d2, j.server.p, doc_e, &r));
  EXPECT_TRUE(testing::key_cached(j.server.p));  // the phone's check made its table
  testing::clear_key_cache();
  EXPECT_FALSE(testing::key_cached(j.server.p));
  EXPECT_TRUE(verify_signature(j.server.p, doc_e, r, s).has_value());
  EXPECT_TRUE(testing::key_cached(j.server.p));

  // Refused points are not cached and are refused the second time as the first.
  testing::clear_key_cache();
  for (const BadPoint& bad : bad_points()) {
    for (int round = 0; round < 2; ++round) {
      expect_error(verify_signature(bad.bytes, doc_e, r, s), ErrorCode::kInvalidArgument,
                   "P: " + bad.reason, bad.label);
    }
  }
  EXPECT_EQ(testing::key_cache_size(), 0u);
}

}  // namespace
}  // namespace hpki::ossl::sm2_2p
