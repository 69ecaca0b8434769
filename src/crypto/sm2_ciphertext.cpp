#include "crypto/sm2_ciphertext.h"

#include <algorithm>

namespace hpki::crypto {

namespace {

void put_length(Bytes& out, std::size_t len) {
  if (len < 0x80) {
    out.push_back(static_cast<std::uint8_t>(len));
    return;
  }
  std::uint8_t tmp[4];
  int n = 0;
  for (std::size_t v = len; v != 0; v >>= 8) tmp[n++] = static_cast<std::uint8_t>(v & 0xff);
  out.push_back(static_cast<std::uint8_t>(0x80 | n));
  while (n > 0) out.push_back(tmp[--n]);
}

void put_tlv(Bytes& out, std::uint8_t tag, BytesView content) {
  out.push_back(tag);
  put_length(out, content.size());
  out.insert(out.end(), content.begin(), content.end());
}

// DER INTEGER content of an unsigned big-endian value (X.690 8.3: minimal, non-negative).
Bytes integer_content(BytesView value) {
  std::size_t i = 0;
  while (i + 1 < value.size() && value[i] == 0) ++i;
  const std::size_t pad = (value[i] & 0x80) != 0 ? 1 : 0;
  // Sized up front and filled by index (g++ 12 -O2 warns falsely on vector::insert here).
  Bytes out(pad + value.size() - i, 0);
  for (std::size_t j = i; j < value.size(); ++j) out[pad + j - i] = value[j];
  return out;
}

// A strict reader of one TLV (X.690 10.1: definite, minimal length).
struct Tlv {
  std::uint8_t tag = 0;
  BytesView content;
};

Result<Tlv> read_tlv(BytesView& in) {
  if (in.size() < 2) return fail(ErrorCode::kMalformed, "SM2Cipher: truncated TLV");
  Tlv t;
  t.tag = in[0];
  std::size_t len = in[1];
  std::size_t hdr = 2;
  if ((len & 0x80) != 0) {
    const std::size_t n = len & 0x7f;
    if (n == 0 || n > 3 || in.size() < 2 + n) {
      return fail(ErrorCode::kMalformed, "SM2Cipher: bad length");
    }
    len = 0;
    for (std::size_t i = 0; i < n; ++i) len = (len << 8) | in[2 + i];
    if (len < 0x80 || in[2] == 0)
      return fail(ErrorCode::kMalformed, "SM2Cipher: non-minimal length");
    hdr += n;
  }
  if (in.size() - hdr < len) return fail(ErrorCode::kMalformed, "SM2Cipher: truncated content");
  t.content = in.subspan(hdr, len);
  in = in.subspan(hdr + len);
  return t;
}

Result<Bytes> read_coordinate(BytesView& in) {
  Tlv t = HPKI_TRY(read_tlv(in));
  if (t.tag != 0x02 || t.content.empty()) {
    return fail(ErrorCode::kMalformed, "SM2Cipher: coordinate is not an INTEGER");
  }
  BytesView v = t.content;
  if ((v[0] & 0x80) != 0) return fail(ErrorCode::kMalformed, "SM2Cipher: negative coordinate");
  if (v.size() > 1 && v[0] == 0 && (v[1] & 0x80) == 0) {
    return fail(ErrorCode::kMalformed, "SM2Cipher: non-minimal INTEGER");
  }
  if (v[0] == 0 && v.size() > 1) v = v.subspan(1);
  if (v.size() > kSm2CoordinateLen) {
    return fail(ErrorCode::kMalformed, "SM2Cipher: coordinate longer than 32 bytes");
  }
  Bytes out(kSm2CoordinateLen - v.size(), 0);
  out.insert(out.end(), v.begin(), v.end());
  return out;
}

bool is_raw(Sm2CiphertextFormat f) {
  return f == Sm2CiphertextFormat::kRawC1C3C2 || f == Sm2CiphertextFormat::kRawC1C2C3;
}

}  // namespace

Result<Bytes> sm2_ciphertext_raw_to_der(BytesView raw, Sm2CiphertextFormat format) {
  if (!is_raw(format)) return fail(ErrorCode::kInvalidArgument, "not a raw SM2 ciphertext format");
  if (raw.size() > kMaxSm2Ciphertext) return fail(ErrorCode::kTooLarge, "SM2 ciphertext too large");
  if (raw.size() < kSm2C1Len + kSm2C3Len + 1) {
    return fail(ErrorCode::kMalformed, "raw SM2 ciphertext too short");
  }
  // GM/T 0003.1 4.2.9: C1 is written uncompressed, PC = 04.
  if (raw[0] != 0x04) return fail(ErrorCode::kMalformed, "raw SM2 ciphertext: C1 is not 04||x||y");
  const BytesView x = raw.subspan(1, kSm2CoordinateLen);
  const BytesView y = raw.subspan(1 + kSm2CoordinateLen, kSm2CoordinateLen);
  const BytesView rest = raw.subspan(kSm2C1Len);
  const std::size_t c2_len = rest.size() - kSm2C3Len;
  const BytesView c3 =
      format == Sm2CiphertextFormat::kRawC1C3C2 ? rest.first(kSm2C3Len) : rest.last(kSm2C3Len);
  const BytesView c2 =
      format == Sm2CiphertextFormat::kRawC1C3C2 ? rest.last(c2_len) : rest.first(c2_len);
  Bytes body;
  body.reserve(raw.size() + 16);
  put_tlv(body, 0x02, integer_content(x));
  put_tlv(body, 0x02, integer_content(y));
  put_tlv(body, 0x04, c3);
  put_tlv(body, 0x04, c2);
  Bytes out;
  out.reserve(body.size() + 6);
  put_tlv(out, 0x30, body);
  return out;
}

Result<Bytes> sm2_ciphertext_der_to_raw(BytesView der, Sm2CiphertextFormat format) {
  if (!is_raw(format)) return fail(ErrorCode::kInvalidArgument, "not a raw SM2 ciphertext format");
  if (der.size() > kMaxSm2Ciphertext) return fail(ErrorCode::kTooLarge, "SM2 ciphertext too large");
  BytesView in = der;
  Tlv seq = HPKI_TRY(read_tlv(in));
  if (seq.tag != 0x30) return fail(ErrorCode::kMalformed, "SM2Cipher: not a SEQUENCE");
  if (!in.empty()) return fail(ErrorCode::kMalformed, "SM2Cipher: trailing data");
  BytesView body = seq.content;
  Bytes x = HPKI_TRY(read_coordinate(body));
  Bytes y = HPKI_TRY(read_coordinate(body));
  Tlv c3 = HPKI_TRY(read_tlv(body));
  Tlv c2 = HPKI_TRY(read_tlv(body));
  if (c3.tag != 0x04 || c2.tag != 0x04) {
    return fail(ErrorCode::kMalformed, "SM2Cipher: HASH and CipherText must be OCTET STRINGs");
  }
  if (c3.content.size() != kSm2C3Len) {
    return fail(ErrorCode::kMalformed, "SM2Cipher: HASH is not 32 bytes");
  }
  if (c2.content.empty()) return fail(ErrorCode::kMalformed, "SM2Cipher: empty CipherText");
  if (!body.empty()) return fail(ErrorCode::kMalformed, "SM2Cipher: extra fields");
  Bytes out;
  out.reserve(kSm2C1Len + kSm2C3Len + c2.content.size());
  out.push_back(0x04);
  out.insert(out.end(), x.begin(), x.end());
  out.insert(out.end(), y.begin(), y.end());
  const BytesView first = format == Sm2CiphertextFormat::kRawC1C3C2 ? c3.content : c2.content;
  const BytesView second = format == Sm2CiphertextFormat::kRawC1C3C2 ? c2.content : c3.content;
  out.insert(out.end(), first.begin(), first.end());
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

}  // namespace hpki::crypto
