#include "common/rank_map.hpp"

#include <set>

#include "common/errors.hpp"
#include "common/natural_order.hpp"

namespace ringsim {

RankMap::RankMap(const std::vector<std::string>& hosts, int processes_per_host) {
  if (hosts.empty()) throw ConfigError("the host list is empty");
  if (processes_per_host < 1)
    throw ConfigError("processes_per_host must be >= 1, got " + std::to_string(processes_per_host));
  const std::set<std::string> unique(hosts.begin(), hosts.end());
  if (unique.size() != hosts.size()) throw ConfigError("the host list names a host twice");
  for (const auto& host : natural_sorted(hosts)) {
    hosts_.push_back({host, total_, processes_per_host});
    total_ += processes_per_host;
  }
}

const std::string& RankMap::host_of(int rank) const {
  RINGSIM_ENFORCE(rank >= 0 && rank < total_, "rank " + std::to_string(rank) + " outside the rank map");
  return hosts_[static_cast<std::size_t>(rank / hosts_.front().ranks)].host;
}

int RankMap::host_index(const std::string& host) const {
  for (std::size_t i = 0; i < hosts_.size(); ++i)
    if (hosts_[i].host == host) return static_cast<int>(i);
  return -1;
}

int RankMap::local_rank(int rank) const { return rank % hosts_.front().ranks; }

std::string RankMap::table() const {
  std::string text;
  for (const auto& h : hosts_) {
    text += "rank " + std::to_string(h.first_rank);
    if (h.ranks > 1) text += "-" + std::to_string(h.first_rank + h.ranks - 1);
    text += " -> " + h.host + "\n";
  }
  return text;
}

}  // namespace ringsim
