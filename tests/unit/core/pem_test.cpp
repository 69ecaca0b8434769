#include "core/pem.h"

#include <gtest/gtest.h>

namespace hpki {
namespace {

TEST(Pem, EncodeDecodeRoundTrip) {
  Bytes der(200);
  for (std::size_t i = 0; i < der.size(); ++i) der[i] = static_cast<std::uint8_t>(i);
  std::string pem = pem_encode("CERTIFICATE", der);
  EXPECT_TRUE(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
  // 64-column lines (RFC 7468 section 2).
  EXPECT_EQ(pem.find('\n', 28) - 28, 64u);
  EXPECT_EQ(pem_decode(pem, "CERTIFICATE").value(), der);
}

TEST(Pem, AcceptsExplanatoryTextAndCrlf) {
  std::string text =
      "Certificate:\n    Data: ...\r\n-----BEGIN X-----\r\nAAEC\r\n-----END X-----\r\n";
  EXPECT_EQ(pem_decode(text, "X").value(), (Bytes{0, 1, 2}));
}

TEST(Pem, MultipleBlocks) {
  std::string text = pem_encode("A", Bytes{1}) + "between\n" + pem_encode("B", Bytes{2, 3});
  auto blocks = pem_decode_all(text).value();
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].label, "A");
  EXPECT_EQ(blocks[1].data, (Bytes{2, 3}));
  auto one = pem_decode(text, "A");
  ASSERT_FALSE(one);
  EXPECT_NE(one.error().detail().find("found 2"), std::string::npos);
}

TEST(Pem, StrictErrors) {
  auto expect = [](std::string_view text, ErrorCode code, std::string_view needle) {
    auto r = pem_decode_all(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code(), code) << r.error().to_string();
    EXPECT_NE(r.error().detail().find(needle), std::string::npos) << r.error().to_string();
  };
  expect("", ErrorCode::kMalformed, "no PEM block");
  expect("-----BEGIN A-----\nAA==\n-----END B-----\n", ErrorCode::kMalformed, "does not match");
  expect("-----BEGIN A-----\nAA==\n", ErrorCode::kMalformed, "no END line");
  expect("-----BEGIN A-----\nAA=\n-----END A-----\n", ErrorCode::kMalformed, "PEM block 'A'");
  expect("-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\n\nAA==\n-----END A-----\n",
         ErrorCode::kUnsupported, "headers");
  expect("-----END A-----\n", ErrorCode::kMalformed, "without BEGIN");
  expect("-----BEGIN A-----\n-----BEGIN A-----\n", ErrorCode::kMalformed, "BEGIN inside");
  auto wrong = pem_decode(pem_encode("PRIVATE KEY", Bytes{1}), "CERTIFICATE");
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code(), ErrorCode::kUnexpectedType);
}

TEST(Pem, SizeLimit) {
  std::string big(kMaxPemInput + 1, 'A');
  auto r = pem_decode_all(big);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code(), ErrorCode::kTooLarge);
}

}  // namespace
}  // namespace hpki
