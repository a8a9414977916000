#pragma once
// The hostfile and the exact mpirun argv for a SageMaker job: pure
// functions of the rank map and the settings, tested without processes.
#include <string>
#include <vector>

#include "common/rank_map.hpp"

namespace ringsim {

// Splits a command line the way a POSIX shell would split words: spaces
// separate, single and double quotes group, backslash escapes.
std::vector<std::string> split_words(const std::string& text);

// Defaults first, then the user's options; a user option with the same key
// replaces the default one (keys: "-mca NAME", "-x VAR", or the option
// itself, e.g. "--bind-to").
std::vector<std::string> merge_mpi_options(const std::vector<std::string>& defaults,
                                           const std::vector<std::string>& user);

struct MpirunPlan {
  std::string hostfile;           // contents
  std::string hostfile_path;      // where argv expects it
  std::vector<std::string> argv;  // "mpirun ...", or "env NAME=VALUE... mpirun ..." with a hostname shim
};

struct MpirunRequest {
  const RankMap* ranks = nullptr;
  std::string network_interface = "eth0";
  bool local = false;  // every host is this machine (simulation)
  std::string hostfile_path;
  std::string user_options;                                // the mpi_options hyperparameter
  std::vector<std::string> rank_command;                   // what each rank runs
  std::vector<std::string> exported_variables = {"PATH"};  // passed on with -x
  std::string ssh_identity;  // the job's ssh key for the workers' sshd (ssh -i); empty: ssh's defaults
  // libringsim_hostname.so, preloaded into mpirun and (-x) every rank, and
  // the resourceconfig.json it reads on each host (the same path on every
  // host). Empty: none (one host, a local simulation, or not found).
  std::string hostname_shim;
  std::string resource_config;
  std::string inherited_preload;  // $LD_PRELOAD as the launcher found it, kept after the shim
};

MpirunPlan plan_mpirun(const MpirunRequest& request);

}  // namespace ringsim
