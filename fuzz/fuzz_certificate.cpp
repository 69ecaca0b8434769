// fuzz-links: x509 der crypto ossl core
// Certificate parser on untrusted bytes (DER, PEM, PEM bundles): never a crash; errors carry
// the parser's codes; whatever parses keeps its DER, re-parses to the same certificate, and
// survives every accessor, the extension decoders, lint and a signature check.
#include <cstdio>
#include <cstdlib>

#include "x509/certificate.h"
#include "x509/extensions.h"
#include "x509/lint.h"

namespace {

bool expected_error(hpki::ErrorCode c) {
  using hpki::ErrorCode;
  return c == ErrorCode::kBadCertificate || c == ErrorCode::kTooLarge ||
         c == ErrorCode::kMalformed || c == ErrorCode::kUnexpectedType ||
         c == ErrorCode::kTrailingData || c == ErrorCode::kUnsupported;  // PEM headers
}

void exercise(const hpki::x509::Certificate& cert) {
  using namespace hpki::x509;
  auto again = Certificate::parse(cert.der());
  if (!again || (*again)->tbs_der().size() != cert.tbs_der().size() ||
      (*again)->serial() != cert.serial())
    std::abort();
  (void)cert.signature_alg();
  (void)cert.key_spec();
  (void)cert.fingerprint_sha256();
  (void)cert.serial_number().der_content();
  (void)to_string(cert.subject());
  (void)names_match(cert.issuer(), cert.subject());
  for (const auto& e : cert.extensions()) {
    (void)parse_basic_constraints(e.value);
    (void)parse_key_usage(e.value);
    (void)parse_extended_key_usage(e.value);
    (void)parse_authority_key_identifier(e.value);
    (void)parse_general_names(e.value);
    (void)parse_certificate_policies(e.value);
    (void)parse_crl_distribution_points(e.value);
    (void)parse_authority_info_access(e.value);
    (void)parse_name_constraints(e.value);
    (void)parse_identify_code(e.value);
  }
  (void)lint_certificate(cert);
  (void)verify_certificate_signature(cert, cert.spki_der());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const hpki::BytesView in(data, size);
  auto one = hpki::x509::Certificate::parse_any(in);
  if (one) {
    exercise(**one);
  } else if (!expected_error(one.error().code())) {
    std::fprintf(stderr, "unexpected error: %s\n", one.error().to_string().c_str());
    std::abort();
  }
  if (auto all = hpki::x509::Certificate::parse_all(in)) {
    for (const auto& c : *all) exercise(*c);
  }
  return 0;
}
