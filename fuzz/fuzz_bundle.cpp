// fuzz-links: x509 der crypto ossl core
// Certificate, CRL and OCSP response bundles (`hpki verify cert` files: PEM with several blocks, or
// DER, one or several concatenated) on untrusted bytes: never a crash, only the documented error
// codes; whatever parses goes through path validation (first certificate as target, the others as
// intermediates, the last as trust anchor, the OCSP responses then the CRLs as revocation
// sources) and its renderings.
#include <cstdlib>

#include "x509/bundle.h"
#include "x509/ocsp_source.h"
#include "x509/path.h"
#include "x509/revocation.h"

namespace {

bool expected_error(hpki::ErrorCode c) {
  using hpki::ErrorCode;
  return c == ErrorCode::kBadCertificate || c == ErrorCode::kBadCrl || c == ErrorCode::kTooLarge ||
         c == ErrorCode::kMalformed || c == ErrorCode::kTrailingData ||
         c == ErrorCode::kUnexpectedType || c == ErrorCode::kUnsupported ||
         c == ErrorCode::kUnsupportedAlgorithm;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  const hpki::BytesView in(data, size);
  auto certs = parse_certificate_bundle(in);
  if (!certs && !expected_error(certs.error().code())) std::abort();
  auto crls = parse_crl_bundle(in);
  if (!crls && !expected_error(crls.error().code())) std::abort();
  auto ocsp = parse_ocsp_response_bundle(in);
  if (!ocsp && !expected_error(ocsp.error().code())) std::abort();
  if (!certs) return 0;
  if (certs->empty()) std::abort();
  std::vector<CertificatePtr> pool(certs->begin(), certs->end());
  CrlRevocationSource crl_source(crls ? *crls : std::vector<CrlPtr>{}, pool);
  OcspRevocationSource ocsp_source(ocsp ? *ocsp : std::vector<BasicOcspResponsePtr>{});
  CombinedRevocationSource revocation({&ocsp_source, &crl_source});
  PathOptions o;
  o.at = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  o.identity = PeerIdentity{.kind = PeerIdentity::Kind::kDns, .value = "a.example"};
  if (crls || ocsp) o.revocation = &revocation;
  const PathReport r = validate_path(certs->front(), pool, {certs->back()}, o);
  if (r.valid != (r.status == diag::kValid)) std::abort();
  if (path_report_json(r).empty() || path_report_text(r).empty()) std::abort();
  return 0;
}
