// hpki.toml as read by ca::load_home: the [ocsp] and [tsa] settings, their defaults and
// precise errors.
#include "ca/home.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace hpki::ca {
namespace {

class HomeConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("hpki-home-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Result<HomeConfig> load(const std::string& toml) {
    std::ofstream(config_path(dir_)) << toml;
    return load_home(dir_);
  }
  std::filesystem::path dir_;
};

TEST_F(HomeConfigTest, OcspDefaults) {
  auto h = load("").value();
  EXPECT_EQ(h.ocsp.validity_seconds, 86400);
  EXPECT_EQ(h.ocsp.refresh_after_seconds, 43200);
  EXPECT_EQ(h.ocsp.sync_seconds, 10);
  EXPECT_EQ(h.ocsp.max_on_demand, 8);
}

TEST_F(HomeConfigTest, OcspValues) {
  auto h = load("[ocsp]\nvalidity_seconds = 3600\nsync_seconds = 5\nmax_on_demand = 64\n").value();
  EXPECT_EQ(h.ocsp.validity_seconds, 3600);
  EXPECT_EQ(h.ocsp.refresh_after_seconds, 1800);  // half the validity unless set
  EXPECT_EQ(h.ocsp.sync_seconds, 5);
  EXPECT_EQ(h.ocsp.max_on_demand, 64);
}

TEST_F(HomeConfigTest, OcspOutOfRangeNamesKeyAndLimits) {
  for (const auto& [toml, want] : std::initializer_list<std::pair<std::string, std::string>>{
           {"[ocsp]\nmax_on_demand = 0\n", "ocsp.max_on_demand"},
           {"[ocsp]\nmax_on_demand = 5000\n", "1..4096"},
           {"[ocsp]\nvalidity_seconds = 10\n", "60..2592000"},
           {"[ocsp]\nrefresh_after_seconds = 50000\n", "validity_seconds/2"},
           {"[ocsp]\nsync_seconds = 0\n", "ocsp.sync_seconds"}}) {
    auto h = load(toml);
    ASSERT_FALSE(h) << toml;
    EXPECT_EQ(h.error().code(), ErrorCode::kConfigInvalid) << toml;
    EXPECT_NE(h.error().to_string().find(want), std::string::npos) << h.error().to_string();
  }
}

// genTime has whole seconds: an accuracy below one second would be false.
TEST_F(HomeConfigTest, TsaAccuracyBelowOneSecondIsRefused) {
  auto h = load("[tsa]\naccuracy_seconds = 0\naccuracy_millis = 500\n");
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code(), ErrorCode::kConfigInvalid);
  EXPECT_NE(h.error().to_string().find("whole seconds"), std::string::npos)
      << h.error().to_string();
  auto ok = load("[tsa]\naccuracy_seconds = 1\naccuracy_millis = 500\n").value();
  EXPECT_EQ(ok.tsa.accuracy_seconds, 1);
  EXPECT_EQ(ok.tsa.accuracy_millis, 500);
  auto omitted = load("[tsa]\naccuracy_seconds = 0\n").value();
  EXPECT_EQ(
      omitted.tsa.accuracy_seconds + omitted.tsa.accuracy_millis + omitted.tsa.accuracy_micros, 0);
}

}  // namespace
}  // namespace hpki::ca
