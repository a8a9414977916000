#pragma once
// How many ranks a host runs when the job does not say: one per physical
// core the container may use. SM_NUM_CPUS and nproc count hardware threads
// (vCPUs): ml.c5.18xlarge has 72 vCPUs on 36 cores, two threads per core,
// and two GEMM ranks on one core's two threads share its FMA units while
// each needs its own memory and its own share of the ring
// (docs/performance.md, "Ranks per core").
#include <optional>
#include <string>
#include <vector>

namespace ringsim {

// "0-3,8,10-11" (the kernel's cpulist format) -> {0,1,2,3,8,10,11}; throws
// ConfigError naming `origin` when malformed.
std::vector<int> parse_cpu_list(const std::string& text, const std::string& origin);

struct CoreCount {
  int cores = 0;
  std::string why;  // e.g. "36 physical cores: 72 CPUs in the cgroup cpuset 0-71, 2 threads per core"
};

// The physical cores among the CPUs this container may use, under a sysfs
// mounted at `sys_root` ("/sys"): the CPUs are the cgroup's cpuset
// (cgroup v2 fs/cgroup/cpuset.cpus.effective, v1
// fs/cgroup/cpuset/cpuset.effective_cpus), else devices/system/cpu/online;
// a core is a distinct devices/system/cpu/cpuN/topology/thread_siblings_list
// among them (a core counts once whichever of its threads are allowed).
// nullopt when the topology cannot be read (no sysfs in the container).
std::optional<CoreCount> physical_cores(const std::string& sys_root);

}  // namespace ringsim
