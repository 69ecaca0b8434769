// Problem details, error mapping, metrics rendering, rate limiter, connection limiter, worker pool.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "http/connection_limit.h"
#include "http/metrics.h"
#include "http/problem.h"
#include "http/rate_limit.h"
#include "http/worker_pool.h"

namespace hpki::http {
namespace {

TEST(Problem, Rfc9457Body) {
  Response r = problem(422, "policy-refused", "Refused by policy", "key too small");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(r.header("content-type"), "application/problem+json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["type"], "https://hpki.dev/problems/policy-refused");
  EXPECT_EQ(j["title"], "Refused by policy");
  EXPECT_EQ(j["status"], 422);
  EXPECT_EQ(j["detail"], "key too small");
  // Invalid UTF-8 from client input does not throw.
  Response bad = problem(400, "malformed", "Malformed", std::string("\xff\xfe", 2));
  EXPECT_NO_THROW({
    auto parsed = nlohmann::json::parse(bad.body);
    EXPECT_TRUE(parsed.is_object());
  });
}

TEST(Problem, ErrorMapping) {
  struct Case {
    ErrorCode code;
    int status;
    std::string type;
  };
  const Case cases[] = {
      {ErrorCode::kMalformed, 400, "malformed"},
      {ErrorCode::kBadCsr, 400, "bad-csr"},
      {ErrorCode::kUnknownProfile, 400, "unknown-profile"},
      {ErrorCode::kPolicyRefused, 422, "policy-refused"},
      {ErrorCode::kLintFailed, 422, "lint-failed"},
      {ErrorCode::kNotFound, 404, "not-found"},
      {ErrorCode::kPermissionDenied, 403, "forbidden"},
      {ErrorCode::kConflict, 409, "conflict"},
      {ErrorCode::kAlreadyExists, 409, "conflict"},
      {ErrorCode::kBadState, 409, "conflict"},
      {ErrorCode::kTooLarge, 413, "too-large"},
      {ErrorCode::kUnavailable, 503, "unavailable"},
      {ErrorCode::kStorage, 500, "internal"},
      {ErrorCode::kCrypto, 500, "internal"},
      {ErrorCode::kInternal, 500, "internal"},
  };
  for (const Case& c : cases) {
    Response r = problem_for(Error{c.code, "secret /var/lib/hpki detail"});
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(r.status, c.status) << error_name(c.code);
    EXPECT_EQ(j["type"], "https://hpki.dev/problems/" + c.type) << error_name(c.code);
    bool leaks = r.body.find("/var/lib/hpki") != std::string::npos;
    EXPECT_EQ(leaks, c.status < 500) << error_name(c.code);
  }
  // The kUnknownProfile and kBadCsr types differ (the API issue asks for one per error).
  EXPECT_NE(problem_mapping(ErrorCode::kUnknownProfile).type_suffix,
            problem_mapping(ErrorCode::kBadCsr).type_suffix);
}

TEST(Metrics, RendersTextFormat) {
  MetricsRegistry reg;
  reg.counter("req_total", "Requests", {{"route", "/a/{id}"}, {"status", "200"}}).inc();
  reg.counter("req_total", "Requests", {{"route", "/a/{id}"}, {"status", "200"}}).inc(2);
  reg.counter("req_total", "Requests", {{"route", "q\"\\\n"}, {"status", "500"}}).inc();
  reg.gauge("queue", "Queue depth").set(7);
  auto& h = reg.histogram("lat_seconds", "Latency", {{"route", "/x"}}, {0.1, 1.0});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(3.0);
  std::string text = reg.render();
  EXPECT_NE(text.find("# HELP req_total Requests\n# TYPE req_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("req_total{route=\"/a/{id}\",status=\"200\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("req_total{route=\"q\\\"\\\\\\n\",status=\"500\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE queue gauge\nqueue 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum{route=\"/x\"} 3.55\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count{route=\"/x\"} 3\n"), std::string::npos);
  EXPECT_EQ(h.count(), 3u);
}

TEST(RateLimiter, TokenBucket) {
  auto t = RateLimiter::Clock::time_point{} + std::chrono::hours(1);
  RateLimiter limiter(RateLimitOptions{.rate_per_second = 0.5, .burst = 2, .max_keys = 2},
                      [&t] { return t; });
  EXPECT_TRUE(limiter.take("a").allowed);
  EXPECT_TRUE(limiter.take("a").allowed);
  auto d = limiter.take("a");
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.retry_after, std::chrono::seconds(2));
  EXPECT_TRUE(limiter.take("b").allowed);  // keys are independent
  t += std::chrono::seconds(2);            // one token back
  EXPECT_TRUE(limiter.take("a").allowed);
  EXPECT_FALSE(limiter.take("a").allowed);
  // Table bound: a third key prunes (a and b are not yet full again, so all go).
  EXPECT_TRUE(limiter.take("c").allowed);
  EXPECT_TRUE(limiter.take("a").allowed);  // fresh bucket after pruning
}

// Issue 16: one client is one key, however it reaches the server.
TEST(ConnectionLimiter, ClientAddressKey) {
  EXPECT_EQ(client_address_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(client_address_key("::ffff:192.0.2.7"), "192.0.2.7");  // dual-stack listener
  EXPECT_EQ(client_address_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_address_key("2001:db8:1:2:ffff::9"), "2001:db8:1:2::/64");
  EXPECT_EQ(client_address_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
  EXPECT_EQ(client_address_key("unknown"), "unknown");
}

// Issue 16: the cap counts per key; other keys are unaffected; a released slot can be taken
// again; only keys with open connections are held.
TEST(ConnectionLimiter, CapsOpenConnectionsPerKey) {
  ConnectionLimiter limiter(2);
  auto a1 = limiter.acquire("10.0.0.1");
  auto a2 = limiter.acquire("10.0.0.1");
  ASSERT_TRUE(a1 && a2);
  EXPECT_FALSE(limiter.acquire("10.0.0.1"));
  EXPECT_EQ(limiter.open("10.0.0.1"), 2u);
  auto b = limiter.acquire("10.0.0.2");  // another address
  EXPECT_TRUE(b);
  a1.reset();
  EXPECT_EQ(limiter.open("10.0.0.1"), 1u);
  auto moved = std::move(*a2);  // a moved-from slot gives nothing back
  a2.reset();
  EXPECT_EQ(limiter.open("10.0.0.1"), 1u);
  auto a3 = limiter.acquire("10.0.0.1");
  EXPECT_TRUE(a3);
  EXPECT_FALSE(limiter.acquire("10.0.0.1"));
  a3.reset();
  { auto gone = std::move(moved); }
  EXPECT_EQ(limiter.open("10.0.0.1"), 0u);

  ConnectionLimiter unlimited(0);
  std::vector<ConnectionLimiter::Slot> many;
  for (int i = 0; i < 1000; ++i) {
    auto s = unlimited.acquire("10.0.0.1");
    ASSERT_TRUE(s);
    many.push_back(std::move(*s));
  }
  EXPECT_EQ(unlimited.open("10.0.0.1"), 1000u);
}

TEST(WorkerPool, RunsAndRefusesWhenFull) {
  WorkerPool pool(1, 2);
  std::atomic<bool> release{false};
  std::atomic<int> done{0};
  ASSERT_TRUE(pool.submit([&] {
    while (!release) std::this_thread::yield();
    ++done;
  }));
  while (pool.busy() == 0) std::this_thread::yield();
  EXPECT_TRUE(pool.submit([&] { ++done; }));
  EXPECT_TRUE(pool.submit([&] { ++done; }));
  EXPECT_EQ(pool.queue_depth(), 2u);
  EXPECT_FALSE(pool.submit([&] { ++done; }));  // queue full
  release = true;
  pool.stop();  // drains the queue
  EXPECT_EQ(done.load(), 3);
  EXPECT_FALSE(pool.submit([] {}));
}

}  // namespace
}  // namespace hpki::http
