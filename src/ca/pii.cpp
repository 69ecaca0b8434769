#include "ca/pii.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <iterator>

#include "crypto/cipher.h"
#include "crypto/hmac.h"
#include "crypto/pkcs12.h"
#include "crypto/random.h"

namespace hpki::ca {
namespace {

constexpr std::string_view kMagic = "hpki-pii-v1";

Result<SecretBytes> wrap_key(const SecretBytes& passphrase, BytesView salt) {
  return crypto::derive_key_from_passphrase(passphrase, salt, 32);
}

}  // namespace

std::string normalize_identifier(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == ' ' || c == '\t') continue;
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string mask_identifier(std::string_view value) {
  std::string v(value);
  if (v.size() > 8) {
    for (std::size_t i = 3; i + 4 < v.size(); ++i) v[i] = '*';
  } else {
    for (std::size_t i = 0; i + 2 < v.size(); ++i) v[i] = '*';
  }
  return v;
}

Result<PiiProtector> PiiProtector::create(const std::filesystem::path& file,
                                          const SecretBytes& passphrase) {
  auto secret_bytes = HPKI_TRY(crypto::random_bytes(64));
  SecretBytes secret{BytesView(secret_bytes)};
  secure_wipe(secret_bytes.data(), secret_bytes.size());
  auto salt = HPKI_TRY(crypto::random_bytes(16));
  auto kek = HPKI_TRY(wrap_key(passphrase, salt));
  auto sealed = HPKI_TRY(
      crypto::aead_seal(crypto::AeadAlg::kAes256Gcm, kek.view(), secret.view(), as_bytes(kMagic)));
  Bytes out(kMagic.begin(), kMagic.end());
  out.insert(out.end(), salt.begin(), salt.end());
  auto packed = crypto::aead_pack(sealed);
  out.insert(out.end(), packed.begin(), packed.end());
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return fail(ErrorCode::kAlreadyExists, file.string() + ": cannot create (exists?)");
  bool ok =
      ::write(fd, out.data(), out.size()) == static_cast<ssize_t>(out.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return fail(ErrorCode::kIo, file.string() + ": write failed");
  return PiiProtector(std::move(secret));
}

Result<PiiProtector> PiiProtector::open(const std::filesystem::path& file,
                                        const SecretBytes& passphrase) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::kKeyNotFound, file.string() + ": personal-data key file missing");
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < kMagic.size() + 16 ||
      as_string(BytesView(data).first(kMagic.size())) != kMagic) {
    return fail(ErrorCode::kMalformed, file.string() + ": not an hpki personal-data key file");
  }
  BytesView salt = BytesView(data).subspan(kMagic.size(), 16);
  auto kek = HPKI_TRY(wrap_key(passphrase, salt));
  auto sealed =
      crypto::aead_unpack(crypto::AeadAlg::kAes256Gcm, BytesView(data).subspan(kMagic.size() + 16));
  if (!sealed) return fail(ErrorCode::kMalformed, file.string() + ": " + sealed.error().detail());
  auto secret =
      crypto::aead_open(crypto::AeadAlg::kAes256Gcm, kek.view(), *sealed, as_bytes(kMagic));
  if (!secret)
    return fail(ErrorCode::kBadPassphrase,
                "wrong passphrase for the personal-data key " + file.string());
  if (secret->size() != 64) return fail(ErrorCode::kMalformed, file.string() + ": bad key length");
  return PiiProtector(std::move(*secret));
}

Result<Bytes> PiiProtector::encrypt(std::string_view value) const {
  auto sealed =
      HPKI_TRY(crypto::aead_seal(crypto::AeadAlg::kSm4CtrHmacSm3, secret_.view().first(32),
                                 as_bytes(value), as_bytes("hpki-pii")));
  return crypto::aead_pack(sealed);
}

Result<std::string> PiiProtector::decrypt(BytesView sealed) const {
  auto s = HPKI_TRY(crypto::aead_unpack(crypto::AeadAlg::kSm4CtrHmacSm3, sealed));
  auto plain = HPKI_TRY(crypto::aead_open(crypto::AeadAlg::kSm4CtrHmacSm3, secret_.view().first(32),
                                          s, as_bytes("hpki-pii")));
  return std::string(plain.as_string_view());
}

Result<Bytes> PiiProtector::lookup_hash(std::string_view value) const {
  return crypto::hmac(crypto::HashAlg::kSm3, secret_.view().subspan(32),
                      as_bytes(normalize_identifier(value)));
}

}  // namespace hpki::ca
