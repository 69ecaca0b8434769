// Shared by the seal tests: an SM2 test CA, seal makers and signers with their certificates, a
// small valid PNG and a v4 seal info.
#pragma once

#include <chrono>
#include <string>

#include "core/encoding.h"
#include "seal/ses.h"
#include "tests/support/test_ca.h"

namespace hpki::seal::sealtest {

// A 4 x 4 red PNG (8-bit RGB), made with Python's zlib.
inline Bytes tiny_png() {
  return hex_decode(
             "89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001049444154"
             "789c63f8cfc000470cc47100ae930ff1d05f239e0000000049454e44ae426082")
      .value();
}

inline const testca::Ca& sm2_ca() {
  static const testca::Ca ca = testca::make_ca({crypto::KeyType::kSm2, 0}, "seal-sm2", nullptr);
  return ca;
}
inline const testca::Ca& rsa_ca() {
  static const testca::Ca ca = testca::make_ca({crypto::KeyType::kRsa, 2048}, "seal-rsa", nullptr);
  return ca;
}

// A key of `spec` with a "device" certificate named `name` (under example.cn).
inline testca::Issued person(const testca::Ca& ca, crypto::KeySpec spec, const std::string& name) {
  x509::SubjectData s = testca::subject(name);
  s.dns_names = {name + ".example.cn"};
  return testca::issue(ca, spec, {.profile = "device", .subject = std::move(s)});
}

inline TimePoint at(int year, unsigned month, unsigned day) {
  return std::chrono::sys_days(std::chrono::year{year} / std::chrono::month{month} /
                               std::chrono::day{day});
}

// A v4 organisation seal valid in 2026, listing `signer`.
inline SealInfo seal_info(const Bytes& signer_cert) {
  SealInfo in;
  in.vid = "hpki";
  in.es_id = "31010100000001";
  in.type = kTypeOrganization;
  in.name = "示例医院电子公章";
  in.certs = {signer_cert};
  in.create_date = at(2026, 1, 1);
  in.valid_start = at(2026, 1, 1);
  in.valid_end = at(2027, 1, 1);
  in.picture = tiny_png();
  in.width_mm = 40;
  in.height_mm = 40;
  return in;
}

}  // namespace hpki::seal::sealtest
