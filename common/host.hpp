#pragma once
#include <string>
#include <vector>

namespace ringsim {

// The name this rank's certificate and placement go by: $RINGSIM_HOST (set
// per rank from the rank map), else the machine's host name.
std::string identity_host();
// Sets this rank's identity host (the rank map's placement), ahead of
// $RINGSIM_HOST and the machine's name: the process's, or a thread rank's
// own (common/thread_rank.hpp).
void set_identity_host(const std::string& host);
// The machine's host name as gethostname(2) gives it.
std::string host_name();
// The machine's host name without its domain ("algo-1" of "algo-1.internal").
std::string short_host_name();
// Host names with ranges written out: "algo-1..3" (or "algo-1..algo-3") is
// algo-1, algo-2, algo-3, as SageMaker names a job's instances; other names
// pass as they are. Throws InputError for a range that runs backwards or
// names more than 4096 hosts.
std::vector<std::string> expand_host_ranges(const std::vector<std::string>& names);
// Replaces every "{host}" in `text` with `host`.
std::string expand_host(std::string text, const std::string& host);

}  // namespace ringsim
