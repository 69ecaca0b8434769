#include "crypto/file_keystore.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "ossl/random.h"

namespace hpki::crypto {

namespace {

constexpr std::string_view kKeySuffix = ".key.pem";

std::string errno_text(int err) { return std::strerror(err); }

// RAII file descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

Result<std::string> label_of(const KeyRef& ref) {
  const KeyId id = HPKI_TRY(to_key_id(ref));
  if (id.scheme() != KeyId::Scheme::kFile) {
    return fail(ErrorCode::kInvalidArgument, "not a file key reference: '" + ref.id + "'");
  }
  std::string label(id.name());
  if (!is_valid_key_label(label)) {
    return fail(ErrorCode::kInvalidArgument, "bad key label in '" + ref.id + "'");
  }
  return label;
}

// Reads a small file completely; kNotFound when missing.
Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t limit,
                                    ErrorCode missing_code) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    const int err = errno;
    if (err == ENOENT) return fail(missing_code, path.string() + ": no such file");
    return fail(ErrorCode::kIo, path.string() + ": " + errno_text(err));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, path.string() + ": " + errno_text(errno));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > limit) {
      secure_wipe(out.data(), out.size());
      return fail(ErrorCode::kTooLarge, path.string() + ": file too large");
    }
  }
  return out;
}

Result<void> write_all(int fd, std::string_view data, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorCode::kIo, what + ": " + errno_text(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> fsync_dir(const std::filesystem::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return fail(ErrorCode::kIo, dir.string() + ": fsync: " + errno_text(errno));
  }
  return {};
}

}  // namespace

bool is_valid_key_label(std::string_view label) noexcept {
  if (label.empty() || label.size() > 64 || label.front() == '.') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

Result<std::unique_ptr<FileKeyStore>> FileKeyStore::open(std::filesystem::path dir,
                                                         SecretBytes passphrase) {
  if (passphrase.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the key store passphrase must not be empty");
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return fail(ErrorCode::kIo,
                dir.string() + ": cannot create key directory: " + errno_text(errno));
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) {
    return fail(ErrorCode::kIo, dir.string() + ": not a directory");
  }
  std::unique_ptr<FileKeyStore> store(new FileKeyStore(std::move(dir), std::move(passphrase)));
  // Check the passphrase now rather than at the first signature.
  std::vector<KeyRef> refs = HPKI_TRY(store->list());
  if (!refs.empty()) {
    auto key = store->load(refs.front());
    if (!key && key.error().code() == ErrorCode::kBadPassphrase) {
      return fail(ErrorCode::kBadPassphrase, "wrong passphrase for key store " +
                                                 store->dir_.string() + " (" +
                                                 key.error().detail() + ")");
    }
  }
  return store;
}

std::filesystem::path FileKeyStore::path_of(std::string_view label) const {
  return dir_ / (std::string(label) + std::string(kKeySuffix));
}

Result<KeyRef> FileKeyStore::generate(const KeySpec& spec, std::string_view label) {
  if (!is_valid_key_label(label)) {
    return fail(ErrorCode::kInvalidArgument,
                "bad key label '" + std::string(label) + "' (1..64 of A-Z a-z 0-9 . - _)");
  }
  std::error_code ec;
  if (std::filesystem::exists(path_of(label), ec)) {
    return fail(ErrorCode::kAlreadyExists, "key '" + std::string(label) + "' already exists");
  }
  PrivateKey key = HPKI_TRY(PrivateKey::generate(spec));
  return import_key(key, label);
}

Result<KeyRef> FileKeyStore::import_key(const PrivateKey& key, std::string_view label) {
  if (!is_valid_key_label(label)) {
    return fail(ErrorCode::kInvalidArgument,
                "bad key label '" + std::string(label) + "' (1..64 of A-Z a-z 0-9 . - _)");
  }
  const std::filesystem::path final_path = path_of(label);
  std::error_code ec;
  if (std::filesystem::exists(final_path, ec)) {
    return fail(ErrorCode::kAlreadyExists, "key '" + std::string(label) + "' already exists");
  }
  std::string pem = HPKI_TRY(key.to_encrypted_pem(passphrase_));

  std::uint8_t rnd[8];
  HPKI_TRY(ossl::random_bytes(rnd));
  std::string tmp_name(1, '.');  // hidden, and never a valid label
  tmp_name.append(label).append(".tmp-");
  for (std::uint8_t b : rnd) tmp_name.push_back("0123456789abcdef"[b & 0xf]);
  const std::filesystem::path tmp = dir_ / tmp_name;
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) return fail(ErrorCode::kIo, tmp.string() + ": " + errno_text(errno));
    auto written = [&]() -> Result<void> {
      if (::fchmod(fd.get(), 0600) != 0) {  // exact mode whatever the umask
        return fail(ErrorCode::kIo, tmp.string() + ": chmod: " + errno_text(errno));
      }
      HPKI_TRY(write_all(fd.get(), pem, tmp.string()));
      if (::fsync(fd.get()) != 0) {
        return fail(ErrorCode::kIo, tmp.string() + ": fsync: " + errno_text(errno));
      }
      return {};
    }();
    if (!written) {
      ::unlink(tmp.c_str());
      return fail(written.error());
    }
    if (::close(fd.release()) != 0) {
      ::unlink(tmp.c_str());
      return fail(ErrorCode::kIo, tmp.string() + ": close: " + errno_text(errno));
    }
  }
  // link() never replaces an existing name: the atomic no-clobber variant of rename.
  if (::link(tmp.c_str(), final_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    if (err == EEXIST) {
      return fail(ErrorCode::kAlreadyExists, "key '" + std::string(label) + "' already exists");
    }
    return fail(ErrorCode::kIo, final_path.string() + ": " + errno_text(err));
  }
  ::unlink(tmp.c_str());
  HPKI_TRY(fsync_dir(dir_));
  {
    std::lock_guard lock(mu_);
    cache_.insert_or_assign(std::string(label), key);
  }
  return KeyRef{std::string(kFileKeyRefPrefix) + std::string(label)};
}

