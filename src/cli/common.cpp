#include "cli/common.h"

#include "x509/bundle.h"

#include <termios.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>

#include "ca/upgrade.h"
#include "core/pem.h"
#include "der/oid.h"

namespace hpki::cli {

std::filesystem::path default_profiles_dir() {
  if (const char* p = std::getenv("HPKI_PROFILES"); p != nullptr && *p != '\0') return p;
  return HPKI_DEFAULT_PROFILES_DIR;
}

Result<SecretBytes> prompt_passphrase(const std::string& prompt, bool confirm) {
  if (::isatty(STDIN_FILENO) == 0) {
    return fail(ErrorCode::kConfigMissing,
                "no passphrase: set HPKI_PASSPHRASE (or the configured passphrase_env) "
                "or run on a terminal to be prompted");
  }
  auto read_one = [](const std::string& p) -> SecretBytes {
    std::cerr << p << std::flush;
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios noecho = old;
    noecho.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &noecho);
    std::string line;
    std::getline(std::cin, line);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::cerr << "\n";
    SecretBytes s(line);
    secure_wipe(line.data(), line.size());
    return s;
  };
  SecretBytes first = read_one(prompt);
  if (confirm) {
    SecretBytes second = read_one("Repeat: ");
    if (!constant_time_equal(first.view(), second.view())) {
      return fail(ErrorCode::kInvalidArgument, "the passphrases differ");
    }
  }
  if (first.empty()) return fail(ErrorCode::kInvalidArgument, "empty passphrase");
  return first;
}

Result<std::unique_ptr<ca::Runtime>> open_runtime(Context& ctx) {
  auto cfg = HPKI_TRY(ca::load_home(ctx.home));
  ca::OpenOptions o;
  auto pass = ca::configured_passphrase(cfg);
  if (pass) {
    o.passphrase = std::move(*pass);
  } else if (pass.error().code() == ErrorCode::kConfigMissing) {
    o.passphrase =
        HPKI_TRY(prompt_passphrase("Key-store passphrase for " + ctx.home + ": ", false));
  } else {
    return fail(pass.error());
  }
  auto rt = HPKI_TRY(ca::Runtime::open(ctx.home, std::move(o)));
  if (rt->never_delivered_at_upgrade() > 0) {
    ctx.err << "hpki: database upgraded; " << rt->never_delivered_at_upgrade()
            << " issuance(s) interrupted under the older version recorded as never delivered and "
               "revoked\n";
  }
  return rt;
}

Result<std::unique_ptr<store::Store>> open_home_store(const Context& ctx, const Clock& clock) {
  std::error_code ec;
  if (!std::filesystem::exists(ca::config_path(ctx.home), ec)) return nullptr;
  auto cfg = HPKI_TRY(ca::load_home(ctx.home));
  auto db = ca::open_home_database(cfg, clock);
  if (!db) return fail(db.error().with_context("the database of the hpki home " + ctx.home));
  if (db->never_delivered > 0) {
    ctx.err << "hpki: database upgraded; " << db->never_delivered
            << " issuance(s) interrupted under the older version recorded as never delivered and "
               "revoked\n";
  }
  return std::move(db->store);
}

Result<Bytes> read_input_file(const std::string& path, std::size_t limit) {
  std::error_code ec;
  if (path == "-") {
    Bytes data((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (data.size() > limit)
      return fail(ErrorCode::kTooLarge,
                  "standard input larger than " + std::to_string(limit) + " bytes");
    return data;
  }
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return fail(ErrorCode::kNotFound, path + ": " + ec.message());
  if (size > limit)
    return fail(ErrorCode::kTooLarge, path + ": larger than " + std::to_string(limit) + " bytes");
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, path + ": cannot open");
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

Result<void> write_output_file(const std::string& path, BytesView data, bool overwrite,
                               std::filesystem::perms mode) {
  if (path == "-") {
    std::cout.write(reinterpret_cast<const char*>(data.data()),
                    static_cast<std::streamsize>(data.size()));
    return {};
  }
  std::error_code ec;
  if (!overwrite && std::filesystem::exists(path, ec))
    return fail(ErrorCode::kAlreadyExists, path + ": exists");
  const std::string tmp = path + ".tmp-hpki";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return fail(ErrorCode::kIo, tmp + ": cannot write");
    std::filesystem::permissions(tmp, mode, ec);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    if (!out) return fail(ErrorCode::kIo, tmp + ": write failed");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return fail(ErrorCode::kIo, path + ": " + ec.message());
  return {};
}

void SubjectOptions::add_to(CLI::App* cmd) {
  cmd->add_option("--name", name, "common name (CN): person, organization or host");
  cmd->add_option("--org", org, "organization (O)");
  cmd->add_option("--dept", dept, "department (OU)");
  cmd->add_option("--province", province, "province (ST)");
  cmd->add_option("--city", city, "city (L)");
  cmd->add_option("--country", country, "country (C), default CN");
  cmd->add_option("--email", email, "email address (subjectAltName rfc822Name)");
  cmd->add_option("--dns", dns, "DNS name (subjectAltName; repeatable)");
  cmd->add_option("--ip", ip, "IP address (subjectAltName; repeatable)");
  cmd->add_option("--id-number", id_number,
                  "identity-card number (GM/T 0015 IdentifyCode; stored encrypted)");
  cmd->add_option("--staff-no", staff_no, "staff number (health-system extension)");
  cmd->add_option("--licence-no", licence_no,
                  "practitioner licence number (health-system extension)");
  cmd->add_option("--org-code", org_code,
                  "unified social credit code (GM/T 0015 OrganizationCode)");
  cmd->add_option("--insurance-no", insurance_number,
                  "social insurance number (GM/T 0015 InsuranceNumber)");
  cmd->add_option("--institution-code", institution_code,
                  "health institution code (health-system extension)");
}

ca::SubjectInput SubjectOptions::to_input() const {
  ca::SubjectInput in;
  auto& d = in.data;
  d.country = country;
  d.province = province;
  d.city = city;
  d.organization = org;
  d.department = dept;
  d.common_name = name;
  if (!email.empty()) d.emails.push_back(email);
  d.dns_names = dns;
  d.ip_addresses = ip;
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) d.identifiers[k] = v;
  };
  put("id_number", id_number);
  put("staff_no", staff_no);
  put("licence_no", licence_no);
  put("org_code", org_code);
  put("insurance_number", insurance_number);
  put("institution_code", institution_code);
  return in;
}

