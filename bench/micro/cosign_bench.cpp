// Server CPU of a two-party SM2 signature (docs/cosign.md §1.1, src/ossl/sm2_2p.h) next to one
// plain SM2 signature by hpki's file-key signer, one thread:
//   cosign_server/sm2        what hpki computes per co-signed document (src/cosign/service.cpp):
//                            at sign/start e = SM3(Z || M) for the joint key and S2 with the
//                            stored d2^-1 (a fresh w2, Q = w2·G + d2^-1·Q1, r, s1); at
//                            sign/finish e again and the final verification of the phone's (r, s)
//                            under P (the key's table cached, as for every key after its first
//                            signature)
//   cosign_s2/sm2            S2 alone, with the stored d2^-1
//   cosign_s2_invert/sm2     S2 from d2 alone (inverts d2 every call: shares sealed before d2^-1
//                            was stored with them)
//   cosign_verify/sm2        the final verification alone (key table cached)
//   cosign_verify_cold/sm2   the same with an empty cache: the first signature under a key
//   cosign_phone/sm2         the phone's S1 + S3 (with its own verification), for reference
//   sign_file/sm2            FileKeyStore signer: SM2-with-SM3 of the same message, ID
//                            1234567812345678
// After the run the ratio cosign_server / sign_file (CPU time) is printed. The message is
// 32 bytes, as in sign_bench.cpp.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "bench_util.h"
#include "crypto/file_keystore.h"
#include "crypto/key.h"
#include "ossl/sm2_2p.h"

