#include "x509/bundle.h"

#include <string>

#include "core/pem.h"
#include "der/reader.h"

namespace hpki::x509 {
namespace {

// The DER structures of `data`, each a complete TLV (X.690 8.1), in order.
Result<std::vector<BytesView>> split_der(BytesView data) {
  std::vector<BytesView> out;
  der::Reader r(data);
  while (!r.at_end()) {
    if (out.size() >= kMaxBundleItems)
      return fail(ErrorCode::kTooLarge, "more than " + std::to_string(kMaxBundleItems) + " items");
    auto el = HPKI_TRY(r.read_tlv());
    out.push_back(el.encoded);
  }
  return out;
}

// Strict (`lenient` false): the first refused item fails the whole input. Lenient: refused items
// are listed and skipped.
template <typename T, typename Parse>
Result<BundleContents<T>> read_bundle(BytesView data, std::string_view label,
                                      std::string_view alt_label, bool lenient, Parse parse) {
  if (data.size() > kMaxBundleSize)
    return fail(ErrorCode::kTooLarge, std::to_string(data.size()) + " bytes exceeds the limit of " +
                                          std::to_string(kMaxBundleSize));
  BundleContents<T> contents;
  std::vector<T>& out = contents.items;
  auto add = [&](BytesView der, std::size_t index) -> Result<void> {
    auto item = parse(der);
    if (!item && lenient) {
      contents.refused.push_back("item " + std::to_string(index + 1) + ": " +
                                 item.error().to_string());
      return {};
    }
    if (!item) return fail(item.error().with_context("item " + std::to_string(index + 1)));
    out.push_back(std::move(*item));
    return {};
  };
  if (looks_like_pem(data)) {
    auto blocks = HPKI_TRY(pem_decode_all(as_string(data)));
    std::size_t index = 0;
    for (const auto& b : blocks) {
      if (b.label != label && b.label != alt_label) continue;
      if (out.size() + contents.refused.size() >= kMaxBundleItems)
        return fail(ErrorCode::kTooLarge,
                    "more than " + std::to_string(kMaxBundleItems) + " items");
      HPKI_TRY(add(b.data, index++));
    }
  } else {
    auto items = HPKI_TRY(split_der(data));
    for (std::size_t i = 0; i < items.size(); ++i) HPKI_TRY(add(items[i], i));
  }
  if (out.empty() && contents.refused.empty())
    return fail(ErrorCode::kUnexpectedType, "no " + std::string(label) + " found");
  return contents;
}

template <typename T, typename Parse>
Result<std::vector<T>> parse_bundle(BytesView data, std::string_view label,
                                    std::string_view alt_label, Parse parse) {
  auto contents = HPKI_TRY(read_bundle<T>(data, label, alt_label, false, parse));
  return std::move(contents.items);
}

}  // namespace

Result<std::vector<CertificatePtr>> parse_certificate_bundle(BytesView data) {
  return parse_bundle<CertificatePtr>(data, "CERTIFICATE", "TRUSTED CERTIFICATE",
                                      [](BytesView der) { return Certificate::parse(der); });
}

Result<BundleContents<CertificatePtr>> read_certificate_bundle(BytesView data) {
  return read_bundle<CertificatePtr>(data, "CERTIFICATE", "TRUSTED CERTIFICATE", true,
                                     [](BytesView der) { return Certificate::parse(der); });
}

Result<BundleContents<CrlPtr>> read_crl_bundle(BytesView data) {
  return read_bundle<CrlPtr>(data, "X509 CRL", "X509 CRL", true,
                             [](BytesView der) { return Crl::parse(der); });
}

Result<std::vector<CrlPtr>> parse_crl_bundle(BytesView data) {
  return parse_bundle<CrlPtr>(data, "X509 CRL", "X509 CRL",
                              [](BytesView der) { return Crl::parse(der); });
}

Result<std::vector<BasicOcspResponsePtr>> parse_ocsp_response_bundle(BytesView data) {
  return parse_bundle<BasicOcspResponsePtr>(
      data, "OCSP RESPONSE", "OCSP RESPONSE", [](BytesView der) -> Result<BasicOcspResponsePtr> {
        auto r = HPKI_TRY(parse_ocsp_response(der));
        if (r.status != OcspResponseStatus::kSuccessful || !r.basic)
          return fail(ErrorCode::kUnexpectedType,
                      "OCSPResponse status " + std::string(ocsp_response_status_name(r.status)) +
                          " carries no BasicOCSPResponse");
        return r.basic;
      });
}

}  // namespace hpki::x509
