#include "common/host.hpp"

#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <regex>

#include "common/errors.hpp"
#include "common/thread_rank.hpp"

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
  if (ThreadRank* thread = this_thread_rank()) {
    thread->identity_host = host;
    return;
  }
  std::lock_guard lock(g_identity_mutex);
  g_identity = host;
}

std::string identity_host() {
  if (ThreadRank* thread = this_thread_rank(); thread && !thread->identity_host.empty()) return thread->identity_host;
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

std::vector<std::string> expand_host_ranges(const std::vector<std::string>& names) {
  // PREFIX FIRST .. [PREFIX] LAST
  static const std::regex range(R"(^(.*?)([0-9]+)\.\.(?:\1)?([0-9]+)$)");
  std::vector<std::string> hosts;
  for (const auto& name : names) {
    std::smatch match;
    if (!std::regex_match(name, match, range)) {
      hosts.push_back(name);
      continue;
    }
    const long first = std::stol(match[2].str()), last = std::stol(match[3].str());
    if (last < first || last - first >= 4096)
      throw InputError("host range '" + name + "' must run upwards over at most 4096 hosts (e.g. algo-1..8)");
    for (long i = first; i <= last; ++i) hosts.push_back(match[1].str() + std::to_string(i));
  }
  return hosts;
}

std::string expand_host(std::string text, const std::string& host) {
  for (auto at = text.find("{host}"); at != std::string::npos; at = text.find("{host}", at + host.size()))
    text.replace(at, 6, host);
  return text;
}

}  // namespace ringsim
