#include "core/error.h"

#include <gtest/gtest.h>

namespace hpki {
namespace {

Result<int> parse_positive(int v) {
  if (v <= 0) return fail(ErrorCode::kInvalidArgument, "not positive");
  return v;
}

Result<int> doubled(int v) {
  int x = HPKI_TRY(parse_positive(v));
  return 2 * x;
}

Result<void> check(int v) {
  HPKI_TRY(parse_positive(v));
  return {};
}

TEST(Error, TryPropagatesErrorsAndValues) {
  EXPECT_EQ(doubled(21).value(), 42);
  auto r = doubled(-1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().detail(), "not positive");
  EXPECT_TRUE(check(1));
  EXPECT_FALSE(check(0));
}

TEST(Error, NamesAndDomainsAreStable) {
  EXPECT_EQ(error_name(ErrorCode::kMalformed), "malformed");
  EXPECT_EQ(error_domain(ErrorCode::kMalformed), "decode");
  EXPECT_EQ(error_domain(ErrorCode::kBadSignature), "crypto");
  EXPECT_EQ(error_domain(ErrorCode::kLintFailed), "x509");
  Error e{ErrorCode::kIo, "disk full"};
  EXPECT_EQ(e.to_string(), "io: disk full");
  EXPECT_EQ(e.with_context("writing db").detail(), "writing db: disk full");
}

}  // namespace
}  // namespace hpki
