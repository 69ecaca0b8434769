// Evidence packages (issue 21; docs/evidence.md, docs/performance.md "Evidence packages"), one
// thread, on a fresh SQLite home with RSA and SM2 hierarchies:
//   evidence_export/<alg>   packages exported per second for one detached CMS signature of a
//                           4 KiB document (find the records, CRLs (stored ones reused), audit
//                           entries with inclusion proofs, the package timestamp from the
//                           in-process TSA, hpki's own check twice, the audit entry of the
//                           export); counter package_bytes = the package's size
//   evidence_verify/<alg>   the offline verification of that package (what `hpki evidence
//                           verify` does after reading the file)
//   cms_verify/<alg>        sign::verify of the same signature with the same CRLs: the part of
//                           the offline verification that any signature verifier does, for
//                           reference
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "bench_util.h"
#include "ca/runtime.h"
#include "cli/common.h"
#include "crypto/keystore.h"
#include "evidence/exporter.h"
#include "evidence/package.h"
#include "sign/sign_service.h"
#include "x509/crl.h"

namespace {

using namespace hpki;
using bench::must;

struct Home {
  std::filesystem::path dir;
  std::unique_ptr<ca::Runtime> rt;
  std::unique_ptr<revocation::CrlPublisher> crls;
  std::unique_ptr<tsa::TsaService> tsa;
  std::vector<x509::CertificatePtr> roots;
  ~Home() {
    if (tsa) tsa->stop();
    tsa.reset();
    crls.reset();
    rt.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

struct Case {
  Bytes document;
  Bytes cms;
  Bytes package;
};

Home& home() {
  static Home h = [] {
    Home x;
    x.dir = std::filesystem::temp_directory_path() /
            ("hpki-evidence-bench-" + std::to_string(::getpid()));
    ca::InitOptions init;
    init.organization = "示例医院";
    ca::InitHierarchyOptions hier;
    hier.families = {store::CaFamily::kRsa, store::CaFamily::kSm2};
    const std::string pass = "bench-passphrase";
    x.rt = must(ca::Runtime::init(x.dir, init, hier, SecretBytes(pass.begin(), pass.end()),
                                  HPKI_SOURCE_DIR "/profiles"));
    x.crls = cli::make_crl_publisher(*x.rt);
    x.tsa = must(cli::make_tsa(*x.rt));
    for (auto fam : {store::CaFamily::kRsa, store::CaFamily::kSm2}) {
      auto chain = must(x.rt->ca().chain(fam));
      x.roots.push_back(must(x509::Certificate::parse(chain.back())));
    }
    return x;
  }();
  return h;
}

const Case& case_for(const std::string& alg) {
  static std::map<std::string, Case> cases;
  if (auto it = cases.find(alg); it != cases.end()) return it->second;
  auto& h = home();
  const bool sm2 = alg == "sm2";
  const crypto::KeySpec spec = sm2 ? crypto::KeySpec{crypto::KeyType::kSm2, 0}
                                   : crypto::KeySpec{crypto::KeyType::kRsa, 2048};
  const auto ref = must(h.rt->file_keys().generate(spec, "bench-" + alg));
  auto signer = must(h.rt->file_keys().signer(ref));
  ca::IssueRequest req;
  req.profile = "org-sign";
  req.internal_spki = signer->public_key_der();
  req.subject.data.common_name = "张医生 " + alg;
  req.subject.data.organization = "示例医院";
  req.requester = {"bench", std::string(ca::kAdminRole)};
  const auto issued = must(h.rt->ca().issue(req));
  Case c;
  c.document = Bytes(4096, 0x42);
  sign::SignRequest sr;
  sr.mode = sign::Mode::kCmsDetached;
  sr.signing_time = h.rt->clock().now();
  std::vector<x509::CertificatePtr> chain;
  for (const auto& der : issued.chain) chain.push_back(must(x509::Certificate::parse(der)));
  const sign::SigningIdentity who{signer.get(), must(x509::Certificate::parse(issued.der)), chain};
  c.cms = must(sign::sign(c.document, who, sr)).output;
  evidence::Exporter ex({.runtime = h.rt.get(), .tsa = h.tsa.get(), .crls = h.crls.get()});
  c.package =
      must(ex.export_signature({.signed_object = c.cms, .data = c.document, .actor = "bench"}))
          .package;
  return cases.emplace(alg, std::move(c)).first->second;
}

void BM_export(benchmark::State& state, const std::string& alg) {
  const auto& c = case_for(alg);
  auto& h = home();
  evidence::Exporter ex({.runtime = h.rt.get(), .tsa = h.tsa.get(), .crls = h.crls.get()});
  std::size_t bytes = 0;
  for (auto _ : state) {
    auto out = ex.export_signature({.signed_object = c.cms, .data = c.document, .actor = "bench"});
    if (!out) {
      state.SkipWithError(out.error().to_string().c_str());
      return;
    }
    bytes = out->package.size();
  }
  state.counters["package_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations());
}

void BM_verify(benchmark::State& state, const std::string& alg) {
  const auto& c = case_for(alg);
  auto& h = home();
  for (auto _ : state) {
    auto r = evidence::verify(c.package, {.anchors = h.roots, .now = h.rt->clock().now()});
    if (r.verdict != evidence::Verdict::kValid) {
      state.SkipWithError("the package does not verify");
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_cms_verify(benchmark::State& state, const std::string& alg) {
  const auto& c = case_for(alg);
  auto& h = home();
  const auto members = must(evidence::zip::read(c.package));
  sign::TrustSettings trust;
  trust.anchors = h.roots;
  for (const auto& m : members) {
    if (m.name.starts_with("certs/"))
      trust.intermediates.push_back(must(x509::Certificate::parse(m.data)));
    if (m.name.starts_with("revocation/")) trust.crls.push_back(must(x509::Crl::parse(m.data)));
  }
  trust.now = h.rt->clock().now();
  sign::VerifyRequest req;
  req.signature = c.cms;
  req.content = BytesView(c.document);
  for (auto _ : state) {
    const auto r = sign::verify(req, trust);
    if (!r.valid) {
      state.SkipWithError(("the CMS does not verify: " + r.detail).c_str());
      return;
    }
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(BM_export, rsa, std::string("rsa"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_export, sm2, std::string("sm2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_verify, rsa, std::string("rsa"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_verify, sm2, std::string("sm2"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_cms_verify, rsa, std::string("rsa"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_cms_verify, sm2, std::string("sm2"))->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
