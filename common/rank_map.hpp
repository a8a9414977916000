#pragma once
// Which MPI ranks run on which host: hosts in natural order, ranks
// contiguous per host. Worked example: hosts {algo-10, algo-2, algo-1},
// 2 processes per host -> algo-1: ranks 0-1, algo-2: ranks 2-3,
// algo-10: ranks 4-5. A pure value, tested without processes; every rank
// computes the same map from the same host list.
#include <string>
#include <vector>

namespace ringsim {

struct HostSlots {
  std::string host;
  int first_rank = 0;
  int ranks = 0;
};

class RankMap {
 public:
  // Throws ConfigError on an empty or duplicated host list or ppn < 1.
  RankMap(const std::vector<std::string>& hosts, int processes_per_host);
  const std::vector<HostSlots>& hosts() const { return hosts_; }
  int ranks() const { return total_; }
  const std::string& host_of(int rank) const;
  int host_index(const std::string& host) const;  // -1 if unknown
  int local_rank(int rank) const;
  // "rank 0-1 -> algo-1" lines.
  std::string table() const;

 private:
  std::vector<HostSlots> hosts_;
  int total_ = 0;
};

}  // namespace ringsim
