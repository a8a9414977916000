// What the gethostname() shim reads, on arbitrary bytes (a resourceconfig.json
// it finds in the container): it reads nothing outside the input, writes
// nothing past the buffer it is given, and what it returns is a plain host
// name of the length it says, that reads back the same from a file made of
// it alone.
#include <cctype>
#include <cstdint>
#include <cstring>
#include <string>

#include "common/current_host.hpp"
#include "fuzz/fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Exact-size copies, so ASan sees any read past the input or write past
  // the buffer; the capacity comes from the first byte.
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  const std::size_t capacity = size > 0 ? 1 + data[0] % 64 : 1;
  std::string input = size > 0 ? bytes.substr(1) : bytes;
  auto* text = new char[input.size() + 1];
  std::memcpy(text, input.data(), input.size());
  auto* out = new char[capacity];
  const int length = ringsim::extract_current_host(text, input.size(), out, capacity);
  if (length >= 0) {
    if (length == 0 || static_cast<std::size_t>(length) + 1 > capacity || length > 255)
      ringsim::fuzz::violated("a length outside 1..255 or the capacity");
    if (out[length] != '\0') ringsim::fuzz::violated("no NUL after the name");
    const std::string name(out, static_cast<std::size_t>(length));
    for (const char c : name)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
        ringsim::fuzz::violated("a character that is not in a host name");
    if (input.find(name) == std::string::npos) ringsim::fuzz::violated("a name that is not in the input");
    const std::string again = "{\"current_host\": \"" + name + "\"}";
    char back[256];
    if (ringsim::extract_current_host(again.data(), again.size(), back, sizeof back) != length || name != back)
      ringsim::fuzz::violated("the name does not read back from a file of its own");
  }
  delete[] out;
  delete[] text;
  return 0;
}
