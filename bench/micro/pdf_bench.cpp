// PDF signatures per second (issue 20), one thread, per algorithm rsa2048 / p256 / sm2 (SM2 with
// the ID 1234567812345678), every input made in process (pdf_fixture.h):
//   raw_sign/<alg>           crypto::Signer::sign of 32 bytes with the signer's key: the
//                            signature alone, the floor of everything below
//   pdf_sign/<alg>/1p        pdf::sign_pades B-B, invisible, of a 1-page PDF (~50 KB): qpdf
//                            reads the document, hpki writes the incremental update, hashes the
//                            ByteRange, builds and signs the CMS, fills /Contents
//   pdf_sign/<alg>/100p      the same of a 100-page PDF of ~5 MB (each page text and a 50 KB
//                            image of random bytes, so the size is real)
//   pdf_sign_visible/<alg>/1p  the 1-page PDF, visible: a 200x200 PNG seal and two lines of
//                            text (one Chinese) on page 1 (PNG decoded and re-compressed each time)
//   pdf_verify/<alg>/1p, /100p  pdf::verify of the signed document: qpdf, signature listing,
//                            the CMS signature and the path root -> issuing CA -> signer (no
//                            revocation, no signature cache)
// Counters: overhead_us = CPU µs per PDF signature minus one raw signature (what the PDF layer
// costs), doc_MB = input size. After the run a summary table with the overheads is printed.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "pdf_fixture.h"

namespace {

using namespace hpki;
using namespace hpki::bench::pdfbench;
using hpki::bench::must;

constexpr int kBigPages = 100;
constexpr std::size_t kImageBytes = 50'000;  // per page: 100 pages = ~5 MB

struct Alg {
  const char* name;
  crypto::KeySpec spec;
};
const Alg kAlgs[] = {{"rsa2048", {crypto::KeyType::kRsa, 2048}},
                     {"p256", {crypto::KeyType::kEcP256, 0}},
                     {"sm2", {crypto::KeyType::kSm2, 0}}};

// CPU seconds per iteration of every benchmark run so far, for the overhead counter (the raw
// signature of an algorithm is registered, hence run, before its PDF benchmarks).
std::map<std::string, double>& cpu_per_op() {
  static std::map<std::string, double> m;
  return m;
}

void register_all() {
  auto small = std::make_shared<const Bytes>(make_pdf(1, kImageBytes));
  auto big = std::make_shared<const Bytes>(make_pdf(kBigPages, kImageBytes));
  auto png = std::make_shared<const Bytes>(seal_png(200));
  const std::vector<std::pair<std::string, std::shared_ptr<const Bytes>>> docs = {
      {"1p", small}, {std::to_string(kBigPages) + "p", big}};

  for (const Alg& a : kAlgs) {
    const std::string alg = a.name;
    auto pki = make_pki(a.spec, alg);

    benchmark::RegisterBenchmark(("raw_sign/" + alg).c_str(), [pki](benchmark::State& st) {
      const Bytes msg(32, 0x5a);
      for (auto _ : st) {
        auto sig = pki->signer->sign(msg);
        if (!sig) st.SkipWithError(sig.error().to_string().c_str());
        benchmark::DoNotOptimize(sig);
      }
      st.SetItemsProcessed(st.iterations());
    });

    for (const auto& [label, doc] : docs) {
      benchmark::RegisterBenchmark(
          ("pdf_sign/" + alg + "/" + label).c_str(), [pki, doc, alg](benchmark::State& st) {
            const auto opts = pades_options(nullptr);
            const auto id = pki->identity();
            for (auto _ : st) {
              auto r = pdf::sign_pades(*doc, id, opts);
              if (!r) st.SkipWithError(r.error().to_string().c_str());
              benchmark::DoNotOptimize(r);
            }
            st.SetItemsProcessed(st.iterations());
            st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(doc->size()));
            st.counters["doc_MB"] = static_cast<double>(doc->size()) / 1e6;
          });
    }

    benchmark::RegisterBenchmark(("pdf_sign_visible/" + alg + "/1p").c_str(),
                                 [pki, small, png](benchmark::State& st) {
                                   const auto opts = pades_options(png.get());
                                   const auto id = pki->identity();
                                   for (auto _ : st) {
                                     auto r = pdf::sign_pades(*small, id, opts);
                                     if (!r) st.SkipWithError(r.error().to_string().c_str());
                                     benchmark::DoNotOptimize(r);
                                   }
                                   st.SetItemsProcessed(st.iterations());
                                   st.counters["doc_MB"] = static_cast<double>(small->size()) / 1e6;
                                 });

    for (const auto& [label, doc] : docs) {
      // Signed once here; each verification must find it valid.
      auto signed_doc = std::make_shared<const Bytes>(
          must(pdf::sign_pades(*doc, pki->identity(), pades_options(nullptr))).pdf);
      const auto check = pdf::verify(*signed_doc, pki->trust());
      if (!check.valid) {
        std::fprintf(stderr, "bench setup: signed PDF not valid:\n%s",
                     pdf::verify_report_text(check).c_str());
        std::exit(1);
      }
      benchmark::RegisterBenchmark(
          ("pdf_verify/" + alg + "/" + label).c_str(), [pki, signed_doc](benchmark::State& st) {
            const auto trust = pki->trust();
            for (auto _ : st) {
              auto r = pdf::verify(*signed_doc, trust);
              if (!r.valid) st.SkipWithError("not valid");
              benchmark::DoNotOptimize(r);
            }
            st.SetItemsProcessed(st.iterations());
            st.SetBytesProcessed(st.iterations() * static_cast<std::int64_t>(signed_doc->size()));
            st.counters["doc_MB"] = static_cast<double>(signed_doc->size()) / 1e6;
          });
    }
  }
}

