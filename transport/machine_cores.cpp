#include "transport/machine_cores.hpp"

#include <sched.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "common/errors.hpp"

namespace ringsim {

namespace {

std::vector<std::int64_t> usable_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0) throw_errno("sched_getaffinity");
  std::vector<std::int64_t> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  return cpus;
}

std::string boot_id() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}

}  // namespace

MachineCores machine_cores(const Communicator& comm) {
  const auto mine = usable_cpus();
  const auto masks = comm.allgather(mine);
  auto machines = comm.allgather(boot_id());
  // Without a boot id (no /proc), each rank counts as a machine of its own.
  for (std::size_t rank = 0; rank < machines.size(); ++rank)
    if (machines[rank].empty()) machines[rank] = "rank " + std::to_string(rank);
  const std::string& here = machines[static_cast<std::size_t>(comm.rank())];
  std::set<std::pair<std::string, std::int64_t>> every;  // (machine, cpu)
  std::set<std::int64_t> on_this_machine;
  MachineCores cores;
  cores.own = static_cast<int>(mine.size());
  cores.machine_ranks = 0;
  for (std::size_t rank = 0; rank < machines.size(); ++rank) {
    for (const std::int64_t cpu : masks[rank]) every.emplace(machines[rank], cpu);
    if (machines[rank] != here) continue;
    ++cores.machine_ranks;
    on_this_machine.insert(masks[rank].begin(), masks[rank].end());
  }
  cores.machine = static_cast<int>(on_this_machine.size());
  cores.all = static_cast<int>(every.size());
  return cores;
}

}  // namespace ringsim
