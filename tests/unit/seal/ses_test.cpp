// GB/T 38540 v4 and GM/T 0031 v1 seals and stamps (seal/ses.h): encode -> decode round trips,
// one valid / violating pair per verification rule, the maker signature checked by the openssl
// CLI (a second SM2 implementation, with the distinguishing ID), and hostile input.
#include "seal/ses.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <cstdlib>

#include "core/pem.h"
#include "crypto/digest.h"
#include "der/writer.h"
#include "seal/png.h"
#include "tests/support/test_util.h"
#include "tests/unit/seal/seal_test_util.h"
#include "x509/cms.h"
#include "x509/tsp.h"

namespace hpki::seal {
namespace {

using hpki::test::read_file;
using hpki::test::run;
using hpki::test::TempDir;
using hpki::test::write_file;
using sealtest::at;
using sealtest::person;
using sealtest::seal_info;
using sealtest::sm2_ca;

const der::Oid kSm2Sm3 = der::Oid::literal(kSm2WithSm3Oid);

class SesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    maker_ = new testca::Issued(person(sm2_ca(), {crypto::KeyType::kSm2, 0}, "seal-maker"));
    signer_ = new testca::Issued(person(sm2_ca(), {crypto::KeyType::kSm2, 0}, "doctor"));
    other_ = new testca::Issued(person(sm2_ca(), {crypto::KeyType::kSm2, 0}, "nurse"));
  }
  static void TearDownTestSuite() {
    delete maker_;
    delete signer_;
    delete other_;
  }

  static Seal v4_seal(SealInfo in) {
    auto s = make_seal(std::move(in), *maker_->signer, maker_->cert->der());
    EXPECT_TRUE(s) << s.error().to_string();
    return s.value_or(Seal{});
  }
  static Seal v4_seal() { return v4_seal(seal_info(signer_->cert->der())); }

  static testca::Issued* maker_;
  static testca::Issued* signer_;
  static testca::Issued* other_;
  TempDir dir_;
};
testca::Issued* SesTest::maker_ = nullptr;
testca::Issued* SesTest::signer_ = nullptr;
testca::Issued* SesTest::other_ = nullptr;

const TimePoint kIn2026 = at(2026, 6, 1);

TEST_F(SesTest, V4SealRoundTrips) {
  SealInfo in = seal_info(signer_->cert->der());
  in.ext_datas = {{der::Oid::literal("1.2.3.4"), true, {1, 2, 3}}};
  const Seal made = v4_seal(in);
  auto back = decode_seal(made.der);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->format, Format::kV4);
  EXPECT_EQ(back->info, made.info);
  EXPECT_EQ(back->info.name, "示例医院电子公章");
  EXPECT_EQ(back->info.version, 4);
  EXPECT_EQ(back->info.picture, sealtest::tiny_png());
  EXPECT_EQ(back->cert, maker_->cert->der());
  EXPECT_EQ(back->sign_alg, kSm2Sm3);
  EXPECT_EQ(back->signed_value, made.signed_value);
  EXPECT_EQ(back->info_der, made.info_der);
  // DER is canonical: re-encoding the decoded seal gives the same bytes.
  auto again =
      assemble_seal(Format::kV4, back->info, back->cert, back->sign_alg, back->signed_value);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->der, made.der);
}

// A GeneralizedTime beyond what TimePoint holds (64-bit nanoseconds: years 1678..2261) is
// refused as malformed; its conversion overflowed before (fuzz_ses, corpus regress-year-4052).
TEST_F(SesTest, TimeBeyondTheTimePointRangeIsMalformed) {
  Bytes der = v4_seal().der;
  const std::string valid_end = "20270101000000Z";
  auto at = std::search(der.begin(), der.end(), valid_end.begin(), valid_end.end());
  ASSERT_NE(at, der.end());
  der[static_cast<std::size_t>(at - der.begin())] = '4';  // 4027
  auto back = decode_seal(der);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code(), ErrorCode::kMalformed);
  EXPECT_NE(back.error().detail().find("1678..2261"), std::string::npos) << back.error().detail();
}

