// The validation report of an evidence package (issue 21; docs/evidence.md "Validation report"):
// what `hpki evidence verify` found, as data. It renders as JSON (the schema in docs/evidence.md,
// report_json()) and as a PDF for people (report_pdf.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hpki::evidence {

// The verdict: exit code 0, 1 or 2 of `hpki evidence verify`.
enum class Verdict { kValid, kInvalid, kIndeterminate };
[[nodiscard]] std::string_view verdict_name(Verdict v);  // "valid", "invalid", "indeterminate"

// One checked element of the package: a member, the signature, a certificate path, a
// revocation answer, a timestamp, an audit entry, the checkpoint, the package timestamp ...
struct ElementResult {
  std::string element;  // e.g. "signature", "member:certs/signer.cer", "audit:1234"
  Verdict status = Verdict::kIndeterminate;
  std::string reason;  // a stable id ("evidence.member_hash_mismatch", "x509.path.expired" ...)
  std::string detail;  // for people (English)
};

struct Report {
  Verdict verdict = Verdict::kIndeterminate;
  // The ids of every element that is not valid, in package order (empty when valid).
  std::vector<std::string> reasons;

  std::string package_id;   // the manifest's id (UUID-like hex)
  std::string created_at;   // RFC 3339 UTC, when hpki exported the package
  std::string verified_at;  // RFC 3339 UTC, when this report was made

  struct Document {
    std::string name;         // file name as given at export ("" when unknown)
    std::string sha256, sm3;  // lower-case hex of the signed data (or of the PDF as signed)
    std::int64_t size = -1;   // bytes; -1 when only the hash was exported
    bool included = false;    // whether the data itself is in the package
  } document;

  struct Signer {
    std::string name;          // the subject's commonName (e.g. a Chinese personal name)
    std::string organization;  // subject O
    std::string serial;        // certificate serial, lower-case hex
    std::string issuer;        // issuer DN (RFC 4514 string)
    std::string certificate_sha256;
    std::string algorithm;  // e.g. "sm2-sm3", "rsa-pkcs1-sha256", "ecdsa-p256-sha256"
  } signer;

  struct Time {
    std::string time;       // RFC 3339 UTC, "" when unknown
    std::string source;     // "timestamp", "signing_time", "audit", "unknown"
    std::string authority;  // the TSA's subject when source is "timestamp"
  } signing_time;

  // The package timestamp (and its renewals, oldest first): when, by which TSA.
  struct PackageTimestamp {
    std::string time;
    std::string authority;
    std::string hash;  // "sha256" or "sm3"
    Verdict status = Verdict::kIndeterminate;
    std::string tsa_valid_until;  // RFC 3339: the TSA certificate's notAfter (renewal planning)
  };
  std::vector<PackageTimestamp> package_timestamps;

  std::vector<ElementResult> elements;

  // How to re-check the RSA/ECDSA parts independently with the `openssl` CLI (run in the folder
  // the package was extracted to); empty for SM2-only packages (OpenSSL 3.0's CLI cannot set
  // the SM2 ID for every step; docs/evidence.md says what to use instead).
  std::vector<std::string> openssl_commands;
};

}  // namespace hpki::evidence