std::string pem_chain(const std::vector<Bytes>& ders) {
  std::string out;
  for (const auto& d : ders) out += pem_encode("CERTIFICATE", d);
  return out;
}

revocation::CrlPublisherOptions crl_options(const ca::HomeConfig& h) {
  revocation::CrlPublisherOptions o;
  o.base_url = h.ca.base_url;
  o.crl_shards = h.ca.crl_shards;
  o.validity = std::chrono::seconds(h.crl.validity_seconds);
  o.regenerate_before = std::chrono::seconds(h.crl.regenerate_before_seconds);
  o.delta_interval = std::chrono::seconds(h.crl.delta_interval_seconds);
  o.regenerate_on_revoke = h.crl.regenerate_on_revoke;
  o.check_interval = std::chrono::seconds(h.crl.check_interval_seconds);
  o.keep = h.crl.keep;
  return o;
}

std::unique_ptr<revocation::CrlPublisher> make_crl_publisher(ca::Runtime& rt) {
  auto pub = std::make_unique<revocation::CrlPublisher>(
      rt.store(), rt.clock(), [&rt](const store::CaRecord& ca) { return rt.ca().ca_signer(ca); },
      crl_options(rt.config()));
  pub->set_audit(&rt.audit());
  return pub;
}

std::unique_ptr<revocation::CrlPublisher> publish_crls_on_change(ca::Runtime& rt) {
  auto pub = make_crl_publisher(rt);
  rt.ca().set_status_listener([p = pub.get()](const ca::StatusChange& c) {
    p->on_status_change(c.ca_id, c.serial, c.action);
  });
  return pub;
}

Result<std::vector<x509::CertificatePtr>> read_certificates(const std::vector<std::string>& files) {
  std::vector<x509::CertificatePtr> out;
  for (const auto& f : files) {
    auto data = HPKI_TRY(read_input_file(f, x509::kMaxBundleSize));
    auto certs = x509::parse_certificate_bundle(data);
    if (!certs) return fail(certs.error().with_context(f));
    out.insert(out.end(), certs->begin(), certs->end());
  }
  return out;
}

Result<std::vector<x509::CrlPtr>> read_crls(const std::vector<std::string>& files) {
  std::vector<x509::CrlPtr> out;
  for (const auto& f : files) {
    auto data = HPKI_TRY(read_input_file(f, x509::kMaxBundleSize));
    auto crls = x509::parse_crl_bundle(data);
    if (!crls) return fail(crls.error().with_context(f));
    out.insert(out.end(), crls->begin(), crls->end());
  }
  return out;
}

Result<std::unique_ptr<tsa::TsaService>> make_tsa(ca::Runtime& rt) {
  const auto& t = rt.config().tsa;
  tsa::TsaOptions o;
  o.policy = HPKI_TRY(der::Oid::from_string(t.policy));
  o.accuracy = {
      .seconds = t.accuracy_seconds, .millis = t.accuracy_millis, .micros = t.accuracy_micros};
  o.include_tsa_name = t.tsa_name;
  return tsa::TsaService::create(
      {.store = &rt.store(),
       .audit = &rt.audit(),
       .clock = &rt.clock(),
       .signer_for = [&rt](const store::CaRecord& ca) { return rt.ca().ca_signer(ca); },
       // One group-commit batcher for the node: tokens and issuances share commits.
       .batcher = &rt.ca().batcher()},
      o);
}

}  // namespace hpki::cli
