// End-to-end load client for mobile co-signing (issue 19, docs/cosign.md), bench only: against a
// running `hpki serve` it plays the hospital system (HIS, HTTPS API with an API key) and N phones
// (the phone routes on the plain HTTP listener, the two-party SM2 client steps of
// ossl/sm2_2p.h), and prints requests/s and latency percentiles. bench/compare/cosign.sh starts
// the servers (SQLite, PostgreSQL) and runs it.
//
//   bench_cosign_load cosign --api https://127.0.0.1:P/api/v1/ --phone-url http://127.0.0.1:Q
//       --cacert HOME/tls/ca.pem --ra-key KEY --his-key KEY --org ORG [--phones 8] [--his 4]
//       [--depth 2] [--seconds 10] [--warmup 2] [--format raw|cms] [--doc-bytes 1024]
//       [--server-pid PID]
//   bench_cosign_load sign --api ... --cacert ... --his-key KEY --sign-key org-sm2
//       [--connections 8] [--seconds 10] [--warmup 2] [--doc-bytes 1024] [--server-pid PID]
//
// cosign: creates N staff subjects (RA officer key), enrolls one phone for each (SM2: K1, K2 by
// hpki, K3, the jointly signed CSR, the certificate), then for warmup + seconds the HIS threads
// (`his` keep-alive connections) keep at most `depth` requests outstanding per phone (POST
// /api/v1/signing-requests, round robin over the phones) while every phone loops: GET
// /api/v1/m/requests, and for each pending request S1, POST /api/v1/m/sign/start with the PIN
// approval {"method":"pin"}, S3 (with the phone's own check), POST /api/v1/m/sign/finish; with
// nothing pending it waits on GET /api/v1/m/events (server-sent events, Last-Event-ID) as the
// phone app does. Latency = from the HIS sending the create to the phone reading "signed".
// Counted: requests signed inside the measurement window (after the warm-up).
// sign: `connections` threads each POST /api/v1/sign {"key", "data", "mode": "raw"} (a key hpki
// holds) in a closed loop: the plain signature baseline, same document size.
// Both: keep-alive connections; a sample of the results is fetched and verified (the signature
// under the certificate hpki returns, whose key must be the phone's joint key P). With
// --server-pid the server process's CPU time (utime + stime) over the window is reported per
// request. Output: a human summary on stderr and one line on stdout:
//   RESULT mode=cosign requests=N seconds=S rps=R p50_ms=... p90_ms=... p99_ms=... max_ms=...
//          errors=E server_cpu_ms=C client_cpu_ms=K
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/encoding.h"
#include "core/error.h"
#include "crypto/signer.h"
#include "ossl/sm2_2p.h"
#include "ossl/tls.h"
#include "x509/certificate.h"

namespace {

using namespace hpki;
namespace tp = hpki::ossl::sm2_2p;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace asio = boost::asio;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "bench_cosign_load: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T must(Result<T> r, const std::string& what) {
  if (!r) die(what + ": " + r.error().to_string());
  return std::move(*r);
}
void must(const Result<void>& r, const std::string& what) {
  if (!r) die(what + ": " + r.error().to_string());
}

// ------------------------------------------------------------------ a keep-alive HTTP client

struct Url {
  bool tls = false;
  std::string host;
  std::string port;
  std::string path;  // the base path, e.g. "/api/v1/" ("" for the phone URL)
};

Url parse_url(const std::string& s) {
  Url u;
  std::string rest;
  if (s.starts_with("https://")) {
    u.tls = true;
    rest = s.substr(8);
  } else if (s.starts_with("http://")) {
    rest = s.substr(7);
  } else {
    die("URL " + s + ": http:// or https:// expected");
  }
  const auto slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "" : rest.substr(slash);
  const auto colon = authority.rfind(':');
  if (colon == std::string::npos) die("URL " + s + ": host:port expected");
  u.host = authority.substr(0, colon);
  u.port = authority.substr(colon + 1);
  return u;
}

struct Reply {
  int status = 0;
  json body;         // parsed JSON (discarded when the body is not JSON)
  std::string text;  // the body as sent
};

