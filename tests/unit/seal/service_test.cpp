// The seal service (seal/service.h) on SQLite and PostgreSQL: create (SM2 with an SESeal made by
// the maker key, RSA / ECDSA as image + record, handwriting), show / list scoped by
// organization, revoke, expiry, the audit entries, and lookup_for_signing's refusals.
#include "seal/service.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "seal/png.h"
#include "tests/support/test_db.h"
#include "tests/unit/seal/seal_test_util.h"

namespace hpki::seal {
namespace {

using sealtest::at;
using sealtest::person;

class SealServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = std::make_unique<hpki::test::TestDb>(GetParam());
    ASSERT_EQ(db_->error(), "");
    auto s = store::open_store(db_->url(), clock_);
    ASSERT_TRUE(s) << s.error().to_string();
    store_ = std::move(*s);
    log_.emplace(audit::AuditLog::create(crypto::HashAlg::kSm3, clock_).value());
    svc_ = std::make_unique<Service>(*store_, *log_, clock_);
    maker_.emplace(person(sealtest::sm2_ca(), {crypto::KeyType::kSm2, 0}, "maker"));
    doctor_.emplace(person(sealtest::sm2_ca(), {crypto::KeyType::kSm2, 0}, "doctor"));
    nurse_.emplace(person(sealtest::sm2_ca(), {crypto::KeyType::kSm2, 0}, "nurse"));
    subject_a_ = subject("示例医院");
    subject_b_ = subject("另一医院");
  }

  std::int64_t subject(const std::string& org) {
    return store_
        ->transact_value<std::int64_t>([&](store::Tx& tx) {
          store::SubjectRecord s;
          s.kind = store::SubjectKind::kStaff;
          s.name = "张三";
          s.org = org;
          return tx.insert_subject(s);
        })
        .value();
  }

  Maker maker(std::string org = "示例医院") {
    return {maker_->signer.get(), maker_->cert, "seal-maker", std::move(org)};
  }

  CreateRequest sm2_request(std::string org = "示例医院") {
    CreateRequest r;
    r.org = std::move(org);
    r.name = "示例医院电子公章";
    r.image = sealtest::tiny_png();
    r.allowed = {doctor_->cert};
    r.valid_from = at(2026, 1, 1);
    r.valid_to = at(2027, 1, 1);
    return r;
  }

  std::vector<store::AuditRecord> audit_entries() {
    return store_
        ->read_value<std::vector<store::AuditRecord>>(
            [](store::Tx& tx) { return tx.read_audit(1, 1000); })
        .value();
  }

  FixedClock clock_{at(2026, 6, 1)};
  std::unique_ptr<hpki::test::TestDb> db_;
  std::unique_ptr<store::Store> store_;
  std::optional<audit::AuditLog> log_;
  std::unique_ptr<Service> svc_;
  std::optional<testca::Issued> maker_, doctor_, nurse_;
  std::int64_t subject_a_ = 0, subject_b_ = 0;
};

TEST_P(SealServiceTest, Sm2SealGetsAnSESealMadeByTheMaker) {
  auto v = svc_->create(sm2_request(), maker(), "ra:alice");
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_EQ(v->status, "active");
  EXPECT_EQ(v->record.algorithm, "sm2");
  EXPECT_EQ(v->record.maker_key, "seal-maker");
  ASSERT_TRUE(v->record.seal_der);
  auto seal = decode_seal(*v->record.seal_der);
  ASSERT_TRUE(seal) << seal.error().to_string();
  EXPECT_EQ(seal->info.name, "示例医院电子公章");
  EXPECT_EQ(seal->info.certs, std::vector<Bytes>{doctor_->cert->der()});
  EXPECT_EQ(seal->info.valid_end, at(2027, 1, 1));
  EXPECT_EQ(seal->info.picture, sealtest::tiny_png());
  EXPECT_EQ(seal->cert, maker_->cert->der());
  EXPECT_TRUE(verify_seal(*seal, {.at = clock_.now()}).ok);
  // Stored as made, and shown with it.
  auto shown = svc_->show(v->record.id, std::string("示例医院"));
  ASSERT_TRUE(shown) << shown.error().to_string();
  EXPECT_EQ(shown->record.seal_der, v->record.seal_der);
  EXPECT_EQ(shown->record.image, sealtest::tiny_png());
  EXPECT_EQ(shown->record.allowed_serials,
            std::vector<std::string>{doctor_->cert->serial_number().hex()});
  // Audited in the organization's log.
  const auto log = audit_entries();
  ASSERT_EQ(log.size(), 1U);
  EXPECT_EQ(log[0].action, "seal.create");
  EXPECT_EQ(log[0].object, "seal:" + v->record.id);
  EXPECT_EQ(log[0].org, "示例医院");
  EXPECT_EQ(log[0].actor, "ra:alice");
}

