// Certificate and CRL bundles (x509/bundle.h), as `hpki verify` reads them: PEM, DER and
// concatenated DER; a truncated item, a CRL where certificates are expected and the reverse are
// refused. Third-party files: Tongsuo SM2 certificates, NIST PKITS CRLs.
#include <gtest/gtest.h>

#include "core/pem.h"
#include "tests/support/test_util.h"
#include "x509/bundle.h"

namespace hpki::x509 {
namespace {

const std::string kSm = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/sm2-certs";
const std::string kPkits = std::string(HPKI_SOURCE_DIR) + "/tests/vectors/pkits";

TEST(PathBundle, PemDerAndConcatenatedDer) {
  const auto pem_two = test::read_file(kSm + "/chain-ca.crt");
  auto two = parse_certificate_bundle(pem_two);
  ASSERT_TRUE(two);
  ASSERT_EQ(two->size(), 2u);
  Bytes der = (*two)[0]->der();
  der.insert(der.end(), (*two)[1]->der().begin(), (*two)[1]->der().end());
  auto again = parse_certificate_bundle(der);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->size(), 2u);
  EXPECT_EQ((*again)[1]->der(), (*two)[1]->der());
  der.push_back(0x30);  // truncated third item
  EXPECT_FALSE(parse_certificate_bundle(der));
  EXPECT_EQ(parse_certificate_bundle(as_bytes("-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n"))
                .error()
                .code(),
            ErrorCode::kUnexpectedType);
  auto crls = parse_crl_bundle(test::read_file(kPkits + "/crls/GoodCACRL.crl"));
  ASSERT_TRUE(crls);
  EXPECT_EQ(crls->size(), 1u);
  EXPECT_FALSE(parse_crl_bundle(pem_two));  // certificates are not CRLs
}

}  // namespace
}  // namespace hpki::x509
