#include "x509/spki.h"

#include "der/oids.h"
#include "der/reader.h"

namespace hpki::x509 {

Result<BytesView> spki_public_key_bits(BytesView spki_der) {
  der::Reader outer(spki_der);
  auto r = HPKI_TRY(outer.read_sequence());
  HPKI_TRY(outer.expect_end());
  HPKI_TRY(r.read_sequence());
  auto bits = HPKI_TRY(r.read_bit_string());
  HPKI_TRY(r.expect_end());
  if (bits.unused_bits != 0) return fail(ErrorCode::kMalformed, "subjectPublicKey has unused bits");
  return bits.bytes;
}

Result<crypto::KeySpec> spki_key_spec(BytesView spki_der) {
  der::Reader outer(spki_der);
  auto r = HPKI_TRY(outer.read_sequence());
  HPKI_TRY(outer.expect_end());
  auto alg = HPKI_TRY(r.read_sequence());
  auto oid = HPKI_TRY(alg.read_oid());
  auto bits = HPKI_TRY(r.read_bit_string());
  HPKI_TRY(r.expect_end());
  if (oid == der::oids::kRsaEncryption) {
    // RFC 3279 2.3.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }.
    der::Reader k(bits.bytes);
    auto seq = HPKI_TRY(k.read_sequence());
    auto n = HPKI_TRY(seq.read_integer());
    auto mag = HPKI_TRY(der::integer_magnitude(n));
    if (mag.empty()) return fail(ErrorCode::kMalformed, "RSA modulus is zero");
    int nbits = static_cast<int>(mag.size() * 8);
    for (std::uint8_t top = mag[0]; (top & 0x80) == 0; top = static_cast<std::uint8_t>(top << 1))
      --nbits;
    return crypto::KeySpec{crypto::KeyType::kRsa, nbits};
  }
  if (oid == der::oids::kEcPublicKey || oid == der::oids::kSm2) {
    // RFC 5480 2.1.1: namedCurve only. GM/T 0015: SM2 keys are id-ecPublicKey + sm2p256v1.
    auto curve = HPKI_TRY(alg.read_oid());
    HPKI_TRY(alg.expect_end());
    if (curve == der::oids::kPrime256v1) return crypto::KeySpec{crypto::KeyType::kEcP256, 0};
    if (curve == der::oids::kSecp384r1) return crypto::KeySpec{crypto::KeyType::kEcP384, 0};
    if (curve == der::oids::kSm2) return crypto::KeySpec{crypto::KeyType::kSm2, 0};
    return fail(ErrorCode::kUnsupportedAlgorithm, "unsupported EC curve " + curve.to_string());
  }
  return fail(ErrorCode::kUnsupportedAlgorithm,
              "unsupported public key algorithm " + oid.to_string());
}

}  // namespace hpki::x509
