// OCSP pre-signing cost (issue 6 Bench: "pre-sign 1,000,000 responses, target <= 1.2x the raw
// signing time for that many signatures"), one thread, same key, same run:
//   raw_sign/<alg>  Signer::sign over a message the size of an OCSP ResponseData
//   presign/<alg>   x509::build_ocsp_response: CertID, SingleResponse, ResponseData DER,
//                   signature, BasicOCSPResponse with the responder certificate, OCSPResponse
// bench/compare/ocsp.sh prints presign / raw_sign and the time for 1,000,000.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "bench_util.h"
#include "crypto/key.h"
#include "der/oids.h"
#include "x509/ocsp.h"

namespace {

using namespace hpki;

using bench::must;

void register_all() {
  struct F {
    const char* name;
    crypto::KeySpec spec;
  };
  for (const F& f : {F{"p256", {crypto::KeyType::kEcP256, 0}}, F{"sm2", {crypto::KeyType::kSm2, 0}},
                     F{"rsa2048", {crypto::KeyType::kRsa, 2048}}}) {
    auto key = std::make_shared<crypto::PrivateKey>(must(crypto::PrivateKey::generate(f.spec)));
    auto signer = std::shared_ptr<crypto::Signer>(must(key->signer()));
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    auto single = std::make_shared<x509::OcspSingleResponse>();
    single->id.hash_oid = der::oids::kSha1;
    single->id.hash = crypto::HashAlg::kSha1;
    single->id.issuer_name_hash = Bytes(20, 0x11);
    single->id.issuer_key_hash = Bytes(20, 0x22);
    single->id.serial = Bytes(16, 0x33);
    single->this_update = now;
    single->next_update = now + std::chrono::hours(24);
    // A stand-in for the responder certificate (copied as is into certs).
    auto cert = std::make_shared<Bytes>(Bytes{0x30, 0x82, 0x02, 0x00});
    cert->resize(4 + 0x200, 0x44);
    const Bytes message(150, 0x5a);
    benchmark::RegisterBenchmark((std::string("raw_sign/") + f.name).c_str(),
                                 [signer, message](benchmark::State& st) {
                                   for (auto _ : st)
                                     benchmark::DoNotOptimize(signer->sign(message));
                                 });
    benchmark::RegisterBenchmark((std::string("presign/") + f.name).c_str(),
                                 [signer, single, cert, now](benchmark::State& st) {
                                   std::uint64_t serial = 1;
                                   for (auto _ : st) {
                                     x509::OcspResponseTemplate t;
                                     t.responder_spki = signer->public_key_der();
                                     t.produced_at = now;
                                     auto s = *single;
                                     for (int i = 0; i < 8; ++i)
                                       s.id.serial[8 + static_cast<std::size_t>(i)] =
                                           static_cast<std::uint8_t>(serial >> (8 * i));
                                     ++serial;
                                     t.responses = {s};
                                     t.certs = {*cert};
                                     auto der = x509::build_ocsp_response(t, *signer);
                                     if (!der) st.SkipWithError(der.error().to_string().c_str());
                                     benchmark::DoNotOptimize(der);
                                   }
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
