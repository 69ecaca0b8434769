// The names an organization may have certified (issue 16, x509/name_policy.h): permitted
// subtrees with RFC 5280 4.2.1.10 semantics, applied by the builder to device and site
// certificates before anything is signed.
#include "x509/name_policy.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/key.h"
#include "crypto/random.h"
#include "der/oids.h"
#include "x509/builder.h"
#include "x509/profile.h"

namespace hpki::x509 {
namespace {

PermittedNames hospital() {
  return parse_permitted_names({"hospital.example.cn", ".internal.example.cn"},
                               {"10.20.0.0/16", "192.0.2.7", "fd00:20::/32"})
      .value();
}

Result<void> check(const std::vector<GeneralName>& names) {
  return check_permitted_names(names, hospital(), "示例医院");
}

GeneralName dns(const char* n) { return dns_name(n).value(); }
GeneralName ip(const char* a) { return ip_address(a).value(); }
GeneralName uri(const char* u) { return uri_name(u).value(); }

TEST(NamePolicy, PermittedSubtrees) {
  // RFC 5280 4.2.1.10: the name itself and every name below it.
  for (const char* ok :
       {"hospital.example.cn", "pacs.hospital.example.cn", "*.ward.hospital.example.cn",
        "HIS.Hospital.Example.CN", "a.internal.example.cn"}) {
    EXPECT_TRUE(check({dns(ok)})) << ok;
  }
  // A leading period: below only.
  for (const char* bad :
       {"internal.example.cn", "example.cn", "www.google.com", "localhost",
        "hospital.example.cn.evil.cn", "evilhospital.example.cn", "*.example.cn"}) {
    auto r = check({dns(bad)});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kPolicyRefused);
    EXPECT_NE(r.error().detail().find(bad), std::string::npos) << r.error().detail();
  }
  for (const char* ok : {"10.20.0.1", "10.20.255.255", "192.0.2.7", "fd00:20::1"})
    EXPECT_TRUE(check({ip(ok)})) << ok;
  for (const char* bad : {"10.21.0.1", "192.0.2.8", "8.8.8.8", "127.0.0.1", "::1", "fd00:21::1"})
    EXPECT_FALSE(check({ip(bad)})) << bad;
  // URIs: the host.
  EXPECT_TRUE(check({uri("https://pacs.hospital.example.cn:8443/dicom")}));
  EXPECT_TRUE(check({uri("https://[fd00:20::5]/")}));
  EXPECT_TRUE(check({uri("urn:oid:1.2.3")}));  // no host: nothing to certify
  EXPECT_FALSE(check({uri("https://www.google.com/")}));
  EXPECT_FALSE(check({uri("https://user@8.8.8.8/")}));
  // Every name must pass, not just one.
  EXPECT_FALSE(check({dns("pacs.hospital.example.cn"), dns("www.google.com")}));
  // Other forms are not this policy's business.
  EXPECT_TRUE(check({email_address("a@google.com").value()}));
  // Nothing configured: nothing permitted.
  EXPECT_FALSE(check_permitted_names({dns("pacs.hospital.example.cn")}, {}, "x"));
  EXPECT_TRUE(check_permitted_names({}, {}, "x"));
}

TEST(NamePolicy, BadEntriesAreRefused) {
  EXPECT_FALSE(parse_permitted_names({"*.hospital.example.cn"}, {}));
  EXPECT_FALSE(parse_permitted_names({"bad_name.cn"}, {}));
  EXPECT_FALSE(parse_permitted_names({}, {"10.0.0.0/33"}));
  EXPECT_FALSE(parse_permitted_names({}, {"10.0.0.0/"}));
  EXPECT_FALSE(parse_permitted_names({}, {"10.0.0/8"}));
  EXPECT_FALSE(parse_permitted_names({}, {"fd00::/129"}));
  EXPECT_TRUE(parse_permitted_names({}, {"0.0.0.0/0", "::/0"}));
}

TEST(NamePolicy, HostLikeCommonNames) {
  EXPECT_TRUE(looks_like_host("pacs.hospital.example.cn"));
  EXPECT_TRUE(looks_like_host("10.1.2.3"));
  EXPECT_TRUE(looks_like_host("::1"));
  EXPECT_FALSE(looks_like_host("pacs-1"));
  EXPECT_FALSE(looks_like_host("张三"));
  EXPECT_FALSE(looks_like_host("Dr. Zhang San"));
}

// The builder applies the policy for profiles with organization_names (device): SANs from the
// request and from the CSR, and a host-like CN; a refused request signs nothing.
TEST(NamePolicy, BuilderAppliesItToDeviceCertificates) {
  const auto profiles = load_profiles(std::filesystem::path(HPKI_SOURCE_DIR) / "profiles").value();
  const PermittedNames names = hospital();
  auto key = crypto::PrivateKey::generate({crypto::KeyType::kSm2, 0}).value();
  crypto::SystemRandom rnd;
  auto tbs = [&](SubjectData s, std::vector<Extension> requested = {},
                 const PermittedNames* permitted = nullptr) {
    IssueParams p;
    p.profile = &profiles.at("device");
    s.organization = "示例医院";
    p.subject = std::move(s);
    p.subject_spki = key.public_key_der();
    p.serial = generate_serial(rnd).value();
    p.not_before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    p.requested_extensions = std::move(requested);
    p.permitted_names = permitted;
    return build_tbs_certificate(p, {}, crypto::SignatureAlg::kSm2Sm3);
  };
  auto subject = [](std::string cn, std::vector<std::string> dns = {}) {
    SubjectData s;
    s.common_name = std::move(cn);
    s.dns_names = std::move(dns);
    return s;
  };
  const SubjectData ok = subject("pacs-1", {"pacs.hospital.example.cn"});
  EXPECT_TRUE(tbs(ok, {}, &names));
  EXPECT_EQ(tbs(ok).error().code(), ErrorCode::kPolicyRefused);  // none configured
  const SubjectData other = subject("pacs-1", {"www.google.com"});
  EXPECT_EQ(tbs(other, {}, &names).error().code(), ErrorCode::kPolicyRefused);
  const SubjectData cn = subject("www.google.com");
  EXPECT_EQ(tbs(cn, {}, &names).error().code(), ErrorCode::kPolicyRefused);
  const SubjectData cn_ok = subject("pacs.hospital.example.cn");
  EXPECT_TRUE(tbs(cn_ok, {}, &names));
  const Bytes csr_san = encode_general_names({ip("8.8.8.8")}).value();
  EXPECT_EQ(tbs(ok, {Extension{der::oids::kSubjectAltName, false, csr_san}}, &names).error().code(),
            ErrorCode::kPolicyRefused);
  // Profiles without the option are not affected (staff certificates name people).
  IssueParams p;
  p.profile = &profiles.at("staff-sign");
  p.subject.organization = "示例医院";
  p.subject.common_name = "www.google.com";
  p.subject_spki = key.public_key_der();
  p.serial = generate_serial(rnd).value();
  p.not_before = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  EXPECT_TRUE(build_tbs_certificate(p, {}, crypto::SignatureAlg::kSm2Sm3));
}

}  // namespace
}  // namespace hpki::x509
