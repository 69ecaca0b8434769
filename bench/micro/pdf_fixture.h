// Inputs of the PDF benchmarks (bench/micro/pdf_bench.cpp, pdf_memory.cpp), all made in
// process: PDF documents of any number of pages, a PNG seal, and per algorithm a hierarchy
// root -> issuing CA -> signer ("org-sign" profile) with the signer's identity for
// pdf::sign_pades and the trust settings for pdf::verify. Needs HPKI_SOURCE_DIR (profiles/).
#pragma once

#include <png.h>

#include <fmt/format.h>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "core/bytes.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "pdf/pades.h"
#include "pdf/verify.h"
#include "sign/sign_service.h"
#include "x509/builder.h"
#include "x509/certificate.h"
#include "x509/profile.h"

namespace hpki::bench::pdfbench {

inline TimePoint now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// A PDF 1.7 with a classic xref table and `pages` A4 pages. Each page has a content stream
// with a few lines of text (Helvetica) and draws an unfiltered DeviceRGB image XObject of
// `image_bytes` random bytes (width 256), so the file is about pages * image_bytes bytes and
// does not compress: the size of a scanned record.
inline Bytes make_pdf(int pages, std::size_t image_bytes) {
  const std::size_t width = 256;
  const std::size_t height = std::max<std::size_t>(1, image_bytes / (width * 3));
  std::mt19937_64 rng(0x5eed + static_cast<std::uint64_t>(pages));
  std::string out = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n";
  // Objects: 1 catalog, 2 page tree, 3 font, then per page i (0-based) 4+3i page,
  // 5+3i content, 6+3i image.
  const int count = 4 + 3 * pages;
  std::vector<std::size_t> off(static_cast<std::size_t>(count), 0);
  auto begin = [&](int n) {
    off[static_cast<std::size_t>(n)] = out.size();
    out += fmt::format("{} 0 obj\n", n);
  };
  begin(1);
  out += "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
  begin(2);
  out += "<< /Type /Pages /Kids [";
  for (int i = 0; i < pages; ++i) out += fmt::format(" {} 0 R", 4 + 3 * i);
  out += fmt::format(" ] /Count {} >>\nendobj\n", pages);
  begin(3);
  out +=
      "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\n"
      "endobj\n";
  std::string pixels(width * height * 3, '\0');
  for (int i = 0; i < pages; ++i) {
    const int page = 4 + 3 * i;
    begin(page);
    out += fmt::format(
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R "
        ">> /XObject << /Im1 {} 0 R >> >> /Contents {} 0 R >>\nendobj\n",
        page + 2, page + 1);
    std::string c = fmt::format(
        "BT /F1 18 Tf 72 780 Td (Medical record 2026-000123, page {} of {}) Tj ET\n", i + 1, pages);
    for (int l = 0; l < 20; ++l) {
      c += fmt::format(
          "BT /F1 11 Tf 72 {} Td (Line {}: observation, dosage, signature of the "
          "attending physician.) Tj ET\n",
          740 - 14 * l, l + 1);
    }
    c += "q 451 0 0 300 72 100 cm /Im1 Do Q\n";
    begin(page + 1);
    out += fmt::format("<< /Length {} >>\nstream\n{}\nendstream\nendobj\n", c.size() + 1, c);
    for (std::size_t k = 0; k < pixels.size(); k += 8) {
      std::uint64_t r = rng();
      std::memcpy(pixels.data() + k, &r, std::min<std::size_t>(8, pixels.size() - k));
    }
    begin(page + 2);
    out += fmt::format(
        "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceRGB "
        "/BitsPerComponent 8 /Length {} >>\nstream\n",
        width, height, pixels.size());
    out += pixels;
    out += "\nendstream\nendobj\n";
  }
  const std::size_t xref = out.size();
  out += fmt::format("xref\n0 {}\n0000000000 65535 f\r\n", count);
  for (int n = 1; n < count; ++n) {
    out += fmt::format("{:010} 00000 n\r\n", off[static_cast<std::size_t>(n)]);
  }
  out += fmt::format(
      "trailer\n<< /Size {} /Root 1 0 R /ID [<00112233445566778899AABBCCDDEEFF> "
      "<00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n{}\n%%EOF\n",
      count, xref);
  return Bytes(out.begin(), out.end());
}

// A size x size RGBA PNG: a red ring and a dot in its centre on a transparent background, the
// shape of a hospital's seal.
inline Bytes seal_png(std::uint32_t size) {
  Bytes rgba(std::size_t{size} * size * 4, 0);
  for (std::uint32_t y = 0; y < size; ++y) {
    for (std::uint32_t x = 0; x < size; ++x) {
      const double dx = (x + 0.5) / size - 0.5, dy = (y + 0.5) / size - 0.5;
      const double r2 = dx * dx + dy * dy;
      if ((r2 <= 0.25 && r2 >= 0.18) || r2 <= 0.01) {
        std::uint8_t* p = &rgba[(std::size_t{y} * size + x) * 4];
        p[0] = 0xD0;
        p[1] = 0x10;
        p[2] = 0x10;
        p[3] = 0xFF;
      }
    }
  }
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = size;
  img.height = size;
  img.format = PNG_FORMAT_RGBA;
  png_alloc_size_t n = 0;
  if (!png_image_write_to_memory(&img, nullptr, &n, 0, rgba.data(), 0, nullptr)) {
    std::fprintf(stderr, "bench setup: libpng: %s\n", img.message);
    std::exit(1);
  }
  Bytes out(n);
  if (!png_image_write_to_memory(&img, out.data(), &n, 0, rgba.data(), 0, nullptr)) {
    std::fprintf(stderr, "bench setup: libpng: %s\n", img.message);
    std::exit(1);
  }
  out.resize(n);
  return out;
}

inline const std::map<std::string, x509::Profile>& profiles() {
  static const auto p =
      must(x509::load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles"));
  return p;
}

struct Ca {
  std::shared_ptr<crypto::PrivateKey> key;
  std::shared_ptr<crypto::Signer> signer;
  x509::CertificatePtr cert;
  x509::IssuerInfo info;
};

inline x509::SubjectData subject(const std::string& cn) {
  x509::SubjectData s;
  s.country = "CN";
  s.organization = "Bench Hospital";
  s.common_name = cn;
  return s;
}

// `profile` for `key` under `parent` (self-signed by `self` without one).
inline x509::CertificatePtr issue(const std::string& profile, const std::string& cn,
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

inline Ca make_ca(crypto::KeySpec spec, const std::string& cn, const Ca* parent) {
  Ca ca;
  ca.key = std::make_shared<crypto::PrivateKey>(must(crypto::PrivateKey::generate(spec)));
  ca.signer = must(ca.key->signer());
  ca.cert = issue(parent ? "issuing-ca" : "root-ca", cn, *ca.key, parent, *ca.signer);
  ca.info = x509::IssuerInfo{ca.cert->subject(),
                             must(x509::key_identifier(ca.key->public_key_der())), cn};
  return ca;
}

// A signer with its chain: what sign_pades needs and what verify trusts. SM2 signers use the
// ID 1234567812345678 (PrivateKey::signer's default, GM/T 0009).
struct Pki {
  Ca root, issuing;
  std::shared_ptr<crypto::PrivateKey> key;
  std::shared_ptr<crypto::Signer> signer;
  x509::CertificatePtr cert;

  [[nodiscard]] sign::SigningIdentity identity() const {
    return {signer.get(), cert, {issuing.cert}};
  }
  [[nodiscard]] sign::TrustSettings trust() const {
    sign::TrustSettings t;
    t.anchors = {root.cert};
    t.now = now();
    return t;
  }
};

inline std::shared_ptr<const Pki> make_pki(crypto::KeySpec spec, const std::string& alg) {
  auto p = std::make_shared<Pki>();
  p->root = make_ca(spec, "Bench Root " + alg, nullptr);
  p->issuing = make_ca(spec, "Bench Issuing " + alg, &p->root);
  p->key = std::make_shared<crypto::PrivateKey>(must(crypto::PrivateKey::generate(spec)));
  p->signer = must(p->key->signer(std::nullopt, crypto::kSm2DefaultId));
  p->cert = issue("org-sign", "Bench PDF signer " + alg, *p->key, &p->issuing, *p->signer);
  return p;
}

// PAdES B-B options: invisible, or visible on page 1 with the seal and two lines of text.
inline pdf::PadesOptions pades_options(const Bytes* png) {
  pdf::PadesOptions o;
  o.level = pdf::Level::kBB;
  o.field.signing_time = now();
  o.field.reason = "Medical record approved";
  o.field.location = "Bench Hospital";
  if (png != nullptr) {
    o.field.appearance.page = 1;
    o.field.appearance.rect = pdf::Rect{400, 60, 150, 75};
    o.field.appearance.png = *png;
    o.field.appearance.text_lines = {"张医生 Dr. Zhang", "2026-12-08"};
  }
  return o;
}

}  // namespace hpki::bench::pdfbench
