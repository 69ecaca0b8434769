// The test-CA builder: certificate hierarchies made in memory with hpki's own x509 builder
// (root -> issuing CA -> leaves, delegated OCSP responders, a certificate of any profile of
// profiles/), for the tests of x509/, sign/ and the revocation sources. No store, no CA home:
// a CA home on a database (what `hpki ca init` makes) is tests/support/ca_fixture.h.
// Subjects are of the demo organization 示例医院 and name whatever the test needs
// (kAnyNameForTests, tests/support/test_names.h). Needs HPKI_SOURCE_DIR (set for every test by
// hpki_add_test) and hpki_x509.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/pem.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "tests/support/test_names.h"
#include "x509/builder.h"
#include "x509/certificate.h"
#include "x509/profile.h"

namespace hpki::testca {

// The repository's profiles (profiles/*.toml), loaded once.
inline const std::map<std::string, x509::Profile>& profiles() {
  static const auto p =
      x509::load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles").value();
  return p;
}

// The system time, whole seconds (certificates carry no fractions).
inline TimePoint now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

// A CA: its key, a signer with that key (SM2 with the default ID 1234567812345678), its
// certificate and what its children need to name it.
struct Ca {
  crypto::PrivateKey key;
  std::unique_ptr<crypto::Signer> signer;
  x509::CertificatePtr cert;
  x509::IssuerInfo info;
};

// A key with its signer and its certificate.
struct Issued {
  crypto::PrivateKey key;
  std::unique_ptr<crypto::Signer> signer;
  x509::CertificatePtr cert;
};

inline x509::SubjectData subject(std::string cn) {
  x509::SubjectData s;
  s.province = "上海";
  s.organization = "示例医院";
  s.common_name = std::move(cn);
  return s;
}

// A root CA ("root-ca" profile, self-signed) when `parent` is null, else an issuing CA
// ("issuing-ca") under `parent`; valid from an hour ago. `id` names it (in its CN and its
// IssuerInfo).
inline Ca make_ca(crypto::KeySpec spec, const std::string& id, const Ca* parent) {
  Ca ca{crypto::PrivateKey::generate(spec).value(), nullptr, nullptr, {}};
  ca.signer = ca.key.signer().value();
  crypto::SystemRandom rnd;
  x509::IssueParams p;
  p.permitted_names = &x509::kAnyNameForTests;
  p.profile = &profiles().at(parent ? "issuing-ca" : "root-ca");
  p.subject = subject((parent ? "hpki Issuing CA " : "hpki Root CA ") + id);
  p.subject_spki = ca.key.public_key_der();
  p.serial = x509::generate_serial(rnd).value();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = parent ? &parent->info : nullptr;
  auto issued =
      x509::issue_certificate(p, x509::BuildSettings{}, parent ? *parent->signer : *ca.signer,
                              parent ? parent->cert.get() : nullptr);
  EXPECT_TRUE(issued) << issued.error().to_string();
  ca.cert = x509::Certificate::parse(issued->der).value();
  ca.info = x509::IssuerInfo{ca.cert->subject(),
                             x509::key_identifier(ca.key.public_key_der()).value(), id};
  return ca;
}

// What issue() makes; the defaults are a "device" certificate valid from an hour ago.
struct IssueOptions {
  std::string profile = "device";
  x509::SubjectData subject;
  std::optional<TimePoint> not_before{};            // default: now() - 1 h
  std::optional<int> validity_days{};               // default: the profile's
  std::string_view sm2_id = crypto::kSm2DefaultId;  // the ID of the returned signer
};

// A new key of `spec` and its certificate of o.profile issued by `ca`.
inline Issued issue(const Ca& ca, crypto::KeySpec spec, IssueOptions o) {
  Issued out{crypto::PrivateKey::generate(spec).value(), nullptr, nullptr};
  out.signer = out.key.signer(std::nullopt, o.sm2_id).value();
  crypto::SystemRandom rnd;
  x509::IssueParams p;
  p.permitted_names = &x509::kAnyNameForTests;
  p.profile = &profiles().at(o.profile);
  p.subject = std::move(o.subject);
  p.subject_spki = out.key.public_key_der();
  p.serial = x509::generate_serial(rnd).value();
  p.not_before = o.not_before.value_or(now() - std::chrono::hours(1));
  p.validity_days = o.validity_days;
  p.issuer = &ca.info;
  auto issued = x509::issue_certificate(p, x509::BuildSettings{}, *ca.signer, ca.cert.get());
  EXPECT_TRUE(issued) << issued.error().to_string();
  out.cert = x509::Certificate::parse(issued->der).value();
  return out;
}

// A delegated OCSP responder certificate issued by `ca` (profile "ocsp-responder": EKU
// OCSPSigning; id-pkix-ocsp-nocheck unless `nocheck` is false; `profile` overrides).
inline Ca make_ocsp_responder(const Ca& ca, crypto::KeySpec spec, bool nocheck = true,
                              const char* profile = "ocsp-responder") {
  Ca r{crypto::PrivateKey::generate(spec).value(), nullptr, nullptr, {}};
  r.signer = r.key.signer().value();
  crypto::SystemRandom rnd;
  x509::Profile prof = profiles().at(profile);
  prof.ocsp_nocheck = nocheck && prof.ocsp_nocheck;
  x509::IssueParams p;
  p.permitted_names = &x509::kAnyNameForTests;
  p.profile = &prof;
  p.subject = subject("OCSP Responder");
  if (std::string_view(profile) == "device") p.subject.dns_names = {"ocsp.example.cn"};
  p.subject_spki = r.key.public_key_der();
  p.serial = x509::generate_serial(rnd).value();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = &ca.info;
  auto issued = x509::issue_certificate(p, x509::BuildSettings{}, *ca.signer, ca.cert.get());
  EXPECT_TRUE(issued) << issued.error().to_string();
  r.cert = x509::Certificate::parse(issued->der).value();
  return r;
}

// A "device" end-entity certificate (dNSName SAN, cRLDistributionPoints) issued by `ca`.
inline x509::CertificatePtr issue_leaf(const Ca& ca, crypto::KeySpec spec, const std::string& dns) {
  x509::SubjectData s = subject(dns);
  s.dns_names = {dns};
  return issue(ca, spec, {.profile = "device", .subject = std::move(s)}).cert;
}

inline std::string pem(const x509::Certificate& c) { return pem_encode("CERTIFICATE", c.der()); }

}  // namespace hpki::testca