TEST_P(SealServiceTest, DigestListSeal) {
  auto r = sm2_request();
  r.digest_list = true;
  auto v = svc_->create(r, maker(), "ra:alice");
  ASSERT_TRUE(v) << v.error().to_string();
  auto seal = decode_seal(*v->record.seal_der).value();
  EXPECT_EQ(seal.info.cert_list_type, CertListType::kDigests);
  EXPECT_TRUE(seal_allows(seal.info, doctor_->cert->der()));
  EXPECT_TRUE(svc_->lookup_for_signing(v->record.id, *doctor_->cert, std::nullopt));
}

TEST_P(SealServiceTest, Sm2SealNeedsAMakerOfItsOrganization) {
  auto r = svc_->create(sm2_request(), std::nullopt, "ra:alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  r = svc_->create(sm2_request(), maker("另一医院"), "ra:alice");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(audit_entries().empty());  // nothing recorded on a refusal
}

TEST_P(SealServiceTest, RsaAndEcdsaSealsAreImageAndRecord) {
  for (auto spec : {crypto::KeySpec{crypto::KeyType::kRsa, 2048},
                    crypto::KeySpec{crypto::KeyType::kEcP256, 0}}) {
    const auto who = person(sealtest::rsa_ca(), spec, "rsa-doctor");
    auto r = sm2_request();
    r.allowed = {who.cert};
    auto v = svc_->create(r, std::nullopt, "ra:alice");
    ASSERT_TRUE(v) << v.error().to_string();
    EXPECT_EQ(v->record.algorithm, spec.type == crypto::KeyType::kRsa ? "rsa" : "ecdsa");
    EXPECT_FALSE(v->record.seal_der);
    EXPECT_TRUE(svc_->lookup_for_signing(v->record.id, *who.cert, std::nullopt));
    EXPECT_EQ(svc_->lookup_for_signing(v->record.id, *doctor_->cert, std::nullopt).error().code(),
              ErrorCode::kPermissionDenied);
  }
}

TEST_P(SealServiceTest, HandwritingBelongsToASubjectOfTheOrganization) {
  auto r = sm2_request();
  r.kind = "handwriting";
  r.name = "张三 手写签名";
  EXPECT_EQ(svc_->create(r, std::nullopt, "ra:alice").error().code(),
            ErrorCode::kInvalidArgument);  // no subject
  r.subject_id = subject_b_;               // another organization's person
  EXPECT_EQ(svc_->create(r, std::nullopt, "ra:alice").error().code(), ErrorCode::kInvalidArgument);
  r.subject_id = subject_a_;
  auto v = svc_->create(r, std::nullopt, "ra:alice");
  ASSERT_TRUE(v) << v.error().to_string();
  EXPECT_FALSE(v->record.seal_der);  // never an SESeal
  EXPECT_EQ(v->record.subject_id, subject_a_);
  // A personal SM2 seal gets an SESeal of type 2.
  r.kind = "personal";
  auto p = svc_->create(r, maker(), "ra:alice");
  ASSERT_TRUE(p) << p.error().to_string();
  EXPECT_EQ(decode_seal(*p->record.seal_der).value().info.type, kTypePersonal);
}

TEST_P(SealServiceTest, BadRequestsChangeNothing) {
  auto r = sm2_request();
  r.image = to_bytes("not a png");
  EXPECT_EQ(svc_->create(r, maker(), "a").error().code(), ErrorCode::kMalformed);
  r = sm2_request();
  r.image = Bytes(kMaxImageSize + 1, 0);
  EXPECT_EQ(svc_->create(r, maker(), "a").error().code(), ErrorCode::kTooLarge);
  r = sm2_request();
  r.width_mm = 0;
  EXPECT_EQ(svc_->create(r, maker(), "a").error().code(), ErrorCode::kInvalidArgument);
  r = sm2_request();
  r.valid_to = r.valid_from;
  EXPECT_EQ(svc_->create(r, maker(), "a").error().code(), ErrorCode::kInvalidArgument);
  r = sm2_request();
  r.allowed.clear();
  EXPECT_EQ(svc_->create(r, maker(), "a").error().code(), ErrorCode::kInvalidArgument);
  r = sm2_request();
  r.kind = "stamp";
  EXPECT_EQ(svc_->create(r, maker(), "a").error().code(), ErrorCode::kInvalidArgument);
  r = sm2_request();
  r.allowed.push_back(person(sealtest::rsa_ca(), {crypto::KeyType::kRsa, 2048}, "x").cert);
  EXPECT_EQ(svc_->create(r, maker(), "a").error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(svc_->list(std::nullopt, 100, 0).value().empty());
  EXPECT_TRUE(audit_entries().empty());
}

TEST_P(SealServiceTest, OrganizationsSeeOnlyTheirSeals) {
  const auto a = svc_->create(sm2_request(), maker(), "ra:a").value();
  auto rb = sm2_request("另一医院");
  const auto b = svc_->create(rb, maker("另一医院"), "ra:b").value();
  const auto list_a = svc_->list(std::string("示例医院"), 100, 0).value();
  ASSERT_EQ(list_a.size(), 1U);
  EXPECT_EQ(list_a[0].record.id, a.record.id);
  EXPECT_TRUE(list_a[0].record.image.empty());  // lists leave the image out
  EXPECT_EQ(svc_->list(std::nullopt, 100, 0).value().size(), 2U);
  // Another organization's seal is not found: show, revoke, lookup.
  EXPECT_EQ(svc_->show(b.record.id, std::string("示例医院")).error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(svc_->revoke(b.record.id, "x", std::string("示例医院"), "ra:a").error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(svc_->show(b.record.id, std::string("另一医院")).value().status, "active");
  auto look = svc_->lookup_for_signing(b.record.id, *doctor_->cert, std::string("示例医院"));
  ASSERT_FALSE(look);
  EXPECT_EQ(look.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(look.error().detail().starts_with("seal.not_found"));
}

TEST_P(SealServiceTest, RevokeAndExpiry) {
  const auto v = svc_->create(sm2_request(), maker(), "ra:alice").value();
  const std::string& id = v.record.id;
  // Valid now, for the doctor only.
  auto use = svc_->lookup_for_signing(id, *doctor_->cert, std::string("示例医院"));
  ASSERT_TRUE(use) << use.error().to_string();
  ASSERT_TRUE(use->seal);
  auto no = svc_->lookup_for_signing(id, *nurse_->cert, std::string("示例医院"));
  ASSERT_FALSE(no);
  EXPECT_EQ(no.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_TRUE(no.error().detail().starts_with("seal.signer_not_allowed"));
  // Past valid_to: reported expired, refused for signing.
  clock_.set(at(2027, 1, 2));
  EXPECT_EQ(svc_->show(id, std::nullopt).value().status, "expired");
  auto late = svc_->lookup_for_signing(id, *doctor_->cert, std::nullopt);
  ASSERT_FALSE(late);
  EXPECT_TRUE(late.error().detail().starts_with("seal.expired"));
  clock_.set(at(2026, 6, 1));
  // Revoked.
  auto rv = svc_->revoke(id, "stamp lost", std::string("示例医院"), "ra:bob");
  ASSERT_TRUE(rv) << rv.error().to_string();
  EXPECT_EQ(rv->status, "revoked");
  EXPECT_EQ(rv->record.reason, "stamp lost");
  EXPECT_EQ(rv->record.revoked_at, at(2026, 6, 1));
  EXPECT_EQ(svc_->show(id, std::nullopt).value().record.state, "revoked");
  EXPECT_EQ(svc_->revoke(id, "again", std::nullopt, "ra:bob").error().code(), ErrorCode::kConflict);
  auto gone = svc_->lookup_for_signing(id, *doctor_->cert, std::nullopt);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), ErrorCode::kRevoked);
  EXPECT_TRUE(gone.error().detail().starts_with("seal.revoked"));
  const auto log = audit_entries();
  ASSERT_EQ(log.size(), 2U);
  EXPECT_EQ(log[1].action, "seal.revoke");
  EXPECT_EQ(log[1].actor, "ra:bob");
  EXPECT_EQ(nlohmann::json::parse(log[1].details)["reason"], "stamp lost");
  // The JSON view.
  auto j = nlohmann::json::parse(seal_json(*rv, false));
  EXPECT_EQ(j["status"], "revoked");
  EXPECT_EQ(j["organization"], "示例医院");
  EXPECT_FALSE(j.contains("image"));
}

INSTANTIATE_TEST_SUITE_P(Backends, SealServiceTest,
                         ::testing::Values(std::string("sqlite"), std::string("postgresql")),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace hpki::seal
