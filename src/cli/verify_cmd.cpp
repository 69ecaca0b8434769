// `hpki verify cert`: RFC 5280 path validation of any certificate (x509/path.h) against trust
// anchors given as files. The contract (issue 8, used by conformance tooling):
//
//   hpki verify cert LEAF [--intermediate FILE]... --trust FILE [--trust FILE]... [--crl FILE]...
//     [--ocsp FILE]... [--ocsp-tolerance SECONDS] [--at TIME] [--policy OID]...
//     [--require-explicit-policy] [--inhibit-policy-mapping]
//     [--inhibit-any-policy] [--dns-name NAME | --ip ADDR | --email ADDR] [--eku OID]...
//     [--key-usage NAME]... [--max-depth N] [--rules rfc5280|webpki] [--json]
//
// Exit 0 valid, 1 invalid, 2 usage or input error (unreadable or malformed file, bad option
// value). Files are PEM or DER and may hold several certificates / CRLs; further certificates
// in the LEAF file join the intermediates. With --crl or --ocsp (hpki's extension of the
// contract: DER or PEM "OCSP RESPONSE" files of RFC 6960 responses), every certificate of the
// path needs a status: OCSP responses are asked first, then the CRLs (a certificate with
// neither makes the path invalid).
//
// With --ocsp and an hpki home (--home, $HPKI_HOME or ./hpki-data holding an hpki.toml), the
// home's store says which delegated OCSP responders hpki designated for its own CAs (issue 16,
// revocation/store_designation.h): a response signed by a delegate of an hpki CA that is not
// one of them is refused (ocsp_responder_not_designated). Without a home, and for CAs the
// home does not run, the RFC 6960 rules alone apply.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/common.h"
#include "core/clock.h"
#include "der/oids.h"
#include "revocation/store_designation.h"
#include "x509/bundle.h"
#include "x509/ocsp_source.h"
#include "x509/path.h"
#include "x509/profile.h"
#include "x509/revocation.h"

