// Test CAs built with hpki's own builder (root -> issuing CA -> leaves), shared by the CRL and
// CSR tests. Same construction as chain_test.cpp.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "core/pem.h"
#include "crypto/key.h"
#include "crypto/random.h"
#include "tests/support/test_names.h"
#include "x509/builder.h"
#include "x509/certificate.h"
#include "x509/profile.h"

namespace hpki::x509::testca {

inline const std::map<std::string, Profile>& profiles() {
  static const auto p = load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles").value();
  return p;
}

inline TimePoint now() {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

struct Ca {
  crypto::PrivateKey key;
  std::unique_ptr<crypto::Signer> signer;
  CertificatePtr cert;
  IssuerInfo info;
};

inline SubjectData subject(std::string cn) {
  SubjectData s;
  s.province = "上海";
  s.organization = "示例医院";
  s.common_name = std::move(cn);
  return s;
}

inline Ca make_ca(crypto::KeySpec spec, const std::string& id, const Ca* parent) {
  Ca ca{crypto::PrivateKey::generate(spec).value(), nullptr, nullptr, {}};
  ca.signer = ca.key.signer().value();
  crypto::SystemRandom rnd;
  IssueParams p;
  p.permitted_names = &hpki::x509::kAnyNameForTests;
  p.profile = &profiles().at(parent ? "issuing-ca" : "root-ca");
  p.subject = subject((parent ? "hpki Issuing CA " : "hpki Root CA ") + id);
  p.subject_spki = ca.key.public_key_der();
  p.serial = generate_serial(rnd).value();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = parent ? &parent->info : nullptr;
  auto issued = issue_certificate(p, BuildSettings{}, parent ? *parent->signer : *ca.signer,
                                  parent ? parent->cert.get() : nullptr);
  EXPECT_TRUE(issued) << issued.error().to_string();
  ca.cert = Certificate::parse(issued->der).value();
  ca.info = IssuerInfo{ca.cert->subject(), key_identifier(ca.key.public_key_der()).value(), id};
  return ca;
}

// A delegated OCSP responder certificate issued by `ca` (profile "ocsp-responder": EKU
// OCSPSigning; id-pkix-ocsp-nocheck unless `nocheck` is false; `profile` overrides).
inline Ca make_ocsp_responder(const Ca& ca, crypto::KeySpec spec, bool nocheck = true,
                              const char* profile = "ocsp-responder") {
  Ca r{crypto::PrivateKey::generate(spec).value(), nullptr, nullptr, {}};
  r.signer = r.key.signer().value();
  crypto::SystemRandom rnd;
  Profile prof = profiles().at(profile);
  prof.ocsp_nocheck = nocheck && prof.ocsp_nocheck;
  IssueParams p;
  p.permitted_names = &hpki::x509::kAnyNameForTests;
  p.profile = &prof;
  p.subject = subject("OCSP Responder");
  if (std::string_view(profile) == "device") p.subject.dns_names = {"ocsp.example.cn"};
  p.subject_spki = r.key.public_key_der();
  p.serial = generate_serial(rnd).value();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = &ca.info;
  auto issued = issue_certificate(p, BuildSettings{}, *ca.signer, ca.cert.get());
  EXPECT_TRUE(issued) << issued.error().to_string();
  r.cert = Certificate::parse(issued->der).value();
  return r;
}

// A "device" end-entity certificate (dNSName SAN, cRLDistributionPoints) issued by `ca`.
inline CertificatePtr issue_leaf(const Ca& ca, crypto::KeySpec spec, const std::string& dns) {
  auto key = crypto::PrivateKey::generate(spec).value();
  crypto::SystemRandom rnd;
  IssueParams p;
  p.permitted_names = &hpki::x509::kAnyNameForTests;
  p.profile = &profiles().at("device");
  p.subject = subject(dns);
  p.subject.dns_names = {dns};
  p.subject_spki = key.public_key_der();
  p.serial = generate_serial(rnd).value();
  p.not_before = now() - std::chrono::hours(1);
  p.issuer = &ca.info;
  auto issued = issue_certificate(p, BuildSettings{}, *ca.signer, ca.cert.get());
  EXPECT_TRUE(issued) << issued.error().to_string();
  return Certificate::parse(issued->der).value();
}

inline std::string pem(const Certificate& c) { return pem_encode("CERTIFICATE", c.der()); }

}  // namespace hpki::x509::testca
