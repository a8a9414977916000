#pragma once
// `ringsim launch`: the image's `train` entrypoint on every SageMaker host.
// Reads the config, decides leader (first host in natural order) or worker,
// and runs the job: the leader waits for the workers, writes the hostfile
// and runs mpirun; workers wait for the leader's outcome. On any failure
// output/failure says why (never overwriting an existing one) and the exit
// code is the real one.
#include <string>
#include <vector>

#include "launcher/launch_options.hpp"

namespace ringsim {

int run_launch(const LaunchOptions& options);

struct SageMakerConfig;
// The mpirun argv this host would run as the leader (the rank command at its
// end): what --dry-run prints, for tests. Throws ConfigError on bad settings.
std::vector<std::string> launch_mpirun_argv(const LaunchOptions& options, const SageMakerConfig& config);

}  // namespace ringsim