namespace hpki::cli {
namespace {

struct VerifyCertOptions {
  std::string leaf;
  std::vector<std::string> intermediates, trust, crls, ocsp, policies, ekus, key_usages;
  std::int64_t ocsp_tolerance = 0;
  std::string at;
  bool require_explicit_policy = false;
  bool inhibit_policy_mapping = false;
  bool inhibit_any_policy = false;
  std::string dns_name, ip, email;
  std::size_t max_depth = 8;
  std::string rules = "rfc5280";
  bool allow_legacy_rsa = false;
};

Result<std::vector<x509::CertificatePtr>> load_certificates(const std::string& path) {
  auto data = HPKI_TRY(read_input_file(path, x509::kMaxBundleSize));
  auto certs = x509::parse_certificate_bundle(data);
  if (!certs) return fail(certs.error().with_context(path));
  return *certs;
}

// Certificates or CRLs for path validation: an item the strict parser refuses is unusable
// ("<path>: item N: <defect>" in `unusable`), not an input error; a file that cannot be read or
// holds no such item at all is one (exit 2).
template <typename T, typename Read>
Result<std::vector<T>> load_usable(const std::string& path, std::vector<std::string>& unusable,
                                   Read read) {
  auto data = HPKI_TRY(read_input_file(path, x509::kMaxBundleSize));
  auto contents = read(data);
  if (!contents) return fail(contents.error().with_context(path));
  for (const auto& r : contents->refused) unusable.push_back(path + ": " + r);
  return std::move(contents->items);
}

Result<std::vector<x509::BasicOcspResponsePtr>> load_ocsp(const std::string& path) {
  auto data = HPKI_TRY(read_input_file(path, x509::kMaxBundleSize));
  auto list = x509::parse_ocsp_response_bundle(data);
  if (!list) return fail(list.error().with_context(path));
  return *list;
}

// Dotted OIDs, or the RFC 5280 4.2.1.12 short names.
Result<der::Oid> eku_oid(const std::string& s) {
  static const std::pair<std::string_view, der::Oid> kNames[] = {
      {"serverAuth", der::oids::kServerAuth},
      {"clientAuth", der::oids::kClientAuth},
      {"codeSigning", der::oids::kCodeSigning},
      {"emailProtection", der::oids::kEmailProtection},
      {"timeStamping", der::oids::kTimeStamping},
      {"OCSPSigning", der::oids::kOcspSigning},
      {"anyExtendedKeyUsage", der::oids::kAnyExtendedKeyUsage}};
  for (const auto& [name, oid] : kNames) {
    if (s == name) return oid;
  }
  auto oid = der::Oid::from_string(s);
  if (!oid) return fail(ErrorCode::kInvalidArgument, "--eku: not an OID or EKU name: " + s);
  return *oid;
}

Result<int> run_verify_cert(const VerifyCertOptions& o, Context& ctx) {
  x509::PathOptions opts;
  if (o.rules == "webpki") {
    opts.rules = x509::Rules::kWebPki;
  } else if (o.rules != "rfc5280") {
    return fail(ErrorCode::kInvalidArgument, "--rules must be rfc5280 or webpki");
  }
  if (o.at.empty()) {
    opts.at = SystemClock().now();
  } else {
    auto at = parse_rfc3339(o.at);
    if (!at) return fail(at.error().with_context("--at"));
    opts.at = *at;
  }
  if (!o.policies.empty()) {
    opts.initial_policy_set.clear();
    for (const auto& p : o.policies) {
      auto oid =
          p == "anyPolicy" ? Result<der::Oid>(der::oids::kAnyPolicy) : der::Oid::from_string(p);
      if (!oid) return fail(ErrorCode::kInvalidArgument, "--policy: not an OID: " + p);
      opts.initial_policy_set.push_back(*oid);
    }
  }
  opts.initial_explicit_policy = o.require_explicit_policy;
  opts.initial_policy_mapping_inhibit = o.inhibit_policy_mapping;
  opts.initial_any_policy_inhibit = o.inhibit_any_policy;
  opts.max_depth = o.max_depth;
  if (!o.dns_name.empty()) {
    opts.identity = x509::PeerIdentity{.kind = x509::PeerIdentity::Kind::kDns, .value = o.dns_name};
  } else if (!o.ip.empty()) {
    if (!x509::ip_address(o.ip))
      return fail(ErrorCode::kInvalidArgument, "--ip: not an IP address");
    opts.identity = x509::PeerIdentity{.kind = x509::PeerIdentity::Kind::kIp, .value = o.ip};
  } else if (!o.email.empty()) {
    opts.identity = x509::PeerIdentity{.kind = x509::PeerIdentity::Kind::kEmail, .value = o.email};
  }
  for (const auto& e : o.ekus) opts.required_ekus.push_back(HPKI_TRY(eku_oid(e)));
  for (const auto& k : o.key_usages) {
    auto bit = x509::parse_key_usage(k);
    if (!bit) return fail(bit.error().with_context("--key-usage"));
    opts.required_key_usage =
        static_cast<x509::KeyUsageBits>(opts.required_key_usage | x509::ku(*bit));
  }
  opts.key_policy.allow_legacy_rsa_insecure = o.allow_legacy_rsa;

  // The leaf file: its first certificate is the target (one the parser refuses makes the path
  // invalid), the others are intermediates.
  std::vector<std::string> unusable;
  auto leaf_data = HPKI_TRY(read_input_file(o.leaf, x509::kMaxBundleSize));
  auto leaf_contents = x509::read_certificate_bundle(leaf_data);
  if (!leaf_contents) return fail(leaf_contents.error().with_context(o.leaf));
  if (!leaf_contents->refused.empty() && leaf_contents->refused.front().starts_with("item 1:")) {
    const x509::PathReport report =
        x509::malformed_target_report(o.leaf + ": " + leaf_contents->refused.front(), opts);
    ctx.out << (ctx.json ? x509::path_report_json(report) : x509::path_report_text(report));
    return kExitNegative;
  }
  for (std::size_t i = 0; i < leaf_contents->refused.size(); ++i)
    unusable.push_back(o.leaf + ": " + leaf_contents->refused[i]);
  const std::vector<x509::CertificatePtr>& leaf_file = leaf_contents->items;
  std::vector<x509::CertificatePtr> pool(leaf_file.begin() + 1, leaf_file.end());
  for (const auto& f : o.intermediates) {
    auto certs = HPKI_TRY(load_usable<x509::CertificatePtr>(
        f, unusable, [](BytesView d) { return x509::read_certificate_bundle(d); }));
    pool.insert(pool.end(), certs.begin(), certs.end());
  }
  std::vector<x509::CertificatePtr> anchors;
  for (const auto& f : o.trust) {
    auto certs = HPKI_TRY(load_certificates(f));
    anchors.insert(anchors.end(), certs.begin(), certs.end());
  }
  std::vector<x509::CrlPtr> crls;
  for (const auto& f : o.crls) {
    auto list = HPKI_TRY(load_usable<x509::CrlPtr>(
        f, unusable, [](BytesView d) { return x509::read_crl_bundle(d); }));
    crls.insert(crls.end(), list.begin(), list.end());
  }
  std::vector<x509::CertificatePtr> all = pool;
  all.insert(all.end(), anchors.begin(), anchors.end());
  std::vector<x509::BasicOcspResponsePtr> responses;
  for (const auto& f : o.ocsp) {
    auto list = HPKI_TRY(load_ocsp(f));
    responses.insert(responses.end(), list.begin(), list.end());
  }
  x509::OcspSourceOptions ocsp_options;
  ocsp_options.tolerance = std::chrono::seconds(o.ocsp_tolerance);
  // hpki's own designations of OCSP responders, when there is a home to read them from.
  const SystemClock clock;
  std::unique_ptr<store::Store> home_store;
  std::optional<revocation::StoreDesignationSource> designation;
  if (!o.ocsp.empty()) {
    home_store = HPKI_TRY(open_home_store(ctx, clock));
    if (home_store) ocsp_options.designation = &designation.emplace(*home_store);
  }
  x509::OcspRevocationSource ocsp(std::move(responses), std::move(ocsp_options));
  x509::CrlRevocationSource crl(crls, all);
  std::vector<const x509::RevocationSource*> sources;
  if (!o.ocsp.empty()) sources.push_back(&ocsp);
  // Given --crl (even one whose CRLs are all unusable), every certificate needs a status.
  if (!o.crls.empty()) sources.push_back(&crl);
  x509::CombinedRevocationSource revocation(sources);
  if (!sources.empty()) opts.revocation = &revocation;

  x509::PathReport report = x509::validate_path(leaf_file.front(), pool, anchors, opts);
  report.unusable_inputs = std::move(unusable);
  ctx.out << (ctx.json ? x509::path_report_json(report) : x509::path_report_text(report));
  return report.valid ? kExitOk : kExitNegative;
}

}  // namespace

void add_verify_commands(CLI::App& app, Context& ctx) {
  auto* verify = app.add_subcommand("verify", "verify certificates and signatures");
  verify->require_subcommand(1);
  auto o = std::make_shared<VerifyCertOptions>();
  auto* cmd = verify->add_subcommand(
      "cert", "RFC 5280 path validation (exit 0 valid, 1 invalid, 2 usage or input error)");
  cmd->add_option("LEAF", o->leaf,
                  "certificate to validate (PEM or DER; more certificates in "
                  "the file are used as intermediates)")
      ->required();
  cmd->add_option("--intermediate", o->intermediates, "untrusted intermediate certificates");
  cmd->add_option("--trust", o->trust, "trust anchor certificates")->required();
  cmd->add_option("--crl", o->crls, "CRLs; given any, every certificate needs a status");
  cmd->add_option("--ocsp", o->ocsp,
                  "OCSP responses (DER or PEM); asked before the CRLs; given any, every "
                  "certificate needs a status; with an hpki home, delegated responders of its "
                  "CAs must be the ones it designated");
  cmd->add_option("--ocsp-tolerance", o->ocsp_tolerance,
                  "clock tolerance in seconds on OCSP thisUpdate/nextUpdate (default 0)")
      ->check(CLI::Range(0, 86400));
  cmd->add_option("--at", o->at, "validation time, RFC 3339 (default: now)");
  cmd->add_option("--policy", o->policies, "initial policy set (default anyPolicy)");
  cmd->add_flag("--require-explicit-policy", o->require_explicit_policy);
  cmd->add_flag("--inhibit-policy-mapping", o->inhibit_policy_mapping);
  cmd->add_flag("--inhibit-any-policy", o->inhibit_any_policy);
  auto* dns = cmd->add_option("--dns-name", o->dns_name, "the leaf must match this DNS name");
  auto* ip = cmd->add_option("--ip", o->ip, "the leaf must match this IP address");
  auto* email = cmd->add_option("--email", o->email, "the leaf must match this e-mail address");
  dns->excludes(ip)->excludes(email);
  ip->excludes(email);
  cmd->add_option("--eku", o->ekus, "required extended key usage (OID or name)");
  cmd->add_option("--key-usage", o->key_usages, "required key usage (digitalSignature, ...)");
  cmd->add_option("--max-depth", o->max_depth, "most intermediates in a path (default 8)")
      ->check(CLI::Range(0, 64));
  cmd->add_option("--rules", o->rules, "rfc5280 (default) or webpki")
      ->check(CLI::IsMember({"rfc5280", "webpki"}));
  cmd->add_flag("--allow-legacy-rsa-insecure", o->allow_legacy_rsa,
                "accept 1024..2047-bit RSA keys (historic chains; INSECURE)");
  cmd->callback([o, &ctx] { run_command(ctx, [&]() { return run_verify_cert(*o, ctx); }); });
  add_verify_cms_command(*verify, ctx);
  add_verify_pdf_command(*verify, ctx);
}

}  // namespace hpki::cli