Result<PrivateKey> FileKeyStore::load_label(const std::string& label) {
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(label); it != cache_.end()) return it->second;
  }
  // One decryption at a time (scrypt is slow and memory-hard): threads asking for a key at
  // the same moment — every request of a server that just started — wait for the first.
  std::lock_guard loading(load_mu_);
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(label); it != cache_.end()) return it->second;
  }
  std::string pem =
      HPKI_TRY(read_small_file(path_of(label), kMaxKeyFileSize, ErrorCode::kKeyNotFound));
  auto key = PrivateKey::from_pem(pem, passphrase_);
  secure_wipe(pem.data(), pem.size());
  if (!key) return fail(key.error().with_context("key '" + label + "'"));
  std::lock_guard lock(mu_);
  cache_.insert_or_assign(label, *key);
  return *key;
}

Result<PrivateKey> FileKeyStore::load(const KeyRef& ref) {
  std::string label = HPKI_TRY(label_of(ref));
  return load_label(label);
}

Result<std::unique_ptr<Signer>> FileKeyStore::signer(const KeyRef& ref,
                                                     std::optional<SignatureAlg> alg,
                                                     std::string_view sm2_id) {
  PrivateKey key = HPKI_TRY(load(ref));
  return key.signer(alg, sm2_id);
}

Result<std::unique_ptr<Decrypter>> FileKeyStore::decrypter(const KeyRef& ref) {
  PrivateKey key = HPKI_TRY(load(ref));
  return key.decrypter();
}

Result<Bytes> FileKeyStore::public_key(const KeyRef& ref) {
  PrivateKey key = HPKI_TRY(load(ref));
  return key.public_key_der();
}

Result<std::vector<KeyRef>> FileKeyStore::list() {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir_, ec);
  if (ec) return fail(ErrorCode::kIo, dir_.string() + ": " + ec.message());
  std::vector<std::string> labels;
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(kKeySuffix)) continue;
    const std::string label = name.substr(0, name.size() - kKeySuffix.size());
    if (is_valid_key_label(label)) labels.push_back(label);
  }
  std::sort(labels.begin(), labels.end());
  std::vector<KeyRef> out;
  for (auto& l : labels) out.push_back(KeyRef{std::string(kFileKeyRefPrefix) + l});
  return out;
}

Result<SecretBytes> resolve_passphrase(const PassphraseSource& source) {
  if (!source.env_var.empty()) {
    const char* v = std::getenv(source.env_var.c_str());
    if (v != nullptr && *v != '\0') return SecretBytes(std::string_view(v));
  }
  if (!source.file.empty()) {
    struct stat st {};
    if (::stat(source.file.c_str(), &st) != 0) {
      return fail(ErrorCode::kIo, source.file.string() + ": " + errno_text(errno));
    }
    if ((st.st_mode & S_IRWXO) != 0) {
      return fail(ErrorCode::kPermissionDenied,
                  source.file.string() + ": passphrase file is accessible by others (chmod 600)");
    }
    std::string text = HPKI_TRY(read_small_file(source.file, 4096, ErrorCode::kIo));
    std::size_t len = text.size();
    if (len > 0 && text[len - 1] == '\n') --len;
    if (len > 0 && text[len - 1] == '\r') --len;
    SecretBytes out(std::string_view(text).substr(0, len));
    secure_wipe(text.data(), text.size());
    if (out.empty()) {
      return fail(ErrorCode::kConfigInvalid, source.file.string() + ": empty passphrase");
    }
    return out;
  }
  return fail(
      ErrorCode::kConfigMissing,
      "no key store passphrase: set " +
          (source.env_var.empty() ? std::string("an environment variable") : "$" + source.env_var) +
          " or configure a passphrase file");
}

}  // namespace hpki::crypto
