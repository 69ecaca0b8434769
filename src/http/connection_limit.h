// Per-client limits of the HTTP server that are keyed by the client's address: the count of
// open connections per address (the connection cap) and the address key shared with the
// per-address rate limiter.
//
// client_address_key(): the key of a client address, so that one client is one key however it
// reaches us: an IPv4 address in dotted form; an IPv4-mapped IPv6 address (a dual-stack
// listener) as the IPv4 address; any other IPv6 address as its /64 prefix ("2001:db8:1:2::/64"),
// because a single IPv6 host usually holds a whole /64 and could otherwise take a fresh key per
// connection. Text that is not an IP address is returned unchanged.
//
// ConnectionLimiter: acquire(key) hands out a Slot while fewer than `max_per_key` connections
// of that key are open (0 = no cap), else nullopt; the Slot gives its place back when it is
// destroyed. Only keys with open connections are held, so memory is bounded by the number of
// open connections. Thread-safe; the limiter must outlive its slots.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace hpki::http {

[[nodiscard]] std::string client_address_key(std::string_view address);

class ConnectionLimiter {
 public:
  explicit ConnectionLimiter(std::size_t max_per_key) : max_per_key_(max_per_key) {}
  ConnectionLimiter(const ConnectionLimiter&) = delete;
  ConnectionLimiter& operator=(const ConnectionLimiter&) = delete;

  class Slot {
   public:
    Slot(Slot&& other) noexcept;
    Slot& operator=(Slot&& other) noexcept;
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot();

   private:
    friend class ConnectionLimiter;
    Slot(ConnectionLimiter* owner, std::string key) : owner_(owner), key_(std::move(key)) {}
    void release() noexcept;
    ConnectionLimiter* owner_ = nullptr;
    std::string key_;
  };

  [[nodiscard]] std::optional<Slot> acquire(std::string key);
  // Connections of `key` open now.
  [[nodiscard]] std::size_t open(std::string_view key) const;

 private:
  std::size_t max_per_key_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::size_t> open_;
};

}  // namespace hpki::http
