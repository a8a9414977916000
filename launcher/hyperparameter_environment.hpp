#pragma once
// SageMaker hands a container its hyperparameters in the environment too:
// SM_HPS (all of them as JSON), SM_HP_<NAME> (one each), SM_TRAINING_ENV
// (everything, hyperparameters included) and SM_USER_ARGS (them as
// arguments). Once the launcher has read them, they would only carry the
// job secret (hyperparameter job_secret) into every child's environment:
// mpirun, the ranks, sshd, ssh-keygen, readable in /proc/<pid>/environ and
// in any core dump. The launcher removes them before it starts any child.
#include <string>
#include <vector>

namespace ringsim {

// Whether the environment variable `name` carries hyperparameters.
//   SM_HPS, SM_HP_JOB_SECRET, SM_TRAINING_ENV, SM_USER_ARGS -> true
//   SM_HOSTS, SM_NUM_GPUS, SM_CHANNEL_TRAIN                 -> false
bool carries_hyperparameters(const std::string& name);

// Removes every such variable from this process's environment, so that no
// child inherits one; returns the names removed.
std::vector<std::string> remove_hyperparameter_variables();

}  // namespace ringsim
