#pragma once
// Where each rank runs: the rank map (--hosts, --processes-per-host) checked
// against what the ranks can see of their machines.
#include <string>
#include <vector>

#include "common/job_config.hpp"
#include "common/rank_map.hpp"
#include "transport/communicator.hpp"

namespace ringsim {

// Ranks r and s share a machine (equal `machines` entries, as
// Communicator::machines gives them) exactly when `map` puts them on one host;
// else ConfigError naming the first two ranks that break it.
void check_machines_match_map(const RankMap& map, const std::vector<std::string>& machines);

// With --hosts: places this rank on its host from the rank map (its identity
// host, and "{host}" in the options' paths), after checking, on every rank
// and agreed, that
// - mpirun started as many ranks as the map has;
// - with --resource-config, the file's current_host on this rank's machine
//   (read_current_host, common/host.hpp)
//   is the map's host for this rank (with --check-hosts, the short host name);
// - with either, the ranks that share a machine (as Open MPI placed them) are
//   exactly the ranks the map puts on one host.
// Rank 0 logs the rank -> host table. Without --hosts it does nothing.
void apply_rank_map(JobConfig& options, const Communicator& comm);

}  // namespace ringsim
