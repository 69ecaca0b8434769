// Logging facade. Modules log through these functions; only log.cpp knows spdlog.
// Messages are fmt-style: log::info("issued {} for {}", serial, profile).
#pragma once

#include <fmt/format.h>

#include <string_view>

#include "core/error.h"

namespace hpki::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kOff };
enum class Format { kText, kJson };

// "trace" | "debug" | "info" | "warn" | "error" | "off".
[[nodiscard]] Result<Level> parse_level(std::string_view name);

// Configures the process-wide sink (stderr). Safe to call again to reconfigure.
void init(Level level, Format format = Format::kText);
[[nodiscard]] bool enabled(Level level);
void write(Level level, std::string_view message);

template <typename... A>
void trace(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::kTrace)) write(Level::kTrace, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void debug(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::kDebug)) write(Level::kDebug, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void info(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::kInfo)) write(Level::kInfo, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void warn(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::kWarn)) write(Level::kWarn, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void error(fmt::format_string<A...> f, A&&... a) {
  if (enabled(Level::kError)) write(Level::kError, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace hpki::log
