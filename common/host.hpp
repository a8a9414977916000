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
// SageMaker's current_host in the resourceconfig.json `text` read from
// `origin`: the one name a SageMaker container can trust for itself (its
// gethostname() says "aws"), read as the gethostname() shim reads it
// (common/current_host.hpp). Throws ConfigError naming `origin` when there
// is no current_host that is a plain host name.
std::string current_host_in(const std::string& text, const std::string& origin);
// current_host_in of the file at `path`; ConfigError naming it when it
// cannot be read.
std::string read_current_host(const std::string& path);
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
