// fuzz-links: x509
// Certificate lint on attacker-supplied certificates (`hpki cert lint` reads any file): whatever
// Certificate::parse_all accepts (PEM bundle or DER) is linted with and without the
// CA/B Forum rules and as an unsigned TBS; every finding has an id, a source and a message.
// Nothing may crash; rejected input must be an Error.
#include <cstdlib>

#include "x509/certificate.h"
#include "x509/lint.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace hpki::x509;
  auto certs = Certificate::parse_all(hpki::BytesView(data, size));
  if (!certs) return 0;
  for (const auto& c : *certs) {
    LintContext cabf;
    cabf.cabf_server = true;
    cabf.issuer = c.get();
    for (const auto& findings : {lint_certificate(*c), lint_certificate(*c, cabf)}) {
      for (const auto& f : findings) {
        if (f.id.empty() || f.source.empty() || f.message.empty()) std::abort();
        if (!f.id.starts_with("e_") && !f.id.starts_with("w_") && !f.id.starts_with("n_"))
          std::abort();
      }
    }
    auto tbs = lint_tbs_certificate(c->tbs_der());
    if (!tbs) std::abort();  // the TBS of a parsed certificate always parses again
  }
  return 0;
}
