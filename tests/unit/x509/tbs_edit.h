// A TBSCertificate taken apart, changed and encoded again: how the lint and rule tests make a
// certificate that breaks exactly one rule (tests/unit/x509/lint_test.cpp, rule_*_test.cpp).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <vector>

#include "core/bytes.h"
#include "core/clock.h"
#include "crypto/signer.h"
#include "der/writer.h"
#include "x509/certificate.h"

namespace hpki::x509::edit {

using std::chrono::seconds;

// A TBSCertificate taken apart, to be changed and encoded again.
struct Tbs {
  std::optional<std::int64_t> version = 2;  // encoded value (2 = v3); nullopt = v1 (absent)
  Bytes serial;
  Bytes signature;  // AlgorithmIdentifier DER
  Bytes issuer;     // Name DER
  TimePoint not_before, not_after;
  bool not_before_generalized = false;
  bool not_after_generalized = false;
  Bytes subject;
  Bytes spki;
  bool subject_unique_id = false;
  std::vector<Extension> extensions;

  static Tbs from(const Certificate& c) {
    Tbs t;
    t.serial = c.serial();
    t.signature = c.tbs_signature_algorithm().der;
    t.issuer = c.issuer().der;
    t.not_before = c.validity().not_before;
    t.not_after = c.validity().not_after;
    t.subject = c.subject().der;
    t.spki = c.spki_der();
    t.extensions = c.extensions();
    return t;
  }

  Extension* find(const der::Oid& oid) {
    for (auto& e : extensions)
      if (e.oid == oid) return &e;
    return nullptr;
  }
  Extension& at(const der::Oid& oid) {
    auto* e = find(oid);
    EXPECT_NE(e, nullptr) << oid.to_string();
    return *e;
  }
  void remove(const der::Oid& oid) {
    std::erase_if(extensions, [&](const Extension& e) { return e.oid == oid; });
  }
  void set(const der::Oid& oid, bool critical, Bytes value) {
    remove(oid);
    extensions.push_back(Extension{oid, critical, std::move(value)});
  }

  Bytes encode() const {
    der::Writer w;
    auto r = w.add_sequence([&](der::Writer& t) -> Result<void> {
      if (version) t.add_explicit(0, [&](der::Writer& v) { v.add_integer(*version); });
      HPKI_TRY(t.add_integer_bytes(serial));
      HPKI_TRY(t.add_raw(signature));
      HPKI_TRY(t.add_raw(issuer));
      HPKI_TRY(t.add_sequence([&](der::Writer& v) -> Result<void> {
        auto nb = std::chrono::floor<seconds>(not_before);
        auto na = std::chrono::floor<seconds>(not_after);
        HPKI_TRY(not_before_generalized ? v.add_generalized_time(nb) : v.add_utc_time(nb));
        return not_after_generalized ? v.add_generalized_time(na) : v.add_utc_time(na);
      }));
      HPKI_TRY(t.add_raw(subject));
      HPKI_TRY(t.add_raw(spki));
      // subjectUniqueID [2] IMPLICIT UniqueIdentifier (BIT STRING): no unused bits, one octet.
      if (subject_unique_id) t.add_element(der::Tag::context(2), Bytes{0x00, 0x5a});
      if (!extensions.empty()) {
        t.add_explicit(3, [&](der::Writer& x) {
          x.add_sequence([&](der::Writer& list) {
            for (const auto& e : extensions) {
              list.add_sequence([&](der::Writer& one) {
                one.add_oid(e.oid);
                if (e.critical) one.add_boolean(true);
                one.add_octet_string(e.value);
              });
            }
          });
        });
      }
      return {};
    });
    EXPECT_TRUE(r) << r.error().to_string();
    return w.take();
  }
};

// Signs `t` with `signer` and assembles the certificate; the outer signatureAlgorithm is
// `outer_alg` (DER) when given, else the TBS's own.
inline CertificatePtr sign_tbs(const Tbs& t, const crypto::Signer& signer,
                               std::optional<Bytes> outer_alg = std::nullopt) {
  Bytes tbs = t.encode();
  Bytes sig = signer.sign(tbs).value();
  der::Writer w;
  w.add_sequence([&](der::Writer& c) {
    EXPECT_TRUE(c.add_raw(tbs));
    EXPECT_TRUE(c.add_raw(outer_alg ? *outer_alg : t.signature));
    EXPECT_TRUE(c.add_bit_string(sig));
  });
  auto cert = Certificate::parse(w.bytes());
  EXPECT_TRUE(cert) << cert.error().to_string();
  return cert ? *cert : nullptr;
}

}  // namespace hpki::x509::edit
