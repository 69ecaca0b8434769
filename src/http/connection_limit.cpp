#include "http/connection_limit.h"

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>

#include <utility>

namespace hpki::http {

std::string client_address_key(std::string_view address) {
  boost::system::error_code ec;
  auto a = boost::asio::ip::make_address(std::string(address), ec);
  if (ec) return std::string(address);
  if (a.is_v4()) return a.to_v4().to_string();
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return fmt::format("{}/64", boost::asio::ip::address_v6(bytes).to_string());
}

ConnectionLimiter::Slot::Slot(Slot&& other) noexcept
    : owner_(std::exchange(other.owner_, nullptr)), key_(std::move(other.key_)) {}

ConnectionLimiter::Slot& ConnectionLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = std::exchange(other.owner_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

ConnectionLimiter::Slot::~Slot() { release(); }

void ConnectionLimiter::Slot::release() noexcept {
  if (owner_ == nullptr) return;
  std::lock_guard lock(owner_->mutex_);
  if (auto it = owner_->open_.find(key_); it != owner_->open_.end() && --it->second == 0) {
    owner_->open_.erase(it);
  }
  owner_ = nullptr;
}

std::optional<ConnectionLimiter::Slot> ConnectionLimiter::acquire(std::string key) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(key);
  const std::size_t now = it == open_.end() ? 0 : it->second;
  if (max_per_key_ != 0 && now >= max_per_key_) return std::nullopt;
  if (it == open_.end()) {
    open_.emplace(key, 1);
  } else {
    ++it->second;
  }
  return Slot(this, std::move(key));
}

std::size_t ConnectionLimiter::open(std::string_view key) const {
  std::lock_guard lock(mutex_);
  auto it = open_.find(std::string(key));
  return it == open_.end() ? 0 : it->second;
}

}  // namespace hpki::http
