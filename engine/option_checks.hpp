#pragma once
// Range checks on `ringsim run`'s options, run (agreed) before anything else:
// a value that would make every wait time out at once (--timeout nan), ask
// for terabytes (--k 2147483647) or write a folder named "s3:" is refused
// with one line naming the option.
#include <cstdint>
#include <string>

#include "engine/job.hpp"

namespace ringsim {

// Bounds, chosen to be far beyond any sensible job yet small enough that
// the sizes derived from them cannot overflow.
inline constexpr double kMinTimeoutSeconds = 0.001;
inline constexpr double kMaxTimeoutSeconds = 1e6;  // 11.6 days
inline constexpr int kMaxK = 1 << 20;              // k results per row
inline constexpr std::int64_t kMaxTile = 16384;    // a float64 tile of 16384^2 scores is 2 GiB

// Throws InputError naming the first option out of range.
void check_run_options(const RunOptions& options);

// "s3://bucket/x", "https://host/y", any "scheme://": ringsim reads and
// writes local paths only.
bool looks_like_url(const std::string& path);

}  // namespace ringsim
