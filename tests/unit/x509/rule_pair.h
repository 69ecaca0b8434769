// The valid/violating pairs of the rule inventory (src/x509/rules.h, docs/rules.md): a clean
// root -> issuing CA -> leaf chain made by hpki's own builder (tests/support/test_ca.h), for
// ECDSA P-256, RSA and SM2 (standard ID), and the same chain with one certificate changed and
// re-signed by its issuer's key (tests/unit/x509/tbs_edit.h). A pair test is named
// `TEST(Rule, <rule id>)`; RuleInventory.EnforcedRulesHaveTests requires one for every rule the
// parser, the validator, CRL processing or the OCSP check enforces.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string_view>

#include "core/encoding.h"
#include "der/oids.h"
#include "der/writer.h"
#include "tests/support/test_ca.h"
#include "tests/unit/x509/tbs_edit.h"
#include "x509/path.h"
#include "x509/rules.h"

namespace hpki::x509::rulepair {

using edit::Tbs;

enum class Family { kEcdsa, kRsa, kSm2 };
inline constexpr Family kAllFamilies[] = {Family::kEcdsa, Family::kRsa, Family::kSm2};
// Web PKI rules forbid SM2 (BR 6.1.5): their pairs run for ECDSA and RSA.
inline constexpr Family kWebFamilies[] = {Family::kEcdsa, Family::kRsa};

inline crypto::KeySpec spec_of(Family f) {
  switch (f) {
    case Family::kRsa:
      return crypto::KeySpec{crypto::KeyType::kRsa, 2048};
    case Family::kSm2:
      return crypto::KeySpec{crypto::KeyType::kSm2, 0};
    case Family::kEcdsa:
      break;
  }
  return crypto::KeySpec{crypto::KeyType::kEcP256, 0};
}

inline const char* name_of(Family f) {
  return f == Family::kRsa ? "RSA" : f == Family::kSm2 ? "SM2" : "ECDSA";
}

// The clean chain of a family (made once): root, issuing CA, and an "ssl-server" leaf for
// www.example.com (SAN dNSName, serverAuth).
struct World {
  testca::Ca root, ica;
  testca::Issued leaf;
};

inline const World& world(Family f) {
  static std::map<Family, std::unique_ptr<World>> worlds;
  auto& w = worlds[f];
  if (!w) {
    auto root = testca::make_ca(spec_of(f), "root-" + std::string(name_of(f)), nullptr);
    auto ica = testca::make_ca(spec_of(f), "ica-" + std::string(name_of(f)), &root);
    x509::SubjectData s = testca::subject("www.example.com");
    s.dns_names = {"www.example.com"};
    auto leaf = testca::issue(ica, spec_of(f), {.profile = "ssl-server", .subject = s});
    w.reset(new World{std::move(root), std::move(ica), std::move(leaf)});
  }
  return *w;
}

using Edit = std::function<void(Tbs&)>;
struct Edits {
  Edit root = {};
  Edit ica = {};
  Edit leaf = {};
};

struct Chain {
  CertificatePtr root, ica, leaf;
};

// The chain of `f` with the edits applied; each edited certificate is re-signed by its issuer's
// key (the root by its own).
inline Chain chain(Family f, const Edits& e = {}) {
  const World& w = world(f);
  auto redo = [](const CertificatePtr& c, const Edit& ed, const crypto::Signer& by) {
    if (!ed) return c;
    Tbs t = Tbs::from(*c);
    ed(t);
    return edit::sign_tbs(t, by);
  };
  return Chain{redo(w.root.cert, e.root, *w.root.signer), redo(w.ica.cert, e.ica, *w.root.signer),
               redo(w.leaf.cert, e.leaf, *w.ica.signer)};
}

inline PathOptions options(Rules r = Rules::kRfc5280) {
  PathOptions o;
  o.at = testca::now();
  o.rules = r;
  return o;
}

inline PathReport validate(const Chain& c, const PathOptions& o) {
  return validate_path(c.leaf, {c.ica}, {c.root}, o);
}

// The valid chain validates; the violating one does not, and the report names `rule`.
inline void expect_pair(std::string_view rule, const Chain& valid, const Chain& violating,
                        const PathOptions& o) {
  ASSERT_NE(find_rule(rule), nullptr) << rule << " is not in the rule inventory";
  ASSERT_TRUE(valid.leaf && violating.leaf && valid.ica && violating.ica);
  const PathReport good = validate(valid, o);
  EXPECT_TRUE(good.valid) << rule << " valid case: " << good.status << " [" << good.rule << "] "
                          << good.detail;
  const PathReport bad = validate(violating, o);
  EXPECT_FALSE(bad.valid) << rule << " violating case validated";
  EXPECT_EQ(bad.rule, rule) << "status " << bad.status << ": " << bad.detail;
}

// The common case: the clean chain is the valid case, the edits make the violating one.
inline void expect_violation(std::string_view rule, Family f, const Edits& violating,
                             const PathOptions& o = options()) {
  SCOPED_TRACE(name_of(f));
  expect_pair(rule, chain(f), chain(f, violating), o);
}

// A SubjectPublicKeyInfo hpki cannot use: the P-192 generator point (secp192r1, uncompressed).
inline Bytes p192_spki() {
  der::Writer w;
  (void)w.add_sequence([](der::Writer& s) -> Result<void> {
    HPKI_TRY(s.add_sequence([](der::Writer& a) -> Result<void> {
      a.add_oid(der::oids::kEcPublicKey);
      a.add_oid(der::Oid::from_string("1.2.840.10045.3.1.1").value());
      return {};
    }));
    Bytes point = hex_decode(
                      "04188da80eb03090f67cbf20eb43a18800f4ff0afd82ff101207192b95ffc8da78631011ed"
                      "6b24cdd573f977a11e794811")
                      .value();
    return s.add_bit_string(point);
  });
  return w.take();
}

}  // namespace hpki::x509::rulepair