// One keep-alive connection (plain or TLS, the server's certificate checked against ca_file as
// the CLI client does); reconnects when the server closed it. Not thread-safe: one per thread.
class Connection {
 public:
  Connection(Url url, std::string ca_file) : url_(std::move(url)), ca_file_(std::move(ca_file)) {}

  // METHOD base_path + path with an optional JSON body, bearer token and Last-Event-ID.
  Reply call(bhttp::verb method, const std::string& path, const std::string& body,
             const std::string& bearer, const std::string& last_event_id = "") {
    for (int attempt = 0;; ++attempt) {
      const bool reused = open_;
      if (!open_) connect();
      beast::error_code ec;
      Reply r = url_.tls ? exchange(*tls_, method, path, body, bearer, last_event_id, ec)
                         : exchange(*plain_, method, path, body, bearer, last_event_id, ec);
      if (!ec) return r;
      close();
      // A keep-alive connection the server closed meanwhile (not a timeout): once more on a
      // new one.
      const bool closed = ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
                          ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                          ec == asio::ssl::error::stream_truncated;
      if (!reused || !closed || attempt > 0) {
        die(url_.host + ":" + url_.port + url_.path + path + ": " + ec.message());
      }
    }
  }

 private:
  void connect() {
    asio::ip::tcp::resolver resolver(io_);
    const auto endpoints = resolver.resolve(url_.host, url_.port);
    if (url_.tls) {
      if (!ssl_) {
        auto native = must(ossl::make_client_tls_context({.ca_file = ca_file_}), "TLS context");
        ssl_.emplace(native.release());  // takes ownership
      }
      tls_ = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(io_, *ssl_);
      beast::get_lowest_layer(*tls_).connect(endpoints);
      set_timeouts(beast::get_lowest_layer(*tls_).socket().native_handle());
      must(ossl::expect_server_identity(tls_->native_handle(), url_.host), "TLS identity");
      beast::error_code ec;
      tls_->handshake(asio::ssl::stream_base::client, ec);
      if (ec)
        die("TLS handshake: " + ec.message() + " " + ossl::verify_failure(tls_->native_handle()));
    } else {
      plain_ = std::make_unique<beast::tcp_stream>(io_);
      plain_->connect(endpoints);
      set_timeouts(plain_->socket().native_handle());
    }
    buffer_.clear();
    open_ = true;
  }

