#include "launcher/host_cores.hpp"

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "common/errors.hpp"

namespace ringsim {

namespace {

// The first line of `path`, or nullopt when it cannot be read.
std::optional<std::string> first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

int parse_cpu(std::string_view text, const std::string& origin) {
  int cpu = -1;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), cpu);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || cpu < 0 || cpu > 1 << 20)
    throw ConfigError(origin + ": '" + std::string(text) + "' is not a CPU number");
  return cpu;
}

}  // namespace

std::vector<int> parse_cpu_list(const std::string& text, const std::string& origin) {
  std::vector<int> cpus;
  std::stringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item.empty()) continue;
    const auto dash = item.find('-');
    const int first = parse_cpu(std::string_view(item).substr(0, dash), origin);
    const int last = dash == std::string::npos ? first : parse_cpu(std::string_view(item).substr(dash + 1), origin);
    if (last < first) throw ConfigError(origin + ": the range '" + item + "' runs backwards");
    for (int cpu = first; cpu <= last; ++cpu) cpus.push_back(cpu);
  }
  return cpus;
}

std::optional<CoreCount> physical_cores(const std::string& sys_root) {
  std::string origin, list;
  for (const char* candidate :
       {"/fs/cgroup/cpuset.cpus.effective", "/fs/cgroup/cpuset/cpuset.effective_cpus", "/devices/system/cpu/online"}) {
    if (const auto line = first_line(sys_root + candidate); line && !line->empty()) {
      origin = sys_root + candidate;
      list = *line;
      break;
    }
  }
  if (origin.empty()) return std::nullopt;
  const std::vector<int> cpus = parse_cpu_list(list, origin);
  // A core is known by its threads' list, the same text in each thread's
  // folder ("0,36" or "0-1").
  std::set<std::string> cores;
  for (const int cpu : cpus) {
    const auto siblings =
        first_line(sys_root + "/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list");
    if (!siblings) return std::nullopt;
    cores.insert(*siblings);
  }
  if (cores.empty()) return std::nullopt;
  const bool cgroup = origin.find("/cgroup/") != std::string::npos;
  CoreCount count{static_cast<int>(cores.size()), ""};
  const std::size_t threads = cpus.size();
  const std::string per_core =
      threads % cores.size() == 0
          ? std::to_string(threads / cores.size()) + " thread" + (threads == cores.size() ? "" : "s") + " per core"
          : std::to_string(threads) + " threads on " + std::to_string(cores.size()) + " cores";
  count.why = std::to_string(count.cores) + " physical core" + (count.cores == 1 ? "" : "s") + ": " +
              std::to_string(threads) + " CPU" + (threads == 1 ? "" : "s") +
              (cgroup ? " in the cgroup cpuset " : " online ") + list + " (" + origin + "), " + per_core +
              " (thread_siblings_list)";
  return count;
}

}  // namespace ringsim
