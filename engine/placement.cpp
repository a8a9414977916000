#include "engine/placement.hpp"

#include <unordered_map>

#include "common/errors.hpp"
#include "common/host.hpp"
#include "common/log.hpp"
#include "common/rank_map.hpp"
#include "transport/agreement.hpp"

namespace ringsim {

// Names nothing but rank numbers and the map's hosts: machines have no
// trustworthy names of their own.
void check_machines_match_map(const RankMap& map, const std::vector<std::string>& machines) {
  // One pass: each machine's and each host's first rank stands for it, so a
  // job of thousands of ranks is not compared pair by pair.
  std::unordered_map<std::string, int> first_on_machine, first_on_host;
  const auto refuse = [&](int s, int r, bool same_machine) {
    const bool same_host = map.host_of(s) == map.host_of(r);
    throw ConfigError(
        "ranks " + std::to_string(s) + " and " + std::to_string(r) + " run on " +
        (same_machine ? "one machine" : "different machines") + " but the rank map places them on " +
        (same_host ? "one host (" + map.host_of(s) + ")" : "hosts " + map.host_of(s) + " and " + map.host_of(r)) +
        " (check the hostfile and --map-by slot)");
  };
  for (int r = 0; r < static_cast<int>(machines.size()); ++r) {
    const auto [machine, new_machine] = first_on_machine.emplace(machines[r], r);
    const auto [host, new_host] = first_on_host.emplace(map.host_of(r), r);
    if (!new_machine && map.host_of(machine->second) != map.host_of(r)) refuse(machine->second, r, true);
    if (!new_host && machines[host->second] != machines[r]) refuse(host->second, r, false);
  }
}

void apply_rank_map(JobConfig& options, const Communicator& comm) {
  if (options.hosts.empty()) return;
  const bool verify = options.check_hosts || !options.resource_config.empty();
  // Collective for every rank alike, before anything can fail on one rank.
  const auto machines = verify ? comm.machines() : std::vector<std::string>();
  std::string host;
  std::string seen;  // what this rank's machine says it is, for the table
  run_agreed(comm, [&] {
    const RankMap map(options.hosts, options.processes_per_host);
    if (map.ranks() != comm.size())
      throw ConfigError("mpirun started " + std::to_string(comm.size()) + " ranks but " +
                        std::to_string(map.hosts().size()) + " hosts x " + std::to_string(options.processes_per_host) +
                        " processes need " + std::to_string(map.ranks()));
    host = map.host_of(comm.rank());
    if (!options.resource_config.empty()) {
      try {
        seen = read_current_host(options.resource_config);
      } catch (const ConfigError& e) {
        throw ConfigError(std::string("--resource-config ") + e.what());
      }
      if (seen != host)
        throw ConfigError("rank " + std::to_string(comm.rank()) + " runs on host " + seen + " (current_host in " +
                          options.resource_config + ") but the rank map places it on " + host +
                          " (check the hostfile and --map-by slot)");
    } else if (options.check_hosts) {
      seen = short_host_name();
      if (seen != host)
        throw ConfigError("rank " + std::to_string(comm.rank()) + " runs on host " + seen +
                          " but the rank map places it on " + host + " (check the hostfile and --map-by slot)");
    }
    if (verify) check_machines_match_map(map, machines);
  });
  // Per rank, computed here on each rank: never the leader's copy.
  set_identity_host(host);
  const auto placements = comm.allgather(seen.empty() ? host : host + " (on " + seen + ")");
  if (comm.rank() == 0 && !options.quiet) {
    std::string table = "rank -> host:";
    for (int r = 0; r < comm.size(); ++r) table += " " + std::to_string(r) + "->" + placements[r];
    log::info(table);
  }
  expand_host_paths(options, host);
}

}  // namespace ringsim
