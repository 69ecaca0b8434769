// Audit-log inclusion proofs (issue 21, RFC 9162 2.1.3) against the log's size: an SQLite log of
// 10^3 .. 10^6 entries, checkpointed once (which verifies the log and fills the subtree cache),
// then per size and hash (SHA-256 with a P-256 audit key, SM3 with SM2):
//   audit_proof/<alg>/<n>           AuditLog::inclusion_proof(): one read transaction, at most
//                                   two blocks of 2^10 entry hashes + O(log n) cached subtrees
//   audit_verify/<alg>/<n>          verify_inclusion() of such a proof against the checkpoint
//   audit_proof_uncached/<alg>/<n>  inclusion_proof() with subtree height 20, i.e. without usable
//                                   cache rows (a database before schema 11): O(n), for contrast
// Counters: path_len = nodes in the proof (ceil(log2 n) at most), entries = n. The logs are built
// once per run (real AuditLog::append, 10000 entries per transaction, so every hash is the real
// chain) in a temporary directory removed at exit; build and checkpoint times go to stderr.
// AUDIT_BENCH_MAX (default 1000000) caps the sizes.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "audit/merkle.h"
#include "bench_util.h"
#include "core/clock.h"
#include "crypto/key.h"
#include "store/store.h"

namespace {

using namespace hpki;
using bench::must;
using crypto::HashAlg;
using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'800'000'000));

// Temporary directory of all logs, removed at exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           ("hpki-bench-audit-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

TempDir& temp_dir() {
  static TempDir d;
  return d;
}

struct Log {
  FixedClock clock{kT0};
  std::unique_ptr<store::Store> store;
  std::optional<audit::AuditLog> log;
  store::AuditCheckpoint checkpoint;
};

std::shared_ptr<Log> build_log(HashAlg alg, std::int64_t n) {
  using Clock = std::chrono::steady_clock;
  auto l = std::make_shared<Log>();
  const std::string name = std::string(crypto::hash_name(alg)) + "-" + std::to_string(n);
  l->store =
      must(store::open_store("sqlite:" + (temp_dir().path / (name + ".db")).string(), l->clock));
  l->log.emplace(must(audit::AuditLog::create(alg, l->clock)));
  const auto t0 = Clock::now();
  constexpr std::int64_t kPerTx = 10000;
  for (std::int64_t done = 0; done < n; done += kPerTx) {
    l->clock.advance(1s);
    must(l->store->transact_value<bool>([&](store::Tx& tx) -> Result<bool> {
      for (std::int64_t i = done; i < std::min(n, done + kPerTx); ++i) {
        HPKI_TRY(l->log->append(
            tx, {.actor = "ra:alice",
                 .action = "cert.issue",
                 .object = "sm2-issuing/" + std::to_string(100000 + i),
                 .outcome = "success",
                 .details = R"({"profile":"staff-sign","n":)" + std::to_string(i) + "}"}));
      }
      return true;
    }));
  }
  const auto t1 = Clock::now();
  const auto key = must(crypto::PrivateKey::generate(
      {.type = alg == HashAlg::kSm3 ? crypto::KeyType::kSm2 : crypto::KeyType::kEcP256}));
  const auto signer = must(key.signer());
  l->clock.advance(1s);
  l->checkpoint =
      must(l->log->checkpoint(*l->store, *signer, must(KeyId::parse("file:audit-bench"))));
  const auto t2 = Clock::now();
  std::fprintf(stderr, "audit log %s: %lld entries appended in %.1f s, checkpoint in %.1f s\n",
               name.c_str(), static_cast<long long>(n),
               std::chrono::duration<double>(t1 - t0).count(),
               std::chrono::duration<double>(t2 - t1).count());
  return l;
}

// Built on first use, so that --benchmark_filter builds only what it runs.
std::shared_ptr<Log> log_of(HashAlg alg, std::int64_t n) {
  static std::map<std::pair<HashAlg, std::int64_t>, std::shared_ptr<Log>> logs;
  auto& l = logs[{alg, n}];
  if (!l) l = build_log(alg, n);
  return l;
}

// Spread the proven entries over the log (a fixed stride, co-prime with the sizes).
std::int64_t seq_at(std::int64_t i, std::int64_t n) { return (i * 7919) % n + 1; }

void register_all() {
  std::int64_t max = 1'000'000;
  if (const char* env = std::getenv("AUDIT_BENCH_MAX"); env != nullptr) max = std::atoll(env);
  for (HashAlg alg : {HashAlg::kSha256, HashAlg::kSm3}) {
    const std::string a(crypto::hash_name(alg));
    for (std::int64_t n = 1000; n <= max; n *= 10) {
      const std::string sz = std::to_string(n);
      benchmark::RegisterBenchmark(
          ("audit_proof/" + a + "/" + sz).c_str(),
          [alg, n](benchmark::State& st) {
            auto l = log_of(alg, n);
            std::int64_t i = 0;
            std::size_t len = 0;
            for (auto _ : st) {
              auto p = l->log->inclusion_proof(*l->store, seq_at(i++, n), l->checkpoint.tree_size);
              if (!p) {
                st.SkipWithError(p.error().to_string().c_str());
                break;
              }
              len += p->path.size();
            }
            st.counters["path_len"] = benchmark::Counter(
                static_cast<double>(len) / static_cast<double>(std::max<std::int64_t>(i, 1)));
            st.counters["entries"] = static_cast<double>(n);
          })
          ->Unit(benchmark::kMicrosecond);

      benchmark::RegisterBenchmark(
          ("audit_verify/" + a + "/" + sz).c_str(),
          [alg, n](benchmark::State& st) {
            auto l = log_of(alg, n);
            // 64 proofs and their entries, made outside the timing.
            struct Item {
              audit::InclusionProof proof;
              Bytes entry;
            };
            std::vector<Item> items;
            for (std::int64_t i = 0; i < 64; ++i) {
              const std::int64_t seq = seq_at(i, n);
              auto entry = must(l->store->read_value<std::vector<store::AuditEntryHash>>(
                  [&](store::Tx& tx) { return tx.read_audit_hashes(seq, 1); }));
              items.push_back({must(l->log->inclusion_proof(*l->store, seq, n)), entry.at(0).hash});
            }
            std::size_t i = 0;
            std::size_t len = 0;
            for (auto _ : st) {
              const Item& it = items[i++ % items.size()];
              auto v = audit::verify_inclusion(alg, it.entry, it.proof, l->checkpoint.root_hash);
              if (!v) {
                st.SkipWithError(v.error().to_string().c_str());
                break;
              }
              len += it.proof.path.size();
            }
            st.counters["path_len"] = benchmark::Counter(
                static_cast<double>(len) / static_cast<double>(std::max<std::size_t>(i, 1)));
            st.counters["entries"] = static_cast<double>(n);
          })
          ->Unit(benchmark::kMicrosecond);

      if (n > 100'000) continue;  // O(n): seconds per proof beyond
      benchmark::RegisterBenchmark(
          ("audit_proof_uncached/" + a + "/" + sz).c_str(),
          [alg, n](benchmark::State& st) {
            auto l = log_of(alg, n);
            const auto uncached =
                must(audit::AuditLog::create(alg, l->clock, {.subtree_height = 20}));
            std::int64_t i = 0;
            for (auto _ : st) {
              auto p = uncached.inclusion_proof(*l->store, seq_at(i++, n), l->checkpoint.tree_size);
              if (!p) {
                st.SkipWithError(p.error().to_string().c_str());
                break;
              }
              benchmark::DoNotOptimize(p);
            }
            st.counters["entries"] = static_cast<double>(n);
          })
          ->Unit(benchmark::kMicrosecond);
    }
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