  // A hung server must not hang the benchmark.
  static void set_timeouts(int fd) {
    timeval tv{30, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  void close() {
    tls_.reset();
    plain_.reset();
    open_ = false;
  }

  template <class Stream>
  Reply exchange(Stream& stream, bhttp::verb method, const std::string& path,
                 const std::string& body, const std::string& bearer,
                 const std::string& last_event_id, beast::error_code& ec) {
    bhttp::request<bhttp::string_body> req{method, url_.path + path, 11};
    req.set(bhttp::field::host, url_.host + ":" + url_.port);
    req.set(bhttp::field::user_agent, "hpki-bench-cosign-load");
    if (!bearer.empty()) req.set(bhttp::field::authorization, "Bearer " + bearer);
    if (!last_event_id.empty()) req.set("Last-Event-ID", last_event_id);
    if (method != bhttp::verb::get) {
      req.set(bhttp::field::content_type, "application/json");
      req.body() = body;
    }
    req.keep_alive(true);
    req.prepare_payload();
    bhttp::write(stream, req, ec);
    if (ec) return {};
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    bhttp::read(stream, buffer_, parser, ec);
    if (ec) return {};
    auto& res = parser.get();
    Reply r;
    r.status = static_cast<int>(res.result_int());
    r.text = std::move(res.body());
    r.body = json::parse(r.text, nullptr, false);
    if (!res.keep_alive()) close();
    return r;
  }

  Url url_;
  std::string ca_file_;
  asio::io_context io_;
  std::optional<asio::ssl::context> ssl_;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls_;
  std::unique_ptr<beast::tcp_stream> plain_;
  beast::flat_buffer buffer_;
  bool open_ = false;
};

Reply expect(Reply r, int status, const std::string& what) {
  if (r.status != status) die(what + ": HTTP " + std::to_string(r.status) + " " + r.body.dump());
  return r;
}

// ------------------------------------------------------------------ options

struct Options {
  std::string mode;
  std::string api, phone_url, cacert, ra_key, his_key, org, sign_key;
  std::string format = "raw";
  int phones = 8;
  int his = 4;
  int depth = 2;
  int connections = 8;
  double seconds = 10;
  double warmup = 2;
  std::size_t doc_bytes = 1024;
  long server_pid = 0;
};

Options parse_options(int argc, char** argv) {
  if (argc < 2) die("usage: bench_cosign_load cosign|sign --api URL ... (see the file comment)");
  Options o;
  o.mode = argv[1];
  if (o.mode != "cosign" && o.mode != "sign") die("mode must be cosign or sign");
  const auto text = [](std::string& field) {
    return [&field](const std::string& v) { field = v; };
  };
  const auto count = [](int& field) {
    return [&field](const std::string& v) { field = std::stoi(v); };
  };
  const std::map<std::string, std::function<void(const std::string&)>> setters = {
      {"--api", text(o.api)},
      {"--phone-url", text(o.phone_url)},
      {"--cacert", text(o.cacert)},
      {"--ra-key", text(o.ra_key)},
      {"--his-key", text(o.his_key)},
      {"--org", text(o.org)},
      {"--sign-key", text(o.sign_key)},
      {"--format", text(o.format)},
      {"--phones", count(o.phones)},
      {"--his", count(o.his)},
      {"--depth", count(o.depth)},
      {"--connections", count(o.connections)},
      {"--seconds", [&o](const std::string& v) { o.seconds = std::stod(v); }},
      {"--warmup", [&o](const std::string& v) { o.warmup = std::stod(v); }},
      {"--doc-bytes", [&o](const std::string& v) { o.doc_bytes = std::stoul(v); }},
      {"--server-pid", [&o](const std::string& v) { o.server_pid = std::stol(v); }},
  };
  for (int i = 2; i < argc; i += 2) {
    const std::string k = argv[i];
    const auto it = setters.find(k);
    if (it == setters.end()) die("unknown option " + k);
    if (i + 1 >= argc) die("missing value for " + k);
    it->second(argv[i + 1]);
  }
  if (o.api.empty() || o.cacert.empty() || o.his_key.empty()) {
    die("--api, --cacert, --his-key needed");
  }
  if (o.mode == "cosign" && (o.phone_url.empty() || o.ra_key.empty() || o.org.empty())) {
    die("cosign needs --phone-url, --ra-key and --org");
  }
  if (o.mode == "sign" && o.sign_key.empty()) die("sign needs --sign-key");
  if (o.phones < 1 || o.his < 1 || o.depth < 1 || o.connections < 1) {
    die("counts must be positive");
  }
  return o;
}

// ------------------------------------------------------------------ measurement

// CPU time (utime + stime) of a process in ms, from /proc/PID/stat.
double process_cpu_ms(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double ticks = 0;
  for (int i = 3; fields >> f; ++i) {
    if (i == 14 || i == 15) ticks += std::stod(f);  // utime, stime
    if (i == 15) break;
  }
  return ticks * 1000.0 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto ms = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) * 1000.0 + static_cast<double>(t.tv_usec) / 1000.0;
  };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

// The measurement window: completions between start and end count.
struct Window {
  Clock::time_point start, end;
  std::atomic<bool> stop{false};
  std::mutex mu;
  std::vector<double> latencies_ms;
  std::atomic<long> errors{0};
  std::atomic<long> polls{0}, empty_polls{0};  // GET /api/v1/m/requests (cosign)
  double server_cpu_start = 0, server_cpu_end = 0, client_cpu_start = 0, client_cpu_end = 0;

