// CMS verification throughput of the signature service (issue 8 Bench), one thread:
//   cms_verify/<alg>  sign::verify of an attached CMS SignedData (signed attributes, ESS
//                     signingCertificateV2): the signature, the path root -> issuing CA -> signer
//                     (two certificate signatures) and revocation from CRLs of both CAs that were
//                     fetched and parsed beforehand ("cached": their signatures are checked on
//                     every verification, as the path validator does)
//   cms_verify_service/<alg>  the same over 64 documents of the signer with a SignatureCache
//                     kept across calls, as `hpki serve` verifies: each document's signature is
//                     checked, the chain's and the CRLs' signatures come from the cache
//   raw_verify/<alg>  crypto::verify_signature of one signature (hpki's own raw rate)
// bench/compare/verify.sh prints these next to `openssl speed` verify/s from the same run.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>

#include "bench_util.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "crypto/signature_cache.h"
#include "sign/sign_service.h"
#include "x509/builder.h"
#include "x509/crl.h"
#include "x509/profile.h"

namespace {

using namespace hpki;

using bench::must;

TimePoint now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

struct Ca {
  std::shared_ptr<crypto::PrivateKey> key;
  std::shared_ptr<crypto::Signer> signer;
  x509::CertificatePtr cert;
  x509::IssuerInfo info;
};

x509::SubjectData subject(const std::string& cn) {
  x509::SubjectData s;
  s.country = "CN";
  s.organization = "Bench Hospital";
  s.common_name = cn;
  return s;
}

const std::map<std::string, x509::Profile>& profiles() {
  static const auto p =
      must(x509::load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles"));
  return p;
}

// Issues `profile` for `key` under `parent` (self-signed without one).
x509::CertificatePtr issue(const std::string& profile, const std::string& cn,
                           const crypto::PrivateKey& key, const Ca* parent,
                           const crypto::Signer& self) {
  crypto::SystemRandom rnd;
  x509::IssueParams p;
  p.profile = &profiles().at(profile);
  p.subject = subject(cn);
  p.subject_spki = key.public_key_der();
  p.serial = must(x509::generate_serial(rnd));
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = parent ? &parent->info : nullptr;
  auto der = must(x509::issue_certificate(p, x509::BuildSettings{}, parent ? *parent->signer : self,
                                          parent ? parent->cert.get() : nullptr))
                 .der;
  return must(x509::Certificate::parse(der));
}

Ca make_ca(crypto::KeySpec spec, const std::string& cn, const Ca* parent) {
  Ca ca;
  ca.key = std::make_shared<crypto::PrivateKey>(must(crypto::PrivateKey::generate(spec)));
  ca.signer = must(ca.key->signer());
  ca.cert = issue(parent ? "issuing-ca" : "root-ca", cn, *ca.key, parent, *ca.signer);
  ca.info = x509::IssuerInfo{ca.cert->subject(),
                             must(x509::key_identifier(ca.key->public_key_der())), cn};
  return ca;
}

x509::CrlPtr crl_of(const Ca& ca) {
  x509::CrlTemplate t;
  t.issuer = ca.cert->subject();
  t.authority_key_id = ca.info.subject_key_id;
  t.this_update = now() - std::chrono::minutes(1);
  t.next_update = now() + std::chrono::hours(24);
  t.crl_number = {0x01};
  return must(x509::Crl::parse(must(x509::build_crl(t, *ca.signer))));
}

void register_all() {
  struct F {
    const char* name;
    crypto::KeySpec spec;
  };
  for (const F& f :
       {F{"rsa2048", {crypto::KeyType::kRsa, 2048}}, F{"p256", {crypto::KeyType::kEcP256, 0}},
        F{"sm2", {crypto::KeyType::kSm2, 0}}}) {
    auto root = std::make_shared<Ca>(make_ca(f.spec, std::string("Bench Root ") + f.name, nullptr));
    auto issuing =
        std::make_shared<Ca>(make_ca(f.spec, std::string("Bench Issuing ") + f.name, root.get()));
    auto key = std::make_shared<crypto::PrivateKey>(must(crypto::PrivateKey::generate(f.spec)));
    std::shared_ptr<crypto::Signer> signer = must(key->signer());
    auto leaf = issue("org-sign", "Bench signer", *key, issuing.get(), *signer);
    const Bytes data(4096, 0x5A);
    sign::SigningIdentity id{signer.get(), leaf, {issuing->cert}};
    auto cms = std::make_shared<Bytes>(
        must(sign::sign(data, id, {.mode = sign::Mode::kCmsAttached, .signing_time = now()}))
            .output);
    auto trust = std::make_shared<sign::TrustSettings>();
    trust->anchors = {root->cert};
    trust->crls = {crl_of(*root), crl_of(*issuing)};
    trust->require_revocation = true;
    trust->now = now();
    {
      const auto r = sign::verify({.signature = *cms}, *trust);
      if (!r.valid) {
        std::fprintf(stderr, "bench setup: not valid: %s\n", sign::verify_report_text(r).c_str());
        std::exit(1);
      }
    }
    benchmark::RegisterBenchmark((std::string("cms_verify/") + f.name).c_str(),
                                 [cms, trust, root, issuing](benchmark::State& st) {
                                   for (auto _ : st) {
                                     auto r = sign::verify({.signature = *cms}, *trust);
                                     if (!r.valid) st.SkipWithError("invalid");
                                     benchmark::DoNotOptimize(r);
                                   }
                                   st.SetItemsProcessed(st.iterations());
                                 });
    // As a service verifies: many documents of the same signer, one SignatureCache kept across
    // calls (hpki serve's /api/v1/verify). Each document's own signature is checked every time;
    // the chain's and the CRLs' signatures and the keys come from the cache after the first.
    auto docs = std::make_shared<std::vector<Bytes>>();
    for (int i = 0; i < 64; ++i) {
      Bytes content = data;
      content[0] = static_cast<std::uint8_t>(i);
      docs->push_back(
          must(sign::sign(content, id, {.mode = sign::Mode::kCmsAttached, .signing_time = now()}))
              .output);
    }
    auto cache = std::make_shared<crypto::SignatureCache>();
    auto warm = std::make_shared<sign::TrustSettings>(*trust);
    warm->signature_cache = cache.get();
    benchmark::RegisterBenchmark((std::string("cms_verify_service/") + f.name).c_str(),
                                 [docs, warm, cache, root, issuing](benchmark::State& st) {
                                   std::size_t i = 0;
                                   for (auto _ : st) {
                                     auto r = sign::verify({.signature = (*docs)[i++ % 64]}, *warm);
                                     if (!r.valid) st.SkipWithError("invalid");
                                     benchmark::DoNotOptimize(r);
                                   }
                                   st.SetItemsProcessed(st.iterations());
                                 });
    const Bytes msg(32, 0x42);
    auto sig = std::make_shared<Bytes>(must(signer->sign(msg)));
    auto spki = std::make_shared<Bytes>(key->public_key_der());
    const auto alg = signer->algorithm();
    benchmark::RegisterBenchmark((std::string("raw_verify/") + f.name).c_str(),
                                 [sig, spki, alg, msg](benchmark::State& st) {
                                   for (auto _ : st) {
                                     auto ok = crypto::verify_signature(*spki, alg, msg, *sig);
                                     if (!ok) st.SkipWithError("bad signature");
                                   }
                                   st.SetItemsProcessed(st.iterations());
                                 });
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