namespace {

using namespace hpki;
namespace tp = hpki::ossl::sm2_2p;
using bench::must;

const Bytes kMessage(32, 0x5a);
constexpr std::string_view kCtx = "bench-enrollment";

struct Cosign {
  tp::ClientKey client;
  tp::ServerKey server;
  Bytes e;
  Bytes q1;  // one phone nonce point; the server draws a fresh w2 for every S2 anyway
  Bytes r;   // a finished signature (r, s) for the final verification
  Bytes s;
};

std::shared_ptr<const Cosign> make_cosign() {
  auto c = std::make_shared<Cosign>();
  c->client = must(tp::keygen_client(kCtx));
  c->server = must(tp::keygen_server(c->client.p1, c->client.proof, kCtx));
  c->e = must(tp::message_digest(c->server.p, kMessage));
  tp::ClientSignStart start = must(tp::sign_client_start());
  c->q1 = start.q1;
  tp::ServerSignature half = must(tp::sign_server(c->server.d2, start.q1, c->e));
  c->r = half.r;
  c->s = must(tp::sign_client_finish(c->client.d1, std::move(start.w1), half.r, half.s1, c->e,
                                     c->server.p));
  return c;
}

// A FileKeyStore in a temporary directory, removed at exit.
struct FileKey {
  std::filesystem::path dir;
  std::unique_ptr<crypto::FileKeyStore> store;
  std::unique_ptr<crypto::Signer> signer;
  ~FileKey() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

std::shared_ptr<FileKey> make_file_key() {
  auto f = std::make_shared<FileKey>();
  f->dir = std::filesystem::temp_directory_path() /
           ("hpki-bench-cosign-" + std::to_string(std::random_device{}()));
  f->store = must(crypto::FileKeyStore::open(f->dir, SecretBytes(std::string_view("bench-pass"))));
  crypto::KeyRef ref = must(f->store->generate({crypto::KeyType::kSm2, 0}, "sm2-bench"));
  f->signer = must(f->store->signer(ref));
  return f;
}

template <typename T>
void check(benchmark::State& st, const Result<T>& r) {
  if (!r) st.SkipWithError(r.error().to_string().c_str());
}

void register_all(const std::shared_ptr<FileKey>& file_key) {
  auto c = make_cosign();
  benchmark::RegisterBenchmark("cosign_server/sm2", [c](benchmark::State& st) {
    for (auto _ : st) {
      auto e = tp::message_digest(c->server.p, kMessage);
      check(st, e);
      auto half = tp::sign_server(c->server.d2, c->server.d2_inv, c->q1, *e);
      check(st, half);
      auto e_finish = tp::message_digest(c->server.p, kMessage);
      check(st, e_finish);
      auto ok = tp::verify_signature(c->server.p, *e_finish, c->r, c->s);
      check(st, ok);
      benchmark::DoNotOptimize(half);
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
  benchmark::RegisterBenchmark("cosign_s2/sm2", [c](benchmark::State& st) {
    for (auto _ : st) {
      auto half = tp::sign_server(c->server.d2, c->server.d2_inv, c->q1, c->e);
      check(st, half);
      benchmark::DoNotOptimize(half);
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
  benchmark::RegisterBenchmark("cosign_s2_invert/sm2", [c](benchmark::State& st) {
    for (auto _ : st) {
      auto half = tp::sign_server(c->server.d2, c->q1, c->e);
      check(st, half);
      benchmark::DoNotOptimize(half);
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
  benchmark::RegisterBenchmark("cosign_verify/sm2", [c](benchmark::State& st) {
    for (auto _ : st) check(st, tp::verify_signature(c->server.p, c->e, c->r, c->s));
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
  benchmark::RegisterBenchmark("cosign_verify_cold/sm2", [c](benchmark::State& st) {
    for (auto _ : st) {
      tp::testing::clear_key_cache();
      check(st, tp::verify_signature(c->server.p, c->e, c->r, c->s));
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
  // The phone's work, needing a server share per signature: S2 is done outside the timing.
  benchmark::RegisterBenchmark("cosign_phone/sm2", [c](benchmark::State& st) {
    for (auto _ : st) {
      auto start = tp::sign_client_start();
      check(st, start);
      st.PauseTiming();
      auto half = tp::sign_server(c->server.d2, c->server.d2_inv, start->q1, c->e);
      check(st, half);
      st.ResumeTiming();
      auto s = tp::sign_client_finish(c->client.d1, std::move(start->w1), half->r, half->s1, c->e,
                                      c->server.p);
      check(st, s);
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
  benchmark::RegisterBenchmark("sign_file/sm2", [file_key](benchmark::State& st) {
    for (auto _ : st) {
      auto sig = file_key->signer->sign(kMessage);
      check(st, sig);
      benchmark::DoNotOptimize(sig);
    }
    st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations()));
  });
}

// The console output plus the CPU time per iteration of each benchmark, for the ratio: the
// median over repetitions when there are several (--benchmark_repetitions=N, best with
// --benchmark_enable_random_interleaving=true on a shared machine), else the single run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal (the library's own reporter decides this from its flags).
  RatioReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) == 1 ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      if (run.run_type == Run::RT_Iteration && !median_.contains(run.run_name.str())) {
        cpu_[run.run_name.str()] = run.GetAdjustedCPUTime();
      } else if (run.run_type == Run::RT_Aggregate && run.aggregate_name == "median") {
        cpu_[run.run_name.str()] = run.GetAdjustedCPUTime();
        median_[run.run_name.str()] = true;
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
  [[nodiscard]] const std::map<std::string, double>& cpu() const { return cpu_; }

 private:
  std::map<std::string, double> cpu_;
  std::map<std::string, bool> median_;
};

}  // namespace

int main(int argc, char** argv) {
  auto file_key = make_file_key();
  register_all(file_key);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  const auto& cpu = reporter.cpu();
  const auto server = cpu.find("cosign_server/sm2");
  const auto plain = cpu.find("sign_file/sm2");
  if (server != cpu.end() && plain != cpu.end() && plain->second > 0) {
    std::printf(
        "two-party SM2, server CPU per signature (e + S2 + e + final verify) / plain SM2 "
        "file-key signature: %.2f\n",
        server->second / plain->second);
  }
  benchmark::Shutdown();
  return 0;
}
