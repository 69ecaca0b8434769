#include "x509/profile.h"

#include <gtest/gtest.h>

#include <fstream>

namespace hpki::x509 {
namespace {

const std::filesystem::path kProfiles = std::filesystem::path(HPKI_SOURCE_DIR) / "profiles";

TEST(Profiles, ShippedSetLoadsAndIsComplete) {
  auto all = load_profiles(kProfiles);
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_TRUE(check_standard_set(*all));
  EXPECT_EQ(all->size(), std::size(kStandardProfiles));
  // Every standard profile accepts RSA, P-256 and SM2 (issue 3).
  for (const auto& [name, p] : *all) {
    EXPECT_TRUE(p.allows({crypto::KeyType::kRsa, 2048})) << name;
    EXPECT_TRUE(p.allows({crypto::KeyType::kEcP256, 0})) << name;
    EXPECT_TRUE(p.allows({crypto::KeyType::kSm2, 0})) << name;
  }
}

TEST(Profiles, ShippedSemantics) {
  auto all = load_profiles(kProfiles).value();
  const auto& sign = all.at("staff-sign");
  EXPECT_EQ(sign.key_usage, ku(KeyUsageBit::kDigitalSignature) | ku(KeyUsageBit::kNonRepudiation));
  const auto& enc = all.at("staff-enc");
  EXPECT_EQ(enc.key_usage_for(crypto::KeyType::kRsa),
            ku(KeyUsageBit::kKeyEncipherment) | ku(KeyUsageBit::kDataEncipherment));
  EXPECT_NE(enc.key_usage_for(crypto::KeyType::kSm2) & ku(KeyUsageBit::kKeyAgreement), 0);
  const auto& tsa = all.at("tsa");
  EXPECT_TRUE(tsa.extended_key_usage_critical);
  EXPECT_EQ(tsa.extended_key_usage, std::vector<std::string>{"1.3.6.1.5.5.7.3.8"});
  const auto& ocsp = all.at("ocsp-responder");
  EXPECT_TRUE(ocsp.ocsp_nocheck);
  EXPECT_EQ(all.at("issuing-ca").path_len, 0);
  EXPECT_TRUE(all.at("ssl-server").cabf_server);
  EXPECT_EQ(sign.identifiers.at("id_number").placement, IdentifierPlacement::kGmt0015);
}

constexpr std::string_view kMinimal = R"(
name = "t"
kind = "end-entity"
key_algorithms = ["p256"]
[validity]
default_days = 30
max_days = 60
[key_usage]
usages = ["digitalSignature"]
)";

void expect_invalid(std::string extra, std::string_view needle,
                    std::string base = std::string(kMinimal)) {
  auto p = parse_profile(base + extra, "t.toml");
  ASSERT_FALSE(p) << extra;
  EXPECT_EQ(p.error().code(), ErrorCode::kConfigInvalid) << p.error().to_string();
  EXPECT_NE(p.error().detail().find(needle), std::string::npos) << p.error().to_string();
}

TEST(Profiles, MinimalIsValid) { EXPECT_TRUE(parse_profile(kMinimal, "t.toml")); }

TEST(Profiles, Rejections) {
  expect_invalid("[extended_key_usage]\nusages = [\"timeStamping\"]\n", "RFC 3161 2.3");
  expect_invalid("[extended_key_usage]\nusages = [\"OCSPSigning\"]\n", "RFC 6960");
  expect_invalid("[options]\nocsp_nocheck = true\n", "only belongs");
  expect_invalid("[options]\ncabf_server = true\n", "CA/B Forum");
  expect_invalid("[extended_key_usage]\nusages = [\"flying\"]\n", "unknown extended key usage");
  expect_invalid("[urls]\ncrl = [\"{base}/x.crl\"]\n", "unknown placeholder {base}");
  expect_invalid("[identifiers]\nstaff_no = { placement = \"gmt0015\" }\n",
                 "GM/T 0015 has no extension");
  expect_invalid("[identifiers]\nshoe_size = { placement = \"health\" }\n", "unknown identifier");
  expect_invalid("[subject]\norder = [\"CN\", \"XX\"]\n", "unknown attribute 'XX'");
  expect_invalid("[subject]\norder = [\"CN\"]\nrequired = [\"O\"]\n", "not in subject.order");
  expect_invalid("[basic_constraints]\npath_len = 1\n", "only CA profiles");
  expect_invalid("[sann]\nrequired = true\n", "unknown configuration key");
  expect_invalid("[policies]\noids = [\"1.2.x\"]\n", "not a dotted OID");
  // Key usage rules.
  std::string ee_ca_bits = std::string(kMinimal);
  ee_ca_bits.replace(ee_ca_bits.find("[\"digitalSignature\"]"), 20, "[\"keyCertSign\"]");
  expect_invalid("", "RFC 5280 4.2.1.3", ee_ca_bits);
  std::string mixed = std::string(kMinimal);
  mixed.replace(mixed.find("[\"digitalSignature\"]"), 20,
                "[\"nonRepudiation\", \"keyEncipherment\"]");
  expect_invalid("", "GB/T 25056", mixed);
  std::string ca = std::string(kMinimal);
  ca.replace(ca.find("end-entity"), 10, "issuing-ca");
  expect_invalid("", "needs keyCertSign", ca);
  std::string days = std::string(kMinimal);
  days.replace(days.find("default_days = 30"), 17, "default_days = 90");
  expect_invalid("", "exceeds max_days", days);
}

// Issue 16: who may request a profile. Trust-service profiles (OCSP, TSA, operator, CAs) are
// admin-only whatever the file says; others default to every requesting role.
TEST(Profiles, Requesters) {
  auto all = load_profiles(kProfiles).value();
  for (const char* name :
       {"ocsp-responder", "tsa", "operator", "root-ca", "issuing-ca", "audit-signer"}) {
    EXPECT_TRUE(all.at(name).trust_service()) << name;
    EXPECT_TRUE(all.at(name).allows_requester("admin")) << name;
    EXPECT_FALSE(all.at(name).allows_requester("ra_officer")) << name;
    EXPECT_FALSE(all.at(name).allows_requester("integration")) << name;
  }
  for (const char* name : {"staff-sign", "staff-enc", "org-sign", "org-enc", "device"}) {
    EXPECT_FALSE(all.at(name).trust_service()) << name;
    for (const char* role : {"admin", "ra_officer", "integration"})
      EXPECT_TRUE(all.at(name).allows_requester(role)) << name << " " << role;
    EXPECT_FALSE(all.at(name).allows_requester("auditor")) << name;
    EXPECT_FALSE(all.at(name).allows_requester("")) << name;
  }
  EXPECT_TRUE(all.at("device").organization_names);
  EXPECT_TRUE(all.at("ssl-server").organization_names);
  EXPECT_FALSE(all.at("staff-sign").organization_names);

  auto with = [](std::string line, std::string extra = {}) {
    std::string text(kMinimal);
    text.insert(text.find("[validity]"), line + "\n");
    return text + extra;
  };
  // Defaults: everyone for a subscriber profile, admin for a trust-service one (also when the
  // file predates `requesters`).
  EXPECT_EQ(parse_profile(with(""), "t.toml").value().requesters,
            (std::vector<std::string>{"admin", "ra_officer", "integration"}));
  auto ocsp = parse_profile(
      with("",
           "[extended_key_usage]\nusages = [\"OCSPSigning\"]\n[options]\nocsp_nocheck = true\n"),
      "t.toml");
  ASSERT_TRUE(ocsp) << ocsp.error().to_string();
  EXPECT_EQ(ocsp->requesters, std::vector<std::string>{"admin"});
  EXPECT_EQ(parse_profile(with("requesters = [\"ra_officer\"]"), "t.toml").value().requesters,
            std::vector<std::string>{"ra_officer"});
  // A trust-service profile cannot be opened to other roles.
  expect_invalid("", "only admin may request",
                 with("requesters = [\"admin\", \"integration\"]",
                      "[extended_key_usage]\nusages = [\"OCSPSigning\"]\n[options]\n"
                      "ocsp_nocheck = true\n"));
  expect_invalid("", "only admin may request",
                 with("requesters = [\"ra_officer\"]",
                      "[extended_key_usage]\nusages = [\"timeStamping\"]\ncritical = true\n"));
  std::string op = with("requesters = [\"integration\"]");
  op.replace(op.find("name = \"t\""), 10, "name = \"operator\"");
  expect_invalid("", "only admin may request", op);
  expect_invalid("", "unknown role 'auditor'", with("requesters = [\"auditor\"]"));
  expect_invalid("[san]\norganization_names = true\nallowed = [\"email\"]\n", "needs dns or ip");
}

TEST(Profiles, NameMustMatchFile) {
  auto dir = std::filesystem::path(::testing::TempDir()) / "hpki-profiles-name";
  std::filesystem::create_directories(dir);
  { std::ofstream(dir / "other.toml") << kMinimal; }
  auto r = load_profiles(dir);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail().find("does not match the file name"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(Oid, DottedForm) {
  EXPECT_TRUE(is_dotted_oid("1.2.156.10197.1.501"));
  EXPECT_TRUE(is_dotted_oid("2.5.4.3"));
  EXPECT_FALSE(is_dotted_oid("1"));
  EXPECT_FALSE(is_dotted_oid("3.1"));
  EXPECT_FALSE(is_dotted_oid("1.40"));
  EXPECT_FALSE(is_dotted_oid("1.2."));
  EXPECT_FALSE(is_dotted_oid("1.02"));
  EXPECT_FALSE(is_dotted_oid("1..2"));
  // X.667: UUID arcs under 2.25 (hpki's audit-checkpoint key purpose) are longer than 64 bits.
  EXPECT_TRUE(is_dotted_oid("2.25.211302810790840878094416978654048294110"));
  EXPECT_FALSE(is_dotted_oid("2.25.0211302810790840878094416978654048294110"));
  EXPECT_FALSE(is_dotted_oid("1.4000000000000000000000"));
}

}  // namespace
}  // namespace hpki::x509