  void record(Clock::time_point sent, Clock::time_point done) {
    if (done < start || done > end) return;
    std::lock_guard lock(mu);
    latencies_ms.push_back(std::chrono::duration<double, std::milli>(done - sent).count());
  }
};

// Waits for the window, samples CPU at its edges, then stops the workers.
void run_window(const Options& o, Window& w) {
  std::this_thread::sleep_until(w.start);
  if (o.server_pid > 0) w.server_cpu_start = process_cpu_ms(o.server_pid);
  w.client_cpu_start = own_cpu_ms();
  std::this_thread::sleep_until(w.end);
  if (o.server_pid > 0) w.server_cpu_end = process_cpu_ms(o.server_pid);
  w.client_cpu_end = own_cpu_ms();
  w.stop = true;
}

void report(const Options& o, Window& w, const std::string& what) {
  auto& v = w.latencies_ms;
  std::sort(v.begin(), v.end());
  const auto pct = [&](double p) {
    if (v.empty()) return 0.0;
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  };
  const double secs = std::chrono::duration<double>(w.end - w.start).count();
  const double n = static_cast<double>(v.size());
  const double server_cpu =
      o.server_pid > 0 && n > 0 ? (w.server_cpu_end - w.server_cpu_start) / n : 0.0;
  const double client_cpu = n > 0 ? (w.client_cpu_end - w.client_cpu_start) / n : 0.0;
  std::fprintf(stderr,
               "%s: %zu requests in %.1f s = %.1f/s; latency ms p50 %.1f p90 %.1f p99 %.1f max "
               "%.1f; %ld errors; hpki CPU %.2f ms/request, load client CPU %.2f ms/request\n",
               what.c_str(), v.size(), secs, n / secs, pct(0.5), pct(0.9), pct(0.99),
               v.empty() ? 0.0 : v.back(), w.errors.load(), server_cpu, client_cpu);
  std::printf(
      "RESULT mode=%s requests=%zu seconds=%.1f rps=%.1f p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f "
      "max_ms=%.1f errors=%ld server_cpu_ms=%.2f client_cpu_ms=%.2f\n",
      o.mode.c_str(), v.size(), secs, n / secs, pct(0.5), pct(0.9), pct(0.99),
      v.empty() ? 0.0 : v.back(), w.errors.load(), server_cpu, client_cpu);
}

Bytes document(std::size_t size, std::size_t n) {
  std::string text = "处方 #" + std::to_string(n) + ": amoxicillin 500 mg, three times a day. ";
  Bytes out;
  while (out.size() < size) out.insert(out.end(), text.begin(), text.end());
  out.resize(size);
  return out;
}

// The signature hpki returned for a request verifies under the certificate it returned, whose
// key is `spki` (the joint key, cosign) when given.
void check_result(const json& r, BytesView doc, const std::optional<Bytes>& spki,
                  const std::string& what) {
  if (!r.contains("signature") || !r.contains("certificate")) die(what + ": no signature");
  const Bytes sig = must(base64_decode(r.at("signature").get<std::string>()), what);
  const std::string pem = r.at("certificate").get<std::string>();
  const auto cert = must(x509::Certificate::parse_any(as_bytes(pem)), what + ": certificate");
  if (spki && cert->spki_der() != *spki) die(what + ": the certificate is not for the joint key");
  if (auto ok = crypto::verify_signature(cert->spki_der(), crypto::SignatureAlg::kSm2Sm3, doc, sig);
      !ok) {
    die(what + ": the signature does not verify: " + ok.error().to_string());
  }
}

// ------------------------------------------------------------------ cosign

struct Phone {
  std::int64_t subject = 0;
  std::string token;
  SecretBytes d1;
  Bytes p;     // the joint public key
  Bytes spki;  // its SubjectPublicKeyInfo
  std::atomic<int> outstanding{0};
};

// K1..K3 and the jointly signed CSR for one subject (docs/cosign.md §2).
void enroll(const Options& o, Phone& ph, int index) {
  Connection api(parse_url(o.api), o.cacert);
  Connection phone(parse_url(o.phone_url), o.cacert);
  const json subject{
      {"kind", "staff"},
      {"subject",
       {{"name", "bench doctor " + std::to_string(index)}, {"org", o.org}, {"dept", "心内科"}}}};
  auto s = expect(api.call(bhttp::verb::post, "subjects", subject.dump(), o.ra_key), 201,
                  "POST subjects");
  ph.subject = s.body.at("id").get<std::int64_t>();
  auto e = expect(api.call(bhttp::verb::post, "enrollments",
                           json{{"subject_id", ph.subject}, {"algorithm", "sm2"}}.dump(), o.ra_key),
                  201, "POST enrollments");
  const std::string code = e.body.at("code").get<std::string>();
  auto start = expect(
      phone.call(bhttp::verb::post, "/api/v1/m/enroll/start", json{{"code", code}}.dump(), ""), 200,
      "enroll/start");
  const std::string ctx = start.body.at("enrollment_id").get<std::string>();
  auto k1 = must(tp::keygen_client(ctx), "K1");
  auto s1 = must(tp::sign_client_start(), "S1");
  auto k = expect(
      phone.call(bhttp::verb::post, "/api/v1/m/enroll/keygen",
                 json{{"code", code},
                      {"p1", hex_encode(k1.p1)},
                      {"proof", {{"r", hex_encode(k1.proof.r)}, {"z", hex_encode(k1.proof.z)}}},
                      {"q1", hex_encode(s1.q1)}}
                     .dump(),
                 ""),
      200, "enroll/keygen");
  const auto hexf = [&](const json& j, const char* key) {
    return must(hex_decode(j.at(key).get<std::string>()), std::string("keygen ") + key);
  };
  const Bytes p = hexf(k.body, "p");
  must(tp::check_joint_key(k1.d1, p, hexf(k.body, "p2"),
                           tp::Proof{hexf(k.body.at("proof"), "r"), hexf(k.body.at("proof"), "z")},
                           ctx),
       "K3");
  const Bytes csr_info = must(base64_decode(k.body.at("csr_info").get<std::string>()), "csr_info");
  const Bytes e_csr = must(tp::message_digest(p, csr_info), "e of the CSR");
  const Bytes s_csr = must(tp::sign_client_finish(k1.d1, std::move(s1.w1), hexf(k.body, "r"),
                                                  hexf(k.body, "s1"), e_csr, p),
                           "S3 of the CSR");
  auto done = expect(
      phone.call(
          bhttp::verb::post, "/api/v1/m/enroll/finish",
          json{{"code", code}, {"s", hex_encode(s_csr)}, {"device_name", "bench phone"}}.dump(),
          ""),
      201, "enroll/finish");
  ph.token = done.body.at("device_token").get<std::string>();
  ph.d1 = std::move(k1.d1);
  ph.p = p;
  ph.spki = must(tp::spki_from_point(p), "SPKI of P");
}

struct Shared {
  std::mutex mu;
  std::condition_variable cv;  // a phone finished (HIS may create again)
  std::map<std::string, Clock::time_point> created;
  std::map<std::string, std::size_t> doc_of;  // request id -> document number (for checks)
  std::vector<std::string> signed_ids;        // a sample for the checks
  std::size_t next_phone = 0;                 // round robin of the HIS threads
  std::size_t next_doc = 0;
};

void his_loop(const Options& o, std::vector<std::unique_ptr<Phone>>& phones, Shared& sh,
              Window& w) {
  Connection api(parse_url(o.api), o.cacert);
  while (!w.stop) {
    Phone* target = nullptr;
    std::size_t n = 0;
    {
      std::unique_lock lock(sh.mu);
      sh.cv.wait_for(lock, std::chrono::milliseconds(50), [&] {
        for (std::size_t i = 0; i < phones.size(); ++i) {
          Phone& ph = *phones[(sh.next_phone + i) % phones.size()];
          if (ph.outstanding < o.depth) {
            target = &ph;
            sh.next_phone = (sh.next_phone + i + 1) % phones.size();
            return true;
          }
        }
        return false;
      });
      if (target == nullptr) continue;
      ++target->outstanding;
      n = sh.next_doc++;
    }
    const Bytes doc = document(o.doc_bytes, n);
    const json body{{"signer", target->subject},
                    {"document", base64_encode(doc)},
                    {"format", o.format},
                    {"summary", {{"document_type", "处方"}, {"patient", "李*"}}},
                    {"expires_in", 600}};
    const auto sent = Clock::now();
    auto r = api.call(bhttp::verb::post, "signing-requests", body.dump(), o.his_key);
    if (r.status != 201) {
      --target->outstanding;
      ++w.errors;
      std::fprintf(stderr, "create: HTTP %d %s\n", r.status, r.body.dump().c_str());
      continue;
    }
    std::lock_guard lock(sh.mu);
    const std::string id = r.body.at("id").get<std::string>();
    sh.created[id] = sent;
    sh.doc_of[id] = n;
  }
}

// The largest "id: N" of a text/event-stream body (docs/cosign.md §3), or `after`.
std::int64_t last_event(const std::string& text, std::int64_t after) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("id: ")) after = std::max<std::int64_t>(after, std::stoll(line.substr(4)));
  }
  return after;
}

