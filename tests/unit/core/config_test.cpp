#include "core/config.h"

#include <gtest/gtest.h>

namespace hpki {
namespace {

Result<RawConfig> from(std::string_view text) {
  auto doc = HPKI_TRY(ConfigDoc::parse(text, "hpki.toml"));
  return read_config(doc);
}

TEST(Config, DefaultsWhenEmpty) {
  auto c = from("").value();
  EXPECT_EQ(c.server.api_listen.to_string(), "127.0.0.1:8443");
  EXPECT_EQ(c.server.http_listen.port, 8080);
  EXPECT_EQ(c.database.url, "sqlite:hpki.db");
  EXPECT_EQ(c.sm2.distinguishing_id, "1234567812345678");
  EXPECT_EQ(c.server.credential_cache_ms, 2000);
  EXPECT_EQ(c.server.issuance_threads, 0);
  EXPECT_EQ(c.server.rate_limit_per_second, 50);
  EXPECT_EQ(c.server.ip_rate_limit_per_second, 500);
  EXPECT_EQ(c.server.ip_rate_limit_burst, 1000);
  EXPECT_EQ(c.server.max_connections_per_ip, 256);
}

TEST(Config, ReadsValues) {
  auto c = from(R"(
[server]
api_listen = "[::1]:9443"
credential_cache_ms = 0
issuance_threads = 16
ip_rate_limit_per_second = 0
ip_rate_limit_burst = 7
max_connections_per_ip = 0
[database]
url = "postgresql://hpki@127.0.0.1/hpki"
[log]
level = "debug"
format = "json"
)")
               .value();
  EXPECT_EQ(c.server.api_listen.host, "::1");
  EXPECT_EQ(c.server.api_listen.to_string(), "[::1]:9443");
  EXPECT_EQ(c.database.url, "postgresql://hpki@127.0.0.1/hpki");
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.server.credential_cache_ms, 0);
  EXPECT_EQ(c.server.issuance_threads, 16);
  EXPECT_EQ(c.server.ip_rate_limit_per_second, 0);
  EXPECT_EQ(c.server.ip_rate_limit_burst, 7);
  EXPECT_EQ(c.server.max_connections_per_ip, 0);
}

void expect_error(std::string_view text, std::string_view needle) {
  auto c = from(text);
  ASSERT_FALSE(c) << text;
  EXPECT_EQ(c.error().code(), ErrorCode::kConfigInvalid) << c.error().to_string();
  EXPECT_NE(c.error().detail().find(needle), std::string::npos) << c.error().to_string();
}

TEST(Config, PreciseErrors) {
  expect_error("[server\n", "hpki.toml:1:");
  expect_error("[server]\napi_listen = 8443\n",
               "server.api_listen (line 2, column 14): expected a string, found integer");
  expect_error("[server]\napi_listen = \"localhost\"\n", "no port");
  expect_error("[server]\napi_listen = \"1.2.3.4:99999\"\n", "port must be");
  expect_error("[server]\ncredential_cache_ms = -1\n", "between 0 and 60000");
  expect_error("[server]\nissuance_threads = 5000\n", "between 0 and 1024");
  expect_error("[server]\ncredential_cache_ms = 60001\n", "between 0 and 60000");
  expect_error("[server]\nrate_limit_per_second = 0\n", "between 1 and 10000000");
  expect_error("[server]\nip_rate_limit_per_second = -1\n", "between 0 and 10000000");
  expect_error("[server]\nip_rate_limit_burst = 0\n", "between 1 and 10000000");
  expect_error("[server]\nmax_connections_per_ip = 1000001\n", "between 0 and 1000000");
  expect_error("[sever]\nx = 1\n", "unknown configuration key: sever.x (line 2)");
  expect_error("[log]\nlevel = \"loud\"\n", "'loud' is not one of");
  expect_error("[database]\nurl = \"mysql://x\"\n", "must start with");
  expect_error("[keystore]\ntype = \"pkcs11\"\n", "needs pkcs11_module");
  expect_error("[sm2]\ndistinguishing_id = \"\"\n", "must not be empty");
  expect_error("[sm2]\ndistinguishing_id = \"ALICE\"\n", "allow_nonstandard_id");
}

TEST(Config, OtherSectionsCanBeClaimed) {
  auto doc = ConfigDoc::parse("[tsa]\npolicy = \"1.2.3\"\n", "t").value();
  EXPECT_TRUE(read_config(doc, {"tsa"}));
}

TEST(Config, MissingFile) {
  auto c = load_config("/nonexistent/hpki.toml");
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kConfigMissing);
}

}  // namespace
}  // namespace hpki
