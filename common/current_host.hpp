#pragma once
// Reads SageMaker's current_host out of resourceconfig.json text with no
// allocation, exception or library: the gethostname() shim
// (launcher/hostname_shim/hostname_shim.cpp) runs it inside every Open MPI
// process, before and during MPI_Init. It is the one reader of current_host:
// the launcher and the ranks (--resource-config) call it too, through
// read_current_host / current_host_in (common/host.hpp), so what a rank's
// gethostname() answers and what the launcher and the rank map take as its
// host cannot differ.
#include <cstddef>

namespace ringsim {

// Copies the value of the first "current_host" key in `text` (`size` bytes,
// not NUL-terminated) to `out` with a NUL, and returns its length. Only a
// plain host name counts: 1 to 255 characters of [A-Za-z0-9._-], no escapes.
// Returns -1 when there is none, or when it does not fit in `capacity`
// (which includes the NUL). Example: {"current_host": "algo-2", ...} ->
// "algo-2", 6.
int extract_current_host(const char* text, std::size_t size, char* out, std::size_t capacity);

}  // namespace ringsim
