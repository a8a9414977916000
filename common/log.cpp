#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <array>

#include "common/errors.hpp"

namespace ringsim::log {

namespace {

spdlog::logger& logger() {
  static const auto instance = [] {
    auto made = std::make_shared<spdlog::logger>("ringsim", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    made->set_pattern("ringsim: %l: %v");
    made->set_level(spdlog::level::info);
    // A rank may be killed right after an error: nothing may wait in a buffer.
    made->flush_on(spdlog::level::trace);
    return made;
  }();
  return *instance;
}

}  // namespace

constexpr std::array<std::string_view, 4> kLevelNames = {"debug", "info", "warning", "error"};
constexpr std::array<spdlog::level::level_enum, 4> kLevels = {spdlog::level::debug, spdlog::level::info,
                                                              spdlog::level::warn, spdlog::level::err};

std::span<const std::string_view> level_names() { return kLevelNames; }

void set_level(const std::string& name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i)
    if (name == kLevelNames[i]) return logger().set_level(kLevels[i]);
  throw InputError("unknown --log-level '" + name + "'; expected debug, info, warning or error");
}

void debug(const std::string& message) { logger().debug(message); }
void info(const std::string& message) { logger().info(message); }
void warning(const std::string& message) { logger().warn(message); }
void error(const std::string& message) { logger().error(message); }

}  // namespace ringsim::log