TEST_F(SesTest, MakerSignatureVerifiesWithOpensslOverTheStandardBytes) {
  // GB/T 38540 7.1: the maker signs SEQUENCE { eSealInfo, cert, signAlgID }.
  const Seal s = v4_seal();
  write_file(dir_.file("tbs"), maker_to_be_signed(s.info_der, s.cert, s.sign_alg));
  write_file(dir_.file("sig"), s.signed_value);
  write_file(dir_.file("maker.pem"), testca::pem(*maker_->cert));
  const std::string base = "openssl pkeyutl -verify -rawin -digest sm3 -certin -inkey " +
                           dir_.file("maker.pem") + " -in " + dir_.file("tbs") + " -sigfile " +
                           dir_.file("sig");
  auto ok = run(base + " -pkeyopt distid:1234567812345678");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("Signature Verified Successfully"), std::string::npos) << ok.output;
  // The guard: without the ID (OpenSSL's empty default) it must not verify.
  EXPECT_NE(run(base).exit_code, 0);
  // And it is not over DER(SES_SealInfo) alone.
  write_file(dir_.file("info"), s.info_der);
  EXPECT_NE(run("openssl pkeyutl -verify -rawin -digest sm3 -certin -inkey " +
                dir_.file("maker.pem") + " -in " + dir_.file("info") + " -sigfile " +
                dir_.file("sig") + " -pkeyopt distid:1234567812345678")
                .exit_code,
            0);
  const auto rep = verify_seal(s, {.at = kIn2026});
  EXPECT_TRUE(rep.ok);
  EXPECT_EQ(rep.maker_signed, MakerSignedBytes::kInfoCertAlg);
}

TEST_F(SesTest, SealSignedByOpensslOverTheStandardBytesVerifies) {
  // The other direction: openssl makes the maker signature, hpki verifies it.
  SealInfo in = seal_info(signer_->cert->der());
  const Bytes info_der = encode_seal_info(in, Format::kV4).value();
  write_file(dir_.file("tbs"), maker_to_be_signed(info_der, maker_->cert->der(), kSm2Sm3));
  // The maker's key as PEM for openssl.
  const auto pkcs8 = maker_->key.to_pkcs8_der().value();
  write_file(dir_.file("key.pem"), pem_encode("PRIVATE KEY", pkcs8.view()));
  auto r =
      run("openssl pkeyutl -sign -rawin -digest sm3 -inkey " + dir_.file("key.pem") + " -in " +
          dir_.file("tbs") + " -out " + dir_.file("sig") + " -pkeyopt distid:1234567812345678");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto s =
      assemble_seal(Format::kV4, in, maker_->cert->der(), kSm2Sm3, read_file(dir_.file("sig")));
  ASSERT_TRUE(s);
  const auto rep = verify_seal(*s, {.at = kIn2026});
  EXPECT_TRUE(rep.ok) << (rep.diagnostics.empty() ? "" : rep.diagnostics[0].detail);
  EXPECT_EQ(rep.maker_signed, MakerSignedBytes::kInfoCertAlg);
}

TEST_F(SesTest, OfdrwVariantOverSealInfoAloneVerifies) {
  // ofdrw's v4 builder signs DER(SES_SealInfo): accepted for third-party seals, and reported.
  SealInfo in = seal_info(signer_->cert->der());
  const Bytes info_der = encode_seal_info(in, Format::kV4).value();
  const Bytes sig = maker_->signer->sign(info_der).value();
  auto s = assemble_seal(Format::kV4, in, maker_->cert->der(), kSm2Sm3, sig);
  ASSERT_TRUE(s);
  const auto rep = verify_seal(*s, {.at = kIn2026});
  EXPECT_TRUE(rep.ok);
  EXPECT_EQ(rep.maker_signed, MakerSignedBytes::kSealInfoOnly);
}

