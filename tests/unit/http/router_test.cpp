#include "http/router.h"

#include <gtest/gtest.h>

namespace hpki::http {
namespace {

Handler tag(std::string name) {
  return [name](const Request&) { return Response::text(200, name); };
}

TEST(Router, MatchesLiteralAndParams) {
  Router r;
  r.add("GET", "/api/v1/certificates", tag("list"));
  r.add("GET", "/api/v1/certificates/{serial}", tag("show"));
  r.add(
      "POST", "/api/v1/certificates/{serial}/revoke", tag("revoke"),
      RouteOptions{
          .public_route = false, .rate_limited = true, .max_body_bytes = 10, .summary = "Revoke"});
  r.add("GET", "/api/v1/certificates/search", tag("search"));

  auto m = r.match("POST", "/api/v1/certificates/0A1B%2F2/revoke");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.route->pattern, "/api/v1/certificates/{serial}/revoke");
  EXPECT_EQ(m.params.at("serial"), "0A1B/2");
  EXPECT_EQ(m.route->options.max_body_bytes, 10u);
  EXPECT_EQ((*m.handler)(Request{}).body, "revoke");

  // A literal segment beats a parameter.
  m = r.match("GET", "/api/v1/certificates/search");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ((*m.handler)(Request{}).body, "search");
  EXPECT_TRUE(m.params.empty());
  m = r.match("GET", "/api/v1/certificates/77");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.params.at("serial"), "77");
}

// RFC 6960 GET: the base64 request may arrive with its '/' not percent-encoded.
TEST(Router, LastParameterCanTakeTheRestOfThePath) {
  Router r;
  r.add("GET", "/ocsp/{request}", tag("ocsp"), RouteOptions{.last_param_takes_rest = true});
  r.add("GET", "/crl/{name}", tag("crl"));
  auto m = r.match("GET", "/ocsp/MEow/TBA%3D");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.params.at("request"), "MEow/TBA=");
  m = r.match("GET", "/ocsp/a//b/");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.params.at("request"), "a//b/");
  m = r.match("GET", "/ocsp/MEow");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(m.params.at("request"), "MEow");
  // Still needs a non-empty first segment, and only routes that ask for it take the rest.
  EXPECT_EQ(r.match("GET", "/ocsp/").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.match("GET", "/ocsp/%zz/x").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.match("GET", "/crl/a/b").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.match("POST", "/ocsp/a/b").kind, RouteMatch::Kind::kMethodNotAllowed);
}

TEST(Router, NotFoundAndMethodNotAllowed) {
  Router r;
  r.add("GET", "/a/{id}", tag("get"));
  r.add("DELETE", "/a/{id}", tag("del"));
  EXPECT_EQ(r.match("GET", "/b/1").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.match("GET", "/a").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.match("GET", "/a/").kind, RouteMatch::Kind::kNotFound);  // empty param
  EXPECT_EQ(r.match("GET", "/a/1/2").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.match("GET", "relative").kind, RouteMatch::Kind::kNotFound);
  EXPECT_EQ(r.match("GET", "/a/%zz").kind, RouteMatch::Kind::kNotFound);  // bad escape
  auto m = r.match("PUT", "/a/1");
  ASSERT_EQ(m.kind, RouteMatch::Kind::kMethodNotAllowed);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"DELETE", "GET"}));
}

TEST(Router, RouteTable) {
  Router r;
  r.add("GET", "/healthz", tag("h"), RouteOptions{.public_route = true});
  r.add("POST", "/x/{y}", tag("x"));
  auto routes = r.routes();
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].method, "GET");
  EXPECT_EQ(routes[0].pattern, "/healthz");
  EXPECT_TRUE(routes[0].options.public_route);
  EXPECT_FALSE(routes[1].options.public_route);
  EXPECT_EQ(routes[1].pattern, "/x/{y}");
}

TEST(Router, DuplicateRouteIsAProgrammingError) {
  Router r;
  r.add("GET", "/a", tag("1"));
  EXPECT_DEATH(r.add("GET", "/a", tag("2")), "");
  EXPECT_DEATH(r.add("GET", "/b/{x", tag("2")), "");
}

TEST(PercentDecode, Strict) {
  EXPECT_EQ(percent_decode("a%20b+c", false), "a b+c");
  EXPECT_EQ(percent_decode("a%20b+c", true), "a b c");
  EXPECT_EQ(percent_decode("%e4%b8%ad", false), "\xe4\xb8\xad");
  EXPECT_FALSE(percent_decode("%2", false));
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%g0", false));
  EXPECT_FALSE(percent_decode("abc%4", false));
  EXPECT_EQ(percent_decode("", false), "");
  EXPECT_EQ(percent_decode("plain/text", false), "plain/text");
  EXPECT_EQ(percent_decode("%2B%2f%3D", false), "+/=");
  EXPECT_EQ(percent_decode("ab%41", true), "abA");
  EXPECT_EQ(percent_decode("+", true), " ");
}

TEST(Router, FastPathIsReturnedWithTheMatch) {
  Router r;
  r.add("GET", "/slow/{x}", tag("slow"));
  r.add("GET", "/fast/{x}", tag("worker"), RouteOptions{},
        [](const Request&) -> std::optional<Response> { return Response::text(200, "inline"); });
  auto slow = r.match("GET", "/slow/1");
  ASSERT_EQ(slow.kind, RouteMatch::Kind::kFound);
  EXPECT_EQ(slow.fast, nullptr);
  auto fast = r.match("GET", "/fast/1");
  ASSERT_EQ(fast.kind, RouteMatch::Kind::kFound);
  ASSERT_NE(fast.fast, nullptr);
  EXPECT_EQ((*fast.fast)(Request{})->body, "inline");
  EXPECT_EQ((*fast.handler)(Request{}).body, "worker");
}

TEST(HttpDate, ImfFixdate) {
  using namespace std::chrono;
  // RFC 9110's example, and dates around leap days and the epoch.
  EXPECT_EQ(http_date(sys_days{1994y / November / 6} + 8h + 49min + 37s),
            "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(http_date(TimePoint{}), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(http_date(sys_days{2024y / February / 29} + 23h + 59min + 59s + 999ms),
            "Thu, 29 Feb 2024 23:59:59 GMT");
  EXPECT_EQ(http_date(sys_days{2026y / November / 27} + 12h), "Fri, 27 Nov 2026 12:00:00 GMT");
  EXPECT_EQ(http_date(sys_days{2100y / March / 1}), "Mon, 01 Mar 2100 00:00:00 GMT");
}

TEST(EtagMatches, ListsWeakAndStar) {
  EXPECT_TRUE(etag_matches("\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches("\"x\", W/\"abc\"", "\"abc\""));
  EXPECT_TRUE(etag_matches(" * ", "\"abc\""));
  EXPECT_FALSE(etag_matches("\"abd\"", "\"abc\""));
  EXPECT_FALSE(etag_matches("", "\"abc\""));
  EXPECT_FALSE(etag_matches("abc", "\"abc\""));
}

}  // namespace
}  // namespace hpki::http

namespace hpki::http {
namespace {

TEST(ParseQuery, DecodesPairsInOrder) {
  auto q = parse_query("a=1&b=x+y%21&&c&a=2");
  ASSERT_TRUE(q.has_value());
  using P = std::pair<std::string, std::string>;
  EXPECT_EQ(*q, (std::vector<P>{{"a", "1"}, {"b", "x y!"}, {"c", ""}, {"a", "2"}}));
  EXPECT_FALSE(parse_query("a=%G1").has_value());
  EXPECT_TRUE(parse_query("")->empty());
}

}  // namespace
}  // namespace hpki::http
