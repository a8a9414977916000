#pragma once
#include <string>

namespace ringsim {

// The name this rank's certificate and placement go by: $RINGSIM_HOST (set
// per rank from the rank map), else the machine's host name.
std::string identity_host();
// Sets this process's identity host (the rank map's placement), ahead of
// $RINGSIM_HOST and the machine's name.
void set_identity_host(const std::string& host);
// The machine's host name as gethostname(2) gives it.
std::string host_name();
// The machine's host name without its domain ("algo-1" of "algo-1.internal").
std::string short_host_name();
// Replaces every "{host}" in `text` with `host`.
std::string expand_host(std::string text, const std::string& host);

}  // namespace ringsim