// The console output; remembers the CPU time per iteration (the median when repeated) and
// adds overhead_us to the PDF signing benchmarks.
class PdfReporter : public benchmark::ConsoleReporter {
 public:
  PdfReporter() : ConsoleReporter(::isatty(STDOUT_FILENO) == 1 ? OO_ColorTabular : OO_Tabular) {}
  void ReportRuns(const std::vector<Run>& runs) override {
    std::vector<Run> out = runs;
    for (Run& run : out) {
      if (run.error_occurred) continue;
      const std::string name = run.run_name.str();
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Iteration || median) {
        if (median || !medians_.contains(name))
          cpu_per_op()[name] =
              run.GetAdjustedCPUTime() / benchmark::GetTimeUnitMultiplier(run.time_unit);
        if (median) medians_[name] = true;
      }
      if (name.starts_with("pdf_sign") && (run.run_type == Run::RT_Iteration || median)) {
        const auto slash = name.find('/');
        const auto alg = name.substr(slash + 1, name.find('/', slash + 1) - slash - 1);
        const auto raw = cpu_per_op().find("raw_sign/" + alg);
        if (raw != cpu_per_op().end()) {
          run.counters["overhead_us"] =
              benchmark::Counter((cpu_per_op()[name] - raw->second) * 1e6);
        }
      }
    }
    ConsoleReporter::ReportRuns(out);
  }

 private:
  std::map<std::string, bool> medians_;
};

void print_summary() {
  const auto& c = cpu_per_op();
  auto rate = [&](const std::string& n) -> double {
    const auto it = c.find(n);
    return it == c.end() || it->second <= 0 ? 0 : 1 / it->second;
  };
  auto us = [&](const std::string& n) -> double {
    const auto it = c.find(n);
    return it == c.end() ? 0 : it->second * 1e6;
  };
  std::printf("\nPDF signatures per second (CPU time, one thread); overhead = PDF - raw, in us\n");
  std::printf("%-8s %9s %9s %9s %9s %9s %9s %9s %9s %9s\n", "alg", "raw/s", "1p/s", "1p ovh",
              "100p/s", "100p ovh", "vis/s", "vis ovh", "ver1p/s", "ver100p/s");
  for (const Alg& a : kAlgs) {
    const std::string n = a.name;
    const double raw = us("raw_sign/" + n);
    std::printf("%-8s %9.0f %9.0f %9.0f %9.1f %9.0f %9.0f %9.0f %9.0f %9.1f\n", a.name,
                rate("raw_sign/" + n), rate("pdf_sign/" + n + "/1p"),
                us("pdf_sign/" + n + "/1p") - raw, rate("pdf_sign/" + n + "/100p"),
                us("pdf_sign/" + n + "/100p") - raw, rate("pdf_sign_visible/" + n + "/1p"),
                us("pdf_sign_visible/" + n + "/1p") - raw, rate("pdf_verify/" + n + "/1p"),
                rate("pdf_verify/" + n + "/100p"));
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  PdfReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  print_summary();
  benchmark::Shutdown();
  return 0;
}