TEST_F(SesTest, TamperedMakerSignatureIsReported) {
  const Seal good = v4_seal();
  EXPECT_FALSE(verify_seal(good, {.at = kIn2026}).has(diag::kMakerSignatureInvalid));
  // A changed seal name under the old signature.
  SealInfo changed = good.info;
  changed.name = "另一家医院电子公章";
  auto bad = assemble_seal(Format::kV4, changed, good.cert, good.sign_alg, good.signed_value);
  ASSERT_TRUE(bad);
  auto rep = verify_seal(*bad, {.at = kIn2026});
  EXPECT_FALSE(rep.ok);
  EXPECT_TRUE(rep.has(diag::kMakerSignatureInvalid));
  EXPECT_EQ(rep.maker_signed, MakerSignedBytes::kNone);
  // A swapped picture under the old signature.
  changed = good.info;
  changed.picture.back() ^= 0x01;
  bad = assemble_seal(Format::kV4, changed, good.cert, good.sign_alg, good.signed_value);
  ASSERT_TRUE(bad);
  EXPECT_TRUE(verify_seal(*bad, {.at = kIn2026}).has(diag::kMakerSignatureInvalid));
  // Another maker certificate (the signature is then checked with the wrong key).
  bad =
      assemble_seal(Format::kV4, good.info, other_->cert->der(), good.sign_alg, good.signed_value);
  ASSERT_TRUE(bad);
  EXPECT_TRUE(verify_seal(*bad, {.at = kIn2026}).has(diag::kMakerSignatureInvalid));
  // A non-SM2 signAlgID.
  bad = assemble_seal(Format::kV4, good.info, good.cert, der::Oid::literal("1.2.840.10045.4.3.2"),
                      good.signed_value);
  ASSERT_TRUE(bad);
  EXPECT_TRUE(verify_seal(*bad, {.at = kIn2026}).has(diag::kMakerAlgorithmUnsupported));
}

TEST_F(SesTest, ValidityPeriodIsChecked) {
  const Seal s = v4_seal();
  EXPECT_TRUE(verify_seal(s, {.at = at(2026, 12, 31)}).ok);
  const auto late = verify_seal(s, {.at = at(2027, 1, 2)});
  EXPECT_FALSE(late.ok);
  EXPECT_TRUE(late.has(diag::kExpired));
  const auto early = verify_seal(s, {.at = at(2025, 12, 31)});
  EXPECT_TRUE(early.has(diag::kNotYetValid));
  EXPECT_FALSE(early.has(diag::kExpired));
}

TEST_F(SesTest, SignerMustBeInTheCertificateList) {
  const Seal s = v4_seal();
  const Bytes& doctor = signer_->cert->der();
  const Bytes& nurse = other_->cert->der();
  EXPECT_TRUE(verify_seal(s, {.at = kIn2026, .signer_cert = BytesView(doctor)}).ok);
  const auto rep = verify_seal(s, {.at = kIn2026, .signer_cert = BytesView(nurse)});
  EXPECT_FALSE(rep.ok);
  EXPECT_TRUE(rep.has(diag::kSignerNotAllowed));
}

TEST_F(SesTest, DigestListVariant) {
  SealInfo in = seal_info({});
  in.certs.clear();
  in.cert_list_type = CertListType::kDigests;
  in.cert_digests = {{"SM3", crypto::digest(crypto::HashAlg::kSm3, signer_->cert->der()).value()}};
  const Seal s = v4_seal(in);
  auto back = decode_seal(s.der);
  ASSERT_TRUE(back) << back.error().to_string();
  EXPECT_EQ(back->info.cert_list_type, CertListType::kDigests);
  EXPECT_EQ(back->info.cert_digests, in.cert_digests);
  const Bytes& doctor = signer_->cert->der();
  const Bytes& nurse = other_->cert->der();
  EXPECT_TRUE(verify_seal(*back, {.at = kIn2026, .signer_cert = BytesView(doctor)}).ok);
  EXPECT_TRUE(verify_seal(*back, {.at = kIn2026, .signer_cert = BytesView(nurse)})
                  .has(diag::kSignerNotAllowed));
  // A SHA-256 digest of another vendor's list is understood too.
  SealInfo sha = in;
  sha.cert_digests = {{"SHA256", crypto::digest(crypto::HashAlg::kSha256, nurse).value()}};
  EXPECT_TRUE(seal_allows(sha, nurse));
  EXPECT_FALSE(seal_allows(sha, doctor));
}

