// Peak memory of PDF signing and verification against the document's size (issue 20): does
// hashing stream, or does memory grow with copies of the document?
//   usage: bench_pdf_memory [MB ...]   (default: 5 50; each a 100-page PDF of about that size)
// For each document and operation a child process is forked (the document already in memory).
// It runs the operation once (fork does not copy the page tables of file mappings, so the code
// of qpdf, OpenSSL and hpki would otherwise be faulted in and counted), returns free heap to the
// system (malloc_trim), resets its peak RSS (/proc/self/clear_refs "5", Linux >= 4.0), runs the
// operation again and reads VmHWM: extra = VmHWM - VmRSS before, the memory the operation
// needed on top of the document, including its result (a signed PDF is a new buffer of the
// input's size plus the update). P-256 (the hash and key do not change the memory; the
// operations are those of bench_pdf).
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "bench_util.h"
#include "pdf_fixture.h"

namespace {

using namespace hpki;
using namespace hpki::bench::pdfbench;
using hpki::bench::must;

// A "VmXXX:   1234 kB" line of /proc/self/status in bytes, -1 when absent.
long long status_bytes(const std::string& key) {
  std::ifstream f("/proc/self/status");
  for (std::string line; std::getline(f, line);) {
    if (line.starts_with(key + ":")) return std::atoll(line.c_str() + key.size() + 1) * 1024;
  }
  return -1;
}

// Runs `op` in a child; returns the child's extra peak RSS in bytes, -1 on failure.
long long measure(const std::function<std::size_t()>& op, std::size_t& result_size) {
  int fds[2];
  if (::pipe(fds) != 0) return -1;
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::close(fds[0]);
    // fork() does not copy the page tables of file mappings: the code of qpdf, OpenSSL and hpki
    // would be faulted in (and counted) during the measurement. One run first maps them in.
    op();
    ::malloc_trim(0);
    {
      std::ofstream clear("/proc/self/clear_refs");
      clear << "5";
    }
    long long v[3] = {status_bytes("VmRSS"), 0, 0};
    const long long hwm0 = status_bytes("VmHWM");
    if (hwm0 > v[0] + (1 << 20)) v[0] = -1;  // the reset did not work: no measurement
    v[2] = static_cast<long long>(op());
    v[1] = status_bytes("VmHWM");
    if (::write(fds[1], v, sizeof v) != static_cast<ssize_t>(sizeof v)) ::_exit(1);
    ::_exit(0);
  }
  ::close(fds[1]);
  long long v[3] = {-1, -1, 0};
  const ssize_t n = ::read(fds[0], v, sizeof v);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (n != static_cast<ssize_t>(sizeof v) || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      v[0] < 0) {
    return -1;
  }
  result_size = static_cast<std::size_t>(v[2]);
  return v[1] - v[0];
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<double> sizes_mb;
  for (int i = 1; i < argc; ++i) sizes_mb.push_back(std::atof(argv[i]));
  if (sizes_mb.empty()) sizes_mb = {5, 50};

  auto pki = make_pki({crypto::KeyType::kEcP256, 0}, "p256");
  const auto id = pki->identity();
  const auto trust = pki->trust();
  const Bytes png = seal_png(200);
  {
    // Warm-up: OpenSSL fetches, qpdf and libpng initialisation happen outside the measurement.
    const Bytes one = make_pdf(1, 50'000);
    const Bytes s = must(pdf::sign_pades(one, id, pades_options(&png))).pdf;
    if (!pdf::verify(s, trust).valid) {
      std::fprintf(stderr, "bench_pdf_memory: warm-up signature not valid\n");
      return 1;
    }
  }

  std::printf("%-16s %12s %14s %14s %10s %18s\n", "operation", "input MB", "extra peak MB",
              "result MB", "extra/in", "(extra-result)/in");
  for (double mb : sizes_mb) {
    const auto image = static_cast<std::size_t>(mb * 1e6 / 100);
    const Bytes doc = make_pdf(100, image);
    const Bytes signed_doc = must(pdf::sign_pades(doc, id, pades_options(nullptr))).pdf;
    struct Op {
      const char* name;
      const Bytes* input;
      std::function<std::size_t()> run;
    };
    const std::vector<Op> ops = {
        {"sign_pades", &doc,
         [&] { return must(pdf::sign_pades(doc, id, pades_options(nullptr))).pdf.size(); }},
        {"sign_visible", &doc,
         [&] { return must(pdf::sign_pades(doc, id, pades_options(&png))).pdf.size(); }},
        {"verify", &signed_doc,
         [&]() -> std::size_t {
           const auto r = pdf::verify(signed_doc, trust);
           if (!r.valid) std::_Exit(2);
           return 0;
         }},
    };
    for (const Op& op : ops) {
      std::size_t result = 0;
      const long long extra = measure(op.run, result);
      if (extra < 0) {
        std::fprintf(stderr, "bench_pdf_memory: %s: no measurement (clear_refs not allowed?)\n",
                     op.name);
        return 1;
      }
      const double in = static_cast<double>(op.input->size());
      std::printf("%-16s %12.2f %14.2f %14.2f %10.2f %18.2f\n", op.name, in / 1e6,
                  static_cast<double>(extra) / 1e6, static_cast<double>(result) / 1e6,
                  static_cast<double>(extra) / in,
                  (static_cast<double>(extra) - static_cast<double>(result)) / in);
    }
  }
  return 0;
}
