#include "common/host.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>

#include "common/current_host.hpp"
#include "common/errors.hpp"
#include "common/thread_rank.hpp"

namespace ringsim {

std::string host_name() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

std::string current_host_in(const std::string& text, const std::string& origin) {
  char host[256];
  const int length = extract_current_host(text.data(), text.size(), host, sizeof host);
  if (length < 0)
    throw ConfigError(origin + ": no current_host string that is a plain host name (1 to 255 of A-Z a-z 0-9 . _ -)");
  return std::string(host, static_cast<std::size_t>(length));
}

std::string read_current_host(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read it (it names this machine's host)");
  std::stringstream text;
  text << in.rdbuf();
  return current_host_in(text.str(), path);
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
