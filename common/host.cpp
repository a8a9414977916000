#include "common/host.hpp"

#include <unistd.h>

#include <cstdlib>
#include <mutex>

namespace ringsim {

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

namespace {
std::mutex g_identity_mutex;
std::string g_identity;
}  // namespace

void set_identity_host(const std::string& host) {
  std::lock_guard lock(g_identity_mutex);
  g_identity = host;
}

std::string identity_host() {
  {
    std::lock_guard lock(g_identity_mutex);
    if (!g_identity.empty()) return g_identity;
  }
  if (const char* host = std::getenv("RINGSIM_HOST"); host && *host) return host;
  return host_name();
}

std::string short_host_name() {
  const std::string full = host_name();
  return full.substr(0, full.find('.'));
}

std::string expand_host(std::string text, const std::string& host) {
  for (auto at = text.find("{host}"); at != std::string::npos; at = text.find("{host}", at + host.size()))
    text.replace(at, 6, host);
  return text;
}

}  // namespace ringsim
