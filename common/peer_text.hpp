#pragma once
// Text a peer chose (the names in its certificate, the reason in an RSIMFAIL
// or RSIMEXIT line) on its way into a log line or the failure file: one
// printable line, so that a name holding "\nringsim: error: rank 3 ...
// killed by signal 9" cannot add a forged line to either.
#include <cstddef>
#include <string>
#include <string_view>

namespace ringsim {

// `text` as one line of printable ASCII: a backslash, control characters
// (\n, \r, \t, \x1b, ...) and bytes outside ASCII are written as escapes,
// and text over `max_bytes` is cut there with "...".
//   printable_line("a\nb") -> "a\\nb"
std::string printable_line(std::string_view text, std::size_t max_bytes = 512);

// The peer's words, marked as such: printable_line in single quotes, with a
// quote inside escaped too, so the reader sees where the peer's text ends.
//   peer_words("CA 'x'\n") -> "'CA \\'x\\'\\n'"
std::string peer_words(std::string_view text, std::size_t max_bytes = 512);

}  // namespace ringsim
