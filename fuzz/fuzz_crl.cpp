// fuzz-links: x509 der crypto ossl core
// CRL parser on untrusted bytes (DER or PEM "X509 CRL"): never a crash; errors are kBadCrl /
// kTooLarge (or a PEM decoding error); whatever parses keeps its DER, re-parses identically,
// finds each of its own entries, and survives lint, the TBS lint and the CRL checks.
#include <cstdlib>

#include "x509/crl.h"
#include "x509/crl_check.h"
#include "x509/lint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  const hpki::BytesView in(data, size);
  auto crl = Crl::parse_any(in);
  if (!crl) {
    const auto c = crl.error().code();
    if (c != hpki::ErrorCode::kBadCrl && c != hpki::ErrorCode::kTooLarge &&
        c != hpki::ErrorCode::kMalformed && c != hpki::ErrorCode::kTrailingData &&
        c != hpki::ErrorCode::kUnexpectedType && c != hpki::ErrorCode::kUnsupported)
      std::abort();
    return 0;
  }
  const Crl& c = **crl;
  auto again = Crl::parse(c.der());
  if (!again || (*again)->revoked().size() != c.revoked().size() ||
      (*again)->extensions() != c.extensions() || (*again)->version() != c.version())
    std::abort();
  if (c.version() == 1 && !c.extensions().empty()) std::abort();  // RFC 5280 5.1.2.1
  for (const auto& e : c.revoked()) {
    if (c.find(e.serial) == nullptr) std::abort();
    if (e.reason) (void)reason_name(*e.reason);
  }
  (void)c.crl_number();
  (void)c.is_delta();
  (void)lint_crl(c);
  (void)lint_tbs_crl(c.tbs_der());
  (void)c.verify_signature(hpki::BytesView{});
  return 0;
}