void phone_loop(const Options& o, Phone& ph, Shared& sh, Window& w) {
  Connection phone(parse_url(o.phone_url), o.cacert);
  Connection events(parse_url(o.phone_url), o.cacert);
  std::int64_t after = 0;  // the last event seen
  while (!w.stop) {
    auto list = phone.call(bhttp::verb::get, "/api/v1/m/requests", "", ph.token);
    if (list.status != 200) {
      ++w.errors;
      std::fprintf(stderr, "list: HTTP %d %s\n", list.status, list.body.dump().c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    const auto& pending = list.body.at("requests");
    const bool counted = Clock::now() >= w.start && Clock::now() <= w.end;
    if (counted) ++w.polls;
    if (pending.empty()) {
      // Nothing to sign: wait for news as the phone app does (server-sent events, answered
      // when something changed for this subject or after 25 s; the window's end is not waited
      // for).
      if (counted) ++w.empty_polls;
      auto ev = events.call(bhttp::verb::get, "/api/v1/m/events", "", ph.token,
                            after == 0 ? "" : std::to_string(after));
      if (ev.status != 200) {
        ++w.errors;
        std::fprintf(stderr, "events: HTTP %d %s\n", ev.status, ev.text.c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      after = last_event(ev.text, after);
      continue;
    }
    for (const auto& item : pending) {
      if (w.stop) break;
      const std::string id = item.at("id").get<std::string>();
      // S1, then S2 on hpki with the PIN approval (the phone's share is the proof).
      auto s1 = must(tp::sign_client_start(), "S1");
      auto started =
          phone.call(bhttp::verb::post, "/api/v1/m/sign/start",
                     json{{"requests", json::array({{{"id", id}, {"q1", hex_encode(s1.q1)}}})},
                          {"approval", {{"method", "pin"}}}}
                         .dump(),
                     ph.token);
      if (started.status != 200) {
        ++w.errors;
        std::fprintf(stderr, "sign/start: HTTP %d %s\n", started.status,
                     started.body.dump().c_str());
        continue;
      }
      const json& a = started.body.at("requests").at(0);
      const Bytes m = must(base64_decode(a.at("m").get<std::string>()), "m");
      const Bytes r = must(hex_decode(a.at("r").get<std::string>()), "r");
      const Bytes s1_bytes = must(hex_decode(a.at("s1").get<std::string>()), "s1");
      // S3: e from M computed by the phone itself, s, and the phone's own check.
      const Bytes e = must(tp::message_digest(ph.p, m), "e");
      const Bytes s =
          must(tp::sign_client_finish(ph.d1, std::move(s1.w1), r, s1_bytes, e, ph.p), "S3");
      auto fin = phone.call(
          bhttp::verb::post, "/api/v1/m/sign/finish",
          json{{"requests", json::array({{{"id", id}, {"s", hex_encode(s)}}})}}.dump(), ph.token);
      const auto done = Clock::now();
      if (fin.status != 200 || fin.body.at("requests").at(0).at("state") != "signed") {
        ++w.errors;
        std::fprintf(stderr, "sign/finish: HTTP %d %s\n", fin.status, fin.body.dump().c_str());
        continue;
      }
      std::optional<Clock::time_point> sent;
      for (int spin = 0; !sent && spin < 1000; ++spin) {
        {
          std::lock_guard lock(sh.mu);
          if (auto it = sh.created.find(id); it != sh.created.end()) {
            sent = it->second;
            if (sh.signed_ids.size() < 16) sh.signed_ids.push_back(id);
          }
        }
        if (!sent) std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      if (sent) w.record(*sent, done);
      --ph.outstanding;
      sh.cv.notify_all();
    }
  }
}

int run_cosign(const Options& o) {
  std::fprintf(stderr, "enrolling %d phones (SM2, one staff subject each)\n", o.phones);
  std::vector<std::unique_ptr<Phone>> phones;
  for (int i = 0; i < o.phones; ++i) phones.push_back(std::make_unique<Phone>());
  {
    std::vector<std::thread> t;
    for (int i = 0; i < o.phones; ++i) t.emplace_back([&, i] { enroll(o, *phones[i], i); });
    for (auto& th : t) th.join();
  }
  Shared sh;
  Window w;
  const auto now = Clock::now();
  w.start =
      now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  w.end = w.start +
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::fprintf(stderr,
               "load: %d HIS connections, %d phones, at most %d requests outstanding each, %s\n",
               o.his, o.phones, o.depth, o.format.c_str());
  std::vector<std::thread> his;
  std::vector<std::thread> t;
  for (int i = 0; i < o.his; ++i) his.emplace_back([&] { his_loop(o, phones, sh, w); });
  for (auto& ph : phones) t.emplace_back([&, p = ph.get()] { phone_loop(o, *p, sh, w); });
  run_window(o, w);
  sh.cv.notify_all();
  for (auto& th : his) th.join();
  // Phones waiting for events: one more request each wakes them (they stop without signing it).
  {
    Connection api(parse_url(o.api), o.cacert);
    for (const auto& ph : phones) {
      (void)api.call(bhttp::verb::post, "signing-requests",
                     json{{"signer", ph->subject},
                          {"document", base64_encode(document(16, 0))},
                          {"format", "raw"}}
                         .dump(),
                     o.his_key);
    }
  }
  for (auto& th : t) th.join();
  report(o, w, "cosign");
  std::fprintf(stderr,
               "phones listed GET /api/v1/m/requests %ld times in the window (%ld times empty, "
               "then waited on /api/v1/m/events)\n",
               w.polls.load(), w.empty_polls.load());
  // The HIS's view of a sample: signed, and the signature verifies under the joint key.
  Connection api(parse_url(o.api), o.cacert);
  for (const auto& id : sh.signed_ids) {
    auto r = expect(api.call(bhttp::verb::get, "signing-requests/" + id, "", o.his_key), 200,
                    "GET signing-requests/" + id);
    if (r.body.at("state") != "signed") die(id + ": " + r.body.dump());
    std::optional<Bytes> spki;
    for (const auto& ph : phones) {
      if (ph->subject == r.body.at("signer").get<std::int64_t>()) spki = ph->spki;
    }
    if (o.format == "raw") check_result(r.body, document(o.doc_bytes, sh.doc_of.at(id)), spki, id);
  }
  std::fprintf(stderr, "checked %zu signed requests through the HIS API%s\n", sh.signed_ids.size(),
               o.format == "raw" ? " (signatures verified)" : "");
  return 0;
}

// ------------------------------------------------------------------ sign (baseline)

int run_sign(const Options& o) {
  Window w;
  const auto now = Clock::now();
  w.start =
      now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.warmup));
  w.end = w.start +
          std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  std::mutex sample_mu;
  std::vector<std::pair<json, std::size_t>> sample;
  std::fprintf(stderr, "load: %d connections, POST /api/v1/sign key %s, raw\n", o.connections,
               o.sign_key.c_str());
  std::vector<std::thread> t;
  for (int c = 0; c < o.connections; ++c) {
    t.emplace_back([&, c] {
      Connection api(parse_url(o.api), o.cacert);
      for (std::size_t n = static_cast<std::size_t>(c) * 1000000; !w.stop; ++n) {
        const Bytes doc = document(o.doc_bytes, n);
        const json body{{"key", o.sign_key}, {"data", base64_encode(doc)}, {"mode", "raw"}};
        const auto sent = Clock::now();
        auto r = api.call(bhttp::verb::post, "sign", body.dump(), o.his_key);
        const auto done = Clock::now();
        if (r.status != 200) {
          ++w.errors;
          std::fprintf(stderr, "sign: HTTP %d %s\n", r.status, r.body.dump().c_str());
          continue;
        }
        w.record(sent, done);
        std::lock_guard lock(sample_mu);
        if (sample.size() < 16) sample.emplace_back(r.body, n);
      }
    });
  }
  run_window(o, w);
  for (auto& th : t) th.join();
  report(o, w, "sign");
  for (const auto& [body, n] : sample) {
    check_result(body, document(o.doc_bytes, n), std::nullopt, "POST /api/v1/sign");
  }
  std::fprintf(stderr, "checked %zu signatures (verified)\n", sample.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  return o.mode == "cosign" ? run_cosign(o) : run_sign(o);
}
