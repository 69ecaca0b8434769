#include "ca/runtime.h"

#include <unistd.h>

#include <fstream>

#include "ca/detail/builtin_profiles.h"
#include "ca/keys.h"
#include "ca/upgrade.h"

namespace hpki::ca {

Result<SecretBytes> configured_passphrase(const HomeConfig& h) {
  crypto::PassphraseSource src;
  src.env_var = h.base.keystore.passphrase_env;
  if (!h.base.keystore.passphrase_file.empty()) {
    std::filesystem::path f = h.base.keystore.passphrase_file;
    src.file = f.is_relative() ? h.home / f : f;
  }
  return crypto::resolve_passphrase(src);
}

Result<void> Runtime::wire(SecretBytes passphrase, bool create_pii) {
  auto db = HPKI_TRY(open_home_database(config_, clock_));
  store_ = std::move(db.store);
  never_delivered_ = db.never_delivered;
  file_keys_ = HPKI_TRY(crypto::FileKeyStore::open(config_.keys_dir, passphrase.copy()));
  if (config_.base.keystore.type == "pkcs11") {
    crypto::Pkcs11Options o;
    o.module_path = config_.base.keystore.pkcs11_module;
    o.token_label = config_.base.keystore.pkcs11_token;
    o.pin = HPKI_TRY(crypto::pkcs11_pin_from_env(config_.base.keystore.pkcs11_pin_env));
    hsm_keys_ = HPKI_TRY(crypto::Pkcs11KeyStore::open(o));
  }
  const auto pii_file = config_.keys_dir / "pii.key";
  pii_ = create_pii ? HPKI_TRY(PiiProtector::create(pii_file, passphrase))
                    : HPKI_TRY(PiiProtector::open(pii_file, passphrase));
  // Issue 19: hpki's shares of the two-party keys of doctors' phones, sealed under a data key of
  // their own (created on first use by homes made before), wrapped like the personal-data key.
  const auto cosign_file = config_.keys_dir / "cosign.key";
  std::error_code ec;
  cosign_ = std::filesystem::exists(cosign_file, ec)
                ? HPKI_TRY(PiiProtector::open(cosign_file, passphrase))
                : HPKI_TRY(PiiProtector::create(cosign_file, passphrase));
  audit_ = std::make_unique<audit::AuditLog>(
      HPKI_TRY(audit::AuditLog::create(config_.audit_hash, clock_)));
  profiles_ = HPKI_TRY(x509::load_profiles(config_.profiles_dir));
  // Homes made before issue 21 have no audit-signer profile file: the shipped one applies.
  if (!profiles_.contains("audit-signer")) {
    profiles_.emplace("audit-signer",
                      HPKI_TRY(x509::parse_profile(detail::audit_signer_profile_toml(),
                                                   "built-in profiles/audit-signer.toml")));
  }
  HPKI_TRY(x509::check_standard_set(profiles_));
  CaDeps d;
  d.home = &config_;
  d.store = store_.get();
  d.file_keys = file_keys_.get();
  d.hsm_keys = hsm_keys_.get();
  d.pii = &*pii_;
  d.audit = audit_.get();
  d.clock = &clock_;
  d.random = &random_;
  d.profiles = &profiles_;
  service_ = std::make_unique<CaService>(d);
  return {};
}

Result<std::unique_ptr<Runtime>> Runtime::open(const std::filesystem::path& home,
                                               OpenOptions options) {
  auto rt = std::unique_ptr<Runtime>(new Runtime());
  rt->config_ = HPKI_TRY(load_home(home));
  SecretBytes pass = options.passphrase ? std::move(*options.passphrase)
                                        : HPKI_TRY(configured_passphrase(rt->config_));
  HPKI_TRY(rt->wire(std::move(pass), false));
  return rt;
}

Result<std::unique_ptr<Runtime>> Runtime::init(const std::filesystem::path& home,
                                               const InitOptions& init,
                                               const InitHierarchyOptions& hierarchy,
                                               SecretBytes passphrase,
                                               const std::filesystem::path& profiles_source) {
  // Never overwrite: an existing hpki.toml, or a non-empty directory, is refused.
  std::error_code ec;
  if (std::filesystem::exists(config_path(home))) {
    return fail(ErrorCode::kAlreadyExists,
                "'" + home.string() +
                    "' is already an hpki home (hpki.toml exists); refusing to overwrite");
  }
  if (std::filesystem::exists(home) && !std::filesystem::is_empty(home, ec)) {
    return fail(ErrorCode::kAlreadyExists, "'" + home.string() +
                                               "' exists and is not empty (an interrupted init?); "
                                               "choose another --home or remove it");
  }
  if (passphrase.size() < 8)
    return fail(ErrorCode::kInvalidArgument,
                "the key-store passphrase must have at least 8 characters");
  std::filesystem::create_directories(home, ec);
  if (ec) return fail(ErrorCode::kIo, home.string() + ": " + ec.message());
  std::filesystem::permissions(home, std::filesystem::perms::owner_all, ec);
  // Profiles: copied so the home is self-contained and the operator can adapt them.
  std::filesystem::create_directories(home / "profiles", ec);
  for (const auto& e : std::filesystem::directory_iterator(profiles_source, ec)) {
    if (e.path().extension() == ".toml")
      std::filesystem::copy_file(e.path(), home / "profiles" / e.path().filename(), ec);
  }
  if (ec)
    return fail(ErrorCode::kIo,
                "copying profiles from " + profiles_source.string() + ": " + ec.message());
  // The configuration is written to a temporary name and renamed last: a home with hpki.toml is
  // always complete.
  const auto tmp = home / "hpki.toml.init";
  {
    std::ofstream out(tmp);
    out << initial_config(init);
    if (!out) return fail(ErrorCode::kIo, tmp.string() + ": cannot write");
  }
  auto rt = std::unique_ptr<Runtime>(new Runtime());
  rt->config_ = HPKI_TRY(load_home(home, tmp));
  HPKI_TRY(rt->wire(std::move(passphrase), true));
  HPKI_TRY(rt->service_->init_hierarchy(hierarchy));
  // The first signed checkpoint covers the creation of the hierarchy.
  auto audit_signer = HPKI_TRY(rt->file_keys_->signer(crypto::to_key_ref(audit_key_id())));
  HPKI_TRY(rt->audit_->checkpoint(*rt->store_, *audit_signer, audit_key_id()));
  std::filesystem::rename(tmp, config_path(home), ec);
  if (ec) return fail(ErrorCode::kIo, "finishing init: " + ec.message());
  return rt;
}

Result<crypto::KeyStore*> Runtime::keys_for(const KeyId& key_ref) {
  return key_store_for(key_ref, file_keys_.get(), hsm_keys_.get());
}

}  // namespace hpki::ca
