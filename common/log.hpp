#pragma once
// One logger for every part of ringsim (spdlog): lines on stderr as
// "ringsim: LEVEL: message", where a message about a rank starts with the
// rank, its host and its phase (where_this_rank_is(), common/phase.hpp).
// The launcher reads "ringsim: error:" lines from mpirun's output to name the
// first failure, so that prefix is part of the interface.
#include <span>
#include <string>
#include <string_view>

namespace ringsim::log {

// The level names, least severe first: the command line's --log-level and
// the log_level hyperparameter take these.
std::span<const std::string_view> level_names();
// One of level_names(); throws InputError for another name.
void set_level(const std::string& name);
void debug(const std::string& message);
void info(const std::string& message);
void warning(const std::string& message);
void error(const std::string& message);

}  // namespace ringsim::log
