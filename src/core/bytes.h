// Byte containers. Bytes is plain data; SecretBytes holds key material and passphrases and
// wipes its memory when destroyed or cleared (STYLE.md "Data and types").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hpki {

using Bytes = std::vector<std::uint8_t>;
using BytesView = std::span<const std::uint8_t>;

[[nodiscard]] inline BytesView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
[[nodiscard]] inline Bytes to_bytes(std::string_view s) {
  auto v = as_bytes(s);
  return Bytes(v.begin(), v.end());
}
[[nodiscard]] inline std::string_view as_string(BytesView b) noexcept {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Overwrites memory in a way the optimiser may not remove.
void secure_wipe(void* p, std::size_t n) noexcept;

// Constant-time comparison (for MACs, hashes of secrets). Different lengths compare unequal.
[[nodiscard]] bool constant_time_equal(BytesView a, BytesView b) noexcept;

// Secret material: movable, not implicitly copyable, wiped on destruction.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(BytesView data) : data_(data.begin(), data.end()) {}
  explicit SecretBytes(std::string_view text) : SecretBytes(as_bytes(text)) {}
  explicit SecretBytes(std::size_t size) : data_(size) {}
  ~SecretBytes() { clear(); }

  SecretBytes(SecretBytes&& other) noexcept : data_(std::move(other.data_)) { other.data_.clear(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      clear();
      data_ = std::move(other.data_);
      other.data_.clear();
    }
    return *this;
  }
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  [[nodiscard]] SecretBytes copy() const { return SecretBytes(view()); }

  [[nodiscard]] BytesView view() const noexcept { return data_; }
  [[nodiscard]] std::string_view as_string_view() const noexcept { return as_string(data_); }
  [[nodiscard]] std::uint8_t* data() noexcept { return data_.data(); }
  [[nodiscard]] const std::uint8_t* data() const noexcept { return data_.data(); }
  [[nodiscard]] std::size_t size() const noexcept { return data_.size(); }
  [[nodiscard]] bool empty() const noexcept { return data_.empty(); }
  // Shrinks to n bytes, wiping what is cut off.
  void truncate(std::size_t n) noexcept;

  void clear() noexcept {
    secure_wipe(data_.data(), data_.capacity());
    data_.clear();
  }

 private:
  std::vector<std::uint8_t> data_;
};

}  // namespace hpki
