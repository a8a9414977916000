#include "common/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

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

void set_level(const std::string& name) {
  if (name == "debug")
    logger().set_level(spdlog::level::debug);
  else if (name == "info")
    logger().set_level(spdlog::level::info);
  else if (name == "warning")
    logger().set_level(spdlog::level::warn);
  else if (name == "error")
    logger().set_level(spdlog::level::err);
  else
    throw InputError("unknown --log-level '" + name + "'; expected debug, info, warning or error");
}

void debug(const std::string& message) { logger().debug(message); }
void info(const std::string& message) { logger().info(message); }
void warning(const std::string& message) { logger().warn(message); }
void error(const std::string& message) { logger().error(message); }

}  // namespace ringsim::log
