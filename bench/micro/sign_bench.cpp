// Sign and verify through hpki's public crypto API, one benchmark per algorithm, named
// "<op>/<alg>" so bench/run.sh can put them next to `openssl speed` for the same keys:
//   sign/<alg>        SoftwareSigner::sign (digest + signature, SM2 with the default ID)
//   verify/<alg>      PublicKey::verify (SPKI parsed once)
//   verify_spki/<alg> crypto::verify_signature on SPKI bytes (includes the SPKI decode)
// Algorithms as in `openssl speed`: rsa2048, rsa3072 (PKCS#1 v1.5 SHA-256), p256 (ECDSA-SHA256),
// p384 (ECDSA-SHA384), sm2 (SM2-with-SM3). The message is 32 bytes, so the hash is a small
// part, as in `openssl speed` which signs a 20..64-byte digest directly.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/key.h"

namespace {

using hpki::Bytes;
using hpki::crypto::KeySpec;
using hpki::crypto::KeyType;
using hpki::crypto::PrivateKey;
using hpki::crypto::PublicKey;

struct Fixture {
  std::string name;
  KeySpec spec;
};

const Fixture kFixtures[] = {
    {"rsa2048", {KeyType::kRsa, 2048}}, {"rsa3072", {KeyType::kRsa, 3072}},
    {"p256", {KeyType::kEcP256, 0}},    {"p384", {KeyType::kEcP384, 0}},
    {"sm2", {KeyType::kSm2, 0}},
};

const Bytes kMessage(32, 0x5a);

template <typename T>
T must(hpki::Result<T> r) {
  if (!r) {
    std::fprintf(stderr, "bench setup failed: %s\n", r.error().to_string().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

void register_all() {
  for (const auto& f : kFixtures) {
    auto key = std::make_shared<PrivateKey>(must(PrivateKey::generate(f.spec)));
    auto signer = std::shared_ptr<hpki::crypto::Signer>(must(key->signer()));
    auto pub = std::make_shared<PublicKey>(must(PublicKey::from_spki(key->public_key_der())));
    auto sig = std::make_shared<Bytes>(must(signer->sign(kMessage)));
    const auto alg = signer->algorithm();

    benchmark::RegisterBenchmark(("sign/" + f.name).c_str(), [signer](benchmark::State& st) {
      for (auto _ : st) {
        auto s = signer->sign(kMessage);
        if (!s) st.SkipWithError(s.error().to_string().c_str());
        benchmark::DoNotOptimize(s);
      }
      st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
    });
    benchmark::RegisterBenchmark(("verify/" + f.name).c_str(),
                                 [pub, sig, alg](benchmark::State& st) {
                                   for (auto _ : st) {
                                     auto ok = pub->verify(alg, kMessage, *sig);
                                     if (!ok) st.SkipWithError(ok.error().to_string().c_str());
                                   }
                                   st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
                                 });
    benchmark::RegisterBenchmark(
        ("verify_spki/" + f.name).c_str(), [key, sig, alg](benchmark::State& st) {
          for (auto _ : st) {
            auto ok = hpki::crypto::verify_signature(key->public_key_der(), alg, kMessage, *sig);
            if (!ok) st.SkipWithError(ok.error().to_string().c_str());
          }
          st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
        });
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