TEST_F(SesTest, MakeSealRefusesWhatItCannotSign) {
  // RSA makers: GB/T 38540 is an SM2 structure.
  const auto rsa = person(sealtest::rsa_ca(), {crypto::KeyType::kRsa, 2048}, "rsa-maker");
  auto r = make_seal(seal_info(signer_->cert->der()), *rsa.signer, rsa.cert->der());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kUnsupportedAlgorithm);
  // The maker certificate of another key.
  r = make_seal(seal_info(signer_->cert->der()), *maker_->signer, other_->cert->der());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kKeyMismatch);
  // validEnd before validStart, no certificate.
  SealInfo in = seal_info(signer_->cert->der());
  in.valid_end = in.valid_start;
  EXPECT_EQ(make_seal(in, *maker_->signer, maker_->cert->der()).error().code(),
            ErrorCode::kInvalidArgument);
  in = seal_info(signer_->cert->der());
  in.certs.clear();
  EXPECT_EQ(make_seal(in, *maker_->signer, maker_->cert->der()).error().code(),
            ErrorCode::kInvalidArgument);
}

// --- stamps (SES_Signature)

TEST_F(SesTest, V4SignatureRoundTripsAndVerifies) {
  const Seal s = v4_seal();
  const Bytes data = to_bytes("<Signature>...</Signature>");
  auto made = make_signature(s, data, *signer_->signer, signer_->cert->der(),
                             {.time_info = kIn2026,
                              .property_info = "/Doc_0/Signs/Sign_0/Signature.xml",
                              .ext_datas = {{der::Oid::literal("1.2.3.5"), false, {9}}}});
  ASSERT_TRUE(made) << made.error().to_string();
  auto sig = decode_signature(made->der);
  ASSERT_TRUE(sig) << sig.error().to_string();
  EXPECT_EQ(sig->format, Format::kV4);
  EXPECT_EQ(sig->tbs.version, 4);
  EXPECT_EQ(sig->tbs.eseal.der, s.der);
  EXPECT_EQ(sig->tbs.time_info, kIn2026);
  EXPECT_EQ(sig->tbs.property_info, "/Doc_0/Signs/Sign_0/Signature.xml");
  EXPECT_EQ(sig->tbs.data_hash, crypto::digest(crypto::HashAlg::kSm3, data).value());
  EXPECT_EQ(sig->tbs.ext_datas.size(), 1U);
  EXPECT_EQ(sig->tbs_der, made->tbs_der);
  EXPECT_EQ(sig->cert, signer_->cert->der());
  EXPECT_FALSE(sig->timestamp);
  const auto rep = verify_signature(*sig, data);
  EXPECT_TRUE(rep.ok) << (rep.diagnostics.empty() ? "" : rep.diagnostics[0].id);
  EXPECT_EQ(rep.signing_time, kIn2026);

  // The signer's signature checked by openssl over DER(TBS_Sign).
  write_file(dir_.file("tbs"), sig->tbs_der);
  write_file(dir_.file("sig"), sig->signature);
  write_file(dir_.file("signer.pem"), testca::pem(*signer_->cert));
  auto ok = run("openssl pkeyutl -verify -rawin -digest sm3 -certin -inkey " +
                dir_.file("signer.pem") + " -in " + dir_.file("tbs") + " -sigfile " +
                dir_.file("sig") + " -pkeyopt distid:1234567812345678");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST_F(SesTest, SignatureOverOtherDataIsADataHashMismatch) {
  const Seal s = v4_seal();
  auto sig = make_signature(s, to_bytes("original"), *signer_->signer, signer_->cert->der(),
                            {.time_info = kIn2026, .property_info = "doc"});
  ASSERT_TRUE(sig);
  EXPECT_TRUE(verify_signature(*sig, to_bytes("original")).ok);
  const auto rep = verify_signature(*sig, to_bytes("originaL"));
  EXPECT_FALSE(rep.ok);
  EXPECT_TRUE(rep.has(diag::kDataHashMismatch));
  EXPECT_FALSE(rep.has(diag::kSignatureInvalid));
}

TEST_F(SesTest, TamperedSignerSignatureIsReported) {
  const Seal s = v4_seal();
  auto sig = make_signature(s, to_bytes("data"), *signer_->signer, signer_->cert->der(),
                            {.time_info = kIn2026, .property_info = "doc"});
  ASSERT_TRUE(sig);
  TbsSign tbs = sig->tbs;
  tbs.property_info = "another";
  auto bad = assemble_signature(Format::kV4, tbs, sig->cert, sig->signature_alg, sig->signature,
                                std::nullopt);
  ASSERT_TRUE(bad);
  const auto rep = verify_signature(*bad, to_bytes("data"));
  EXPECT_TRUE(rep.has(diag::kSignatureInvalid));
  EXPECT_FALSE(rep.has(diag::kDataHashMismatch));
}

TEST_F(SesTest, SignerNotInTheSealIsReported) {
  const Seal s = v4_seal();  // lists the doctor only
  auto sig = make_signature(s, to_bytes("data"), *other_->signer, other_->cert->der(),
                            {.time_info = kIn2026, .property_info = "doc"});
  ASSERT_TRUE(sig);  // make_signature does not decide who may use a seal
  const auto rep = verify_signature(*sig, to_bytes("data"));
  EXPECT_FALSE(rep.ok);
  EXPECT_TRUE(rep.has(diag::kSignerNotAllowed));
  EXPECT_FALSE(rep.has(diag::kSignatureInvalid));
}

TEST_F(SesTest, SealExpiredAtTheSigningTimeIsReported) {
  const Seal s = v4_seal();
  auto sig = make_signature(s, to_bytes("data"), *signer_->signer, signer_->cert->der(),
                            {.time_info = at(2027, 3, 1), .property_info = "doc"});
  ASSERT_TRUE(sig);
  const auto rep = verify_signature(*sig, to_bytes("data"));
  EXPECT_FALSE(rep.ok);
  EXPECT_TRUE(rep.has(diag::kExpired));
}

TEST_F(SesTest, TimestampMustCoverTheSignatureValue) {
  const Seal s = v4_seal();
  // A token function that records what it was asked for and returns a token built by the
  // x509 TSP encoder for that imprint (or for another one).
  Bytes asked;
  bool lie = false;
  auto token_for = [&](crypto::HashAlg h, BytesView message) -> Result<Bytes> {
    asked.assign(message.begin(), message.end());
    x509::tsp::TstInfo info;
    info.policy = der::Oid::literal("1.2.3.4.1");
    info.message_imprint.hash_algorithm = x509::cms::hash_oid(h);
    info.message_imprint.hashed_message = HPKI_TRY(crypto::digest(h, message));
    if (lie) info.message_imprint.hashed_message[0] ^= 1;
    info.serial = {1};
    info.gen_time = at(2026, 6, 1);
    const Bytes tst = HPKI_TRY(x509::tsp::encode_tst_info(info));
    const auto tsa = person(sm2_ca(), {crypto::KeyType::kSm2, 0}, "tsa");
    x509::cms::SignOptions o;
    o.content_type = der::Oid::literal("1.2.840.113549.1.9.16.1.4");  // id-ct-TSTInfo
    return x509::cms::sign(tst, *tsa.cert, *tsa.signer, o);
  };
  auto sig = make_signature(s, to_bytes("data"), *signer_->signer, signer_->cert->der(),
                            {.time_info = kIn2026, .property_info = "doc", .timestamp = token_for});
  ASSERT_TRUE(sig) << sig.error().to_string();
  EXPECT_EQ(asked, sig->signature);
  auto back = decode_signature(sig->der);
  ASSERT_TRUE(back);
  ASSERT_TRUE(back->timestamp);
  auto rep = verify_signature(*back, to_bytes("data"));
  EXPECT_TRUE(rep.ok) << (rep.diagnostics.empty() ? "" : rep.diagnostics[0].detail);
  EXPECT_EQ(rep.timestamp_time, at(2026, 6, 1));
  lie = true;
  sig = make_signature(s, to_bytes("data"), *signer_->signer, signer_->cert->der(),
                       {.time_info = kIn2026, .property_info = "doc", .timestamp = token_for});
  ASSERT_TRUE(sig);
  rep = verify_signature(*sig, to_bytes("data"));
  EXPECT_TRUE(rep.has(diag::kTimestampInvalid));
}

// --- GM/T 0031 (v1)

TEST_F(SesTest, V1SealAndSignatureDecodeAndVerify) {
  SealInfo in = seal_info(signer_->cert->der());
  in.version = 2;  // GM/T 0031 header version as the C++ verifier reads it
  const Bytes info_der = encode_seal_info(in, Format::kV1).value();
  const Bytes maker_sig =
      maker_->signer->sign(maker_to_be_signed(info_der, maker_->cert->der(), kSm2Sm3)).value();
  auto v1 = assemble_seal(Format::kV1, in, maker_->cert->der(), kSm2Sm3, maker_sig);
  ASSERT_TRUE(v1);
  auto seal = decode_seal(v1->der);
  ASSERT_TRUE(seal) << seal.error().to_string();
  EXPECT_EQ(seal->format, Format::kV1);
  EXPECT_EQ(seal->info, in);
  auto rep = verify_seal(*seal, {.at = kIn2026, .signer_cert = BytesView(signer_->cert->der())});
  EXPECT_TRUE(rep.ok) << (rep.diagnostics.empty() ? "" : rep.diagnostics[0].id);
  EXPECT_EQ(rep.maker_signed, MakerSignedBytes::kInfoCertAlg);
  // Tampered v1 maker signature.
  Bytes bad_sig = maker_sig;
  bad_sig[bad_sig.size() / 2] ^= 0x01;
  auto bad = assemble_seal(Format::kV1, in, maker_->cert->der(), kSm2Sm3, bad_sig);
  ASSERT_TRUE(bad);
  EXPECT_TRUE(verify_seal(*bad, {.at = kIn2026}).has(diag::kMakerSignatureInvalid));
  // The v1 stamp: cert and algorithm inside TBS_Sign, timeInfo a BIT STRING with a UTCTime.
  const Bytes data = to_bytes("v1 document");
  TbsSign tbs;
  tbs.version = 2;
  tbs.eseal = *seal;
  tbs.time_info = kIn2026;
  tbs.data_hash = crypto::digest(crypto::HashAlg::kSm3, data).value();
  tbs.property_info = "doc.ofd";
  tbs.cert = signer_->cert->der();
  tbs.signature_alg = kSm2Sm3;
  const Bytes tbs_der = encode_tbs_sign(tbs, Format::kV1).value();
  const Bytes value = signer_->signer->sign(tbs_der).value();
  auto made =
      assemble_signature(Format::kV1, tbs, signer_->cert->der(), kSm2Sm3, value, std::nullopt);
  ASSERT_TRUE(made);
  auto sig = decode_signature(made->der);
  ASSERT_TRUE(sig) << sig.error().to_string();
  EXPECT_EQ(sig->format, Format::kV1);
  EXPECT_EQ(sig->tbs.time_info, kIn2026);
  EXPECT_EQ(sig->cert, signer_->cert->der());
  auto srep = verify_signature(*sig, data);
  EXPECT_TRUE(srep.ok) << (srep.diagnostics.empty() ? "" : srep.diagnostics[0].id);
  EXPECT_TRUE(verify_signature(*sig, to_bytes("other")).has(diag::kDataHashMismatch));
}

// --- hostile input

TEST_F(SesTest, MalformedInputIsRefusedPrecisely) {
  const Seal s = v4_seal();
  Bytes trailing = s.der;
  trailing.push_back(0);
  EXPECT_EQ(decode_seal(trailing).error().code(), ErrorCode::kTrailingData);
  const Bytes cut(s.der.begin(), s.der.end() - 1);
  EXPECT_EQ(decode_seal(cut).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(decode_seal({}).error().code(), ErrorCode::kMalformed);
  const Bytes huge(kMaxSealSize + 1, 0x30);
  EXPECT_EQ(decode_seal(huge).error().code(), ErrorCode::kTooLarge);
  EXPECT_EQ(decode_signature(s.der).error().code(), ErrorCode::kMalformed);
  // certListType outside 1..2.
  SealInfo in = seal_info(signer_->cert->der());
  in.cert_list_type = static_cast<CertListType>(3);
  auto odd = assemble_seal(Format::kV4, in, s.cert, s.sign_alg, s.signed_value);
  ASSERT_TRUE(odd);
  EXPECT_EQ(decode_seal(odd->der).error().code(), ErrorCode::kMalformed);
  // Too many certList entries.
  in = seal_info(signer_->cert->der());
  in.certs.assign(kMaxCertListEntries, Bytes{1});
  auto many = assemble_seal(Format::kV4, in, s.cert, s.sign_alg, s.signed_value);
  ASSERT_TRUE(many);
  in.certs.push_back(Bytes{1});
  EXPECT_EQ(assemble_seal(Format::kV4, in, s.cert, s.sign_alg, s.signed_value).error().code(),
            ErrorCode::kTooLarge);
}

// --- PNG checks

TEST(PngTest, AcceptsAPngAndRefusesDamage) {
  const Bytes png = sealtest::tiny_png();
  auto info = check_png(png);
  ASSERT_TRUE(info) << info.error().to_string();
  EXPECT_EQ(info->width, 4U);
  EXPECT_EQ(info->height, 4U);
  Bytes bad = png;
  bad[0] = 0x88;  // signature
  EXPECT_EQ(check_png(bad).error().code(), ErrorCode::kMalformed);
  bad = png;
  bad[20] ^= 0x01;  // IHDR width, CRC now wrong
  EXPECT_EQ(check_png(bad).error().code(), ErrorCode::kMalformed);
  bad = png;
  bad.push_back(0);  // after IEND
  EXPECT_EQ(check_png(bad).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(check_png(to_bytes("GIF89a")).error().code(), ErrorCode::kMalformed);
  EXPECT_EQ(check_png(Bytes(kMaxImageSize + 1, 0)).error().code(), ErrorCode::kTooLarge);
}

// Writes the seed corpus of fuzz/fuzz_ses.cpp (a v4 seal, a v4 stamp, a v1 seal, a v1 stamp)
// into $HPKI_SES_CORPUS_DIR: run with --gtest_also_run_disabled_tests when the formats change.
TEST_F(SesTest, DISABLED_WriteFuzzCorpus) {
  const char* dir = std::getenv("HPKI_SES_CORPUS_DIR");
  ASSERT_NE(dir, nullptr);
  const std::string d(dir);
  const Seal s = v4_seal();
  write_file(d + "/v4_seal.der", s.der);
  auto sig = make_signature(s, to_bytes("data"), *signer_->signer, signer_->cert->der(),
                            {.time_info = kIn2026, .property_info = "doc"});
  ASSERT_TRUE(sig);
  write_file(d + "/v4_signature.der", sig->der);
  SealInfo in = seal_info(signer_->cert->der());
  in.version = 2;
  const Bytes info_der = encode_seal_info(in, Format::kV1).value();
  const Bytes msig =
      maker_->signer->sign(maker_to_be_signed(info_der, maker_->cert->der(), kSm2Sm3)).value();
  auto v1 = assemble_seal(Format::kV1, in, maker_->cert->der(), kSm2Sm3, msig).value();
  write_file(d + "/v1_seal.der", v1.der);
  TbsSign tbs;
  tbs.version = 2;
  tbs.eseal = v1;
  tbs.time_info = kIn2026;
  tbs.data_hash = crypto::digest(crypto::HashAlg::kSm3, to_bytes("data")).value();
  tbs.property_info = "doc";
  tbs.cert = signer_->cert->der();
  tbs.signature_alg = kSm2Sm3;
  const Bytes value = signer_->signer->sign(encode_tbs_sign(tbs, Format::kV1).value()).value();
  write_file(d + "/v1_signature.der", assemble_signature(Format::kV1, tbs, signer_->cert->der(),
                                                         kSm2Sm3, value, std::nullopt)
                                          .value()
                                          .der);
}

}  // namespace
}  // namespace hpki::seal
