#pragma once
// How `ringsim launch` runs (launch.hpp): apart from it, so that the launch
// plan (launch_plan.hpp) includes the settings and not the launch.
#include <string>

namespace ringsim {

struct LaunchOptions {
  std::string ml_root = "/opt/ml";
  bool dry_run = false;
  // Simulation on one machine: every host is this machine, ML roots are
  // sibling folders named after the hosts, no sshd, mpirun starts the ranks
  // locally, and worker i's control port is control_port + i.
  bool local = false;
};

}  // namespace ringsim
