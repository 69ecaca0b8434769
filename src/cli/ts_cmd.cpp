// `hpki ts request` and `hpki ts verify`: an RFC 3161 client (RFC 3161 3.4 over HTTP) and a
// token verifier (x509/tsp.h verify_token: CMS signature incl. SM2 with the GM/T 0009 ID, ESS
// binding, imprint, TSA EKU and the chain to the trust anchors). With an hpki home (--home,
// $HPKI_HOME or ./hpki-data holding an hpki.toml), a TSA certificate of one of its CAs must be a
// TSA hpki designated (issue 16, tsp.tsa_not_designated); without one the RFC 3161 rules alone
// apply.
#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/clock.h"
#include "core/encoding.h"
#include "crypto/algorithm.h"
#include "crypto/digest.h"
#include "crypto/random.h"
#include "der/reader.h"
#include "der/writer.h"
#include "http/client.h"
#include "revocation/store_designation.h"
#include "x509/cms.h"
#include "x509/name.h"
#include "x509/tsp.h"

namespace hpki::cli {
namespace {

struct RequestArgs {
  std::string data, digest, hash = "sha256", url, out, policy, cacert;
  bool cert_req = false;
  bool nonce = false;
};

struct VerifyArgs {
  std::string data, digest, in, nonce;
  std::vector<std::string> trust, untrusted;
};

// The imprint of --data FILE or --digest HEX (with --hash).
Result<std::pair<crypto::HashAlg, Bytes>> imprint_of(const std::string& data,
                                                     const std::string& digest,
                                                     const std::string& hash) {
  if (data.empty() == digest.empty())
    return fail(ErrorCode::kInvalidArgument, "give exactly one of --data FILE or --digest HEX");
  auto h = HPKI_TRY(crypto::parse_hash(hash));
  if (h == crypto::HashAlg::kSha1)
    return fail(ErrorCode::kUnsupportedAlgorithm, "sha1 is not accepted for timestamps");
  Bytes d;
  if (!digest.empty()) {
    d = HPKI_TRY(hex_decode(digest));
    if (d.size() != crypto::hash_size(h))
      return fail(ErrorCode::kInvalidArgument, "--digest has " + std::to_string(d.size()) +
                                                   " bytes, " + hash + " needs " +
                                                   std::to_string(crypto::hash_size(h)));
  } else {
    d = HPKI_TRY(crypto::digest(h, HPKI_TRY(read_input_file(data, 1ULL << 32))));
  }
  return std::pair{h, std::move(d)};
}

Result<int> ts_request(Context& ctx, const RequestArgs& a) {
  auto [hash, digest] = HPKI_TRY(imprint_of(a.data, a.digest, a.hash));
  x509::tsp::TimeStampReq req;
  req.message_imprint.hash_algorithm = x509::cms::hash_oid(hash);
  req.message_imprint.hashed_message = digest;
  req.cert_req = a.cert_req;
  if (!a.policy.empty()) req.req_policy = HPKI_TRY(der::Oid::from_string(a.policy));
  if (a.nonce) {
    // A positive 64-bit INTEGER (RFC 3161 2.4.1: a large random number).
    Bytes n = HPKI_TRY(crypto::random_bytes(8));
    n[0] = static_cast<std::uint8_t>((n[0] & 0x7F) | 0x40);
    req.nonce = n;
  }
  auto query = HPKI_TRY(x509::tsp::encode_request(req));
  http::ClientOptions opts;
  opts.ca_file = a.cacert;
  auto resp = HPKI_TRY(http::post(a.url, "application/timestamp-query", query, opts));
  if (resp.status != 200)
    return fail(ErrorCode::kUnavailable,
                a.url + " answered HTTP " + std::to_string(resp.status) +
                    (resp.content_type.starts_with("text/") ? ": " + resp.body : std::string()));
  const Bytes body = to_bytes(resp.body);
  auto parsed = HPKI_TRY(x509::tsp::parse_response(body));
  HPKI_TRY(write_output_file(a.out, body));
  if (parsed.status != x509::tsp::PkiStatus::kGranted &&
      parsed.status != x509::tsp::PkiStatus::kGrantedWithMods) {
    ctx.err << "hpki: the TSA refused: " << x509::tsp::to_string(parsed.status);
    if (parsed.fail_info) ctx.err << " (" << x509::tsp::to_string(*parsed.fail_info) << ")";
    if (parsed.status_string) ctx.err << ": " << *parsed.status_string;
    ctx.err << "\n";
    return kExitNegative;
  }
  // The reply must answer this request: imprint and nonce (RFC 3161 2.4.2).
  auto sd = HPKI_TRY(x509::cms::parse_signed_data(parsed.token.value_or(Bytes{})));
  auto info = HPKI_TRY(x509::tsp::parse_tst_info(sd.content.value_or(Bytes{})));
  if (info.message_imprint.hashed_message != digest)
    return fail(ErrorCode::kBadSignature, "tsp.imprint_mismatch: the reply is for other data");
  if (req.nonce && info.nonce != req.nonce)
    return fail(ErrorCode::kBadSignature, "tsp.nonce_mismatch: the reply does not echo the nonce");
  auto serial = x509::tsp::serial_value(info);
  if (ctx.json) {
    nlohmann::json j{{"status", x509::tsp::to_string(parsed.status)},
                     {"gen_time", format_rfc3339(info.gen_time)},
                     {"serial", serial ? std::to_string(*serial) : hex_encode(info.serial)},
                     {"policy", info.policy.to_string()},
                     {"out", a.out}};
    ctx.out << j.dump(2) << "\n";
  } else {
    ctx.out << "granted: serial " << (serial ? std::to_string(*serial) : hex_encode(info.serial))
            << ", genTime " << format_rfc3339(info.gen_time) << ", written to " << a.out << "\n";
  }
  return kExitOk;
}

Result<std::vector<x509::CertificatePtr>> read_certs(const std::vector<std::string>& files) {
  std::vector<x509::CertificatePtr> out;
  for (const auto& f : files) {
    auto certs = HPKI_TRY(x509::Certificate::parse_all(HPKI_TRY(read_input_file(f))));
    out.insert(out.end(), certs.begin(), certs.end());
  }
  return out;
}

Result<int> ts_verify(Context& ctx, const VerifyArgs& a) {
  if (a.data.empty() == a.digest.empty())
    return fail(ErrorCode::kInvalidArgument, "give exactly one of --data FILE or --digest HEX");
  const Bytes input = HPKI_TRY(read_input_file(a.in, x509::tsp::kMaxResponseSize));
  x509::tsp::TokenVerifyOptions o;
  Bytes data, digest;
  if (!a.data.empty()) {
    data = HPKI_TRY(read_input_file(a.data, 1ULL << 32));
    o.data = data;
  } else {
    digest = HPKI_TRY(hex_decode(a.digest));
    o.digest = digest;
  }
  o.trust_anchors = HPKI_TRY(read_certs(a.trust));
  o.untrusted = HPKI_TRY(read_certs(a.untrusted));
  if (!a.nonce.empty()) {
    Bytes n = HPKI_TRY(hex_decode(a.nonce));
    der::Writer w;
    w.add_integer_unsigned(n);
    der::Reader r(w.view());
    auto content = HPKI_TRY(r.read_integer());
    o.nonce = Bytes(content.begin(), content.end());
  }
  const SystemClock clock;
  auto home_store = HPKI_TRY(open_home_store(ctx, clock));
  std::optional<revocation::StoreDesignationSource> designation;
  if (home_store) o.designation = &designation.emplace(*home_store);
  auto v = HPKI_TRY(x509::tsp::verify_token(input, o));
  auto serial = x509::tsp::serial_value(v.info);
  const std::string serial_text = serial ? std::to_string(*serial) : hex_encode(v.info.serial);
  auto hash = x509::cms::hash_from_oid(v.info.message_imprint.hash_algorithm);
  const std::string hash_text = hash ? std::string(crypto::hash_name(*hash))
                                     : v.info.message_imprint.hash_algorithm.to_string();
  if (ctx.json) {
    nlohmann::json chain = nlohmann::json::array();
    for (const auto& c : v.chain) chain.push_back(x509::to_string(c->subject()));
    nlohmann::json j{{"valid", true},
                     {"gen_time", format_rfc3339(v.info.gen_time)},
                     {"serial", serial_text},
                     {"policy", v.info.policy.to_string()},
                     {"hash", hash_text},
                     {"tsa", x509::to_string(v.tsa->subject())},
                     {"signature", crypto::signature_alg_name(v.signature_alg)},
                     {"chain", chain}};
    if (v.info.nonce) j["nonce"] = hex_encode(*v.info.nonce);
    if (v.info.accuracy)
      j["accuracy"] = {{"seconds", v.info.accuracy->seconds},
                       {"millis", v.info.accuracy->millis},
                       {"micros", v.info.accuracy->micros}};
    ctx.out << j.dump(2) << "\n";
  } else {
    ctx.out << "Verification: OK\n"
            << "genTime: " << format_rfc3339(v.info.gen_time) << "\n"
            << "serial: " << serial_text << "\n"
            << "policy: " << v.info.policy.to_string() << "\n"
            << "hash: " << hash_text << "\n"
            << "TSA: " << x509::to_string(v.tsa->subject()) << "\n";
  }
  return kExitOk;
}

}  // namespace

void add_ts_commands(CLI::App& app, Context& ctx) {
  auto* ts = app.add_subcommand("ts", "RFC 3161 time-stamping: request and verify tokens");
  ts->require_subcommand(1);

  auto r = std::make_shared<RequestArgs>();
  auto* req = ts->add_subcommand("request", "ask a TSA for a timestamp (HTTP POST)");
  auto* data = req->add_option("--data", r->data, "the file to time-stamp");
  auto* dig = req->add_option("--digest", r->digest, "its digest (hex) instead of the file");
  data->excludes(dig);
  req->add_option("--hash", r->hash, "sha256 (default), sha384, sha512 or sm3");
  req->add_option("--url", r->url, "the TSA, e.g. http://127.0.0.1:8080/tsa (or https://)")
      ->required();
  req->add_option("--cacert", r->cacert,
                  "https://: trust the TSA server's certificate from this PEM file (default: "
                  "the system's trust store)")
      ->check(CLI::ExistingFile);
  req->add_option("--out", r->out, "where to write the TimeStampResp (.tsr)")->required();
  req->add_option("--policy", r->policy, "request this TSA policy OID");
  req->add_flag("--cert-req", r->cert_req, "ask for the TSA certificate in the token");
  req->add_flag("--nonce", r->nonce, "send a random nonce and check it is echoed");
  req->callback([&ctx, r] { run_command(ctx, [&]() { return ts_request(ctx, *r); }); });

  auto v = std::make_shared<VerifyArgs>();
  auto* ver = ts->add_subcommand("verify", "verify a timestamp token or reply against data");
  auto* vdata = ver->add_option("--data", v->data, "the time-stamped file");
  auto* vdig = ver->add_option("--digest", v->digest, "its digest (hex) instead of the file");
  vdata->excludes(vdig);
  ver->add_option("--in", v->in, "the TimeStampResp (.tsr) or token (DER)")->required();
  ver->add_option("--trust", v->trust, "trust anchor certificate(s), PEM or DER")->required();
  ver->add_option("--untrusted", v->untrusted, "TSA / intermediate certificates, PEM or DER");
  ver->add_option("--nonce", v->nonce, "the request's nonce (hex) that must be echoed");
  ver->callback([&ctx, v] { run_command(ctx, [&]() { return ts_verify(ctx, *v); }); });
}

}  // namespace hpki::cli
